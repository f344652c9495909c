"""The city's revocation list as a W3C Bitstring Status List (v1.0).

Each credential owns one bit (its ``statusListIndex``); a set bit means revoked. The list is
published as a ``BitstringStatusListCredential`` whose ``encodedList`` is the GZIP-compressed
bitstring, base64url without padding, with the Multibase prefix ``u``. The list has at least
131,072 bits (16 KiB) so a single revocation tells an observer little (the spec's herd
privacy); the first bit is the leftmost bit of the first byte.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from typing import Any

from srichan_world.world.badges.credential import OB_CONTEXT, VC_CONTEXT, Issuer, iso

LIST_BITS = 131_072
"""Bits in the list: also the most credentials this list can cover."""


def encode_list(revoked: Iterable[int], bits: int = LIST_BITS) -> str:
    """The ``encodedList`` with the given indexes set."""
    data = bytearray(bits // 8)
    for index in revoked:
        if not 0 <= index < bits:
            raise ValueError(f"status index {index} outside 0..{bits - 1}")
        data[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(data), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def is_set(encoded: str, index: int) -> bool:
    """Whether bit ``index`` of an ``encodedList`` is set; ``ValueError`` for a broken list
    or an index outside it."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    raw = encoded[1:]
    try:
        data = gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, OSError, EOFError) as exc:
        raise ValueError(f"encodedList does not decode: {exc}") from None
    if not 0 <= index < len(data) * 8:
        raise ValueError(f"status index {index} outside the list")
    return bool(data[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(issuer: Issuer, revoked: Iterable[int], now: float) -> dict[str, Any]:
    """The list as a credential (to be signed like a badge), valid from ``now``."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer.status_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": issuer.id, "type": ["Profile"]},
        "validFrom": iso(now),
        "credentialSubject": {
            "id": f"{issuer.status_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(revoked),
        },
    }
