"""Who is asking, and over what: the client's address and scheme, proxies taken into account.

The TCP peer, unless it is one of the ``trusted_proxies`` (server/config.py); then the client
the proxy names in ``X-Forwarded-For`` (the rule: :func:`srichan_world.world.admission.
client_address`), and the scheme it names in ``X-Forwarded-Proto``. IPv6 clients are counted by
/64 (:func:`~srichan_world.world.admission.address_key`).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import hdrs, web

from srichan_world.world.admission import Network, address_key, is_trusted
from srichan_world.world.admission import client_address as _client


def client_address(request: web.Request, trusted: Sequence[Network]) -> str:
    forwarded = request.headers.getall(hdrs.X_FORWARDED_FOR, ()) if trusted else ()
    return address_of(request.remote or "?", forwarded, trusted)


def address_of(peer: str, forwarded: Sequence[str], trusted: Sequence[Network]) -> str:
    """The same as :func:`client_address` from the TCP peer and the ``X-Forwarded-For``
    header values, for a door that is not aiohttp's (server/ws/fast.py)."""
    if trusted:
        peer = _client(peer, forwarded, trusted)
    return address_key(peer)


def is_https(request: web.Request, trusted: Sequence[Network]) -> bool:
    """The browser's connection is TLS: ours, or a trusted proxy's that says it was."""
    if request.secure:
        return True
    proto = request.headers.get(hdrs.X_FORWARDED_PROTO, "")
    return proto.lower() == "https" and is_trusted(request.remote or "", trusted)
