"""What the pump needs of a WebSocket, whichever library speaks it, and the frames it writes
itself.

The pump (server/ws/pump.py) talks to a :class:`Socket`; aiohttp's (server/ws/aio.py) and
picows's (server/ws/fast.py) are the two there are. Presence frames bypass both libraries:
:func:`finished_frame` wraps a payload once and the same bytes go to the TCP transport of
every observer of that view.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Socket(Protocol):
    """One upgraded WebSocket, whichever library speaks it (server/ws/aio.py: aiohttp,
    server/ws/fast.py: picows). Its TCP ``transport`` takes finished frames directly."""

    @property
    def transport(self) -> asyncio.Transport:
        """The TCP transport under the WebSocket: buffers, ``abort``, finished frames."""

    async def send(self, data: bytes) -> None:
        """One binary message; returns when the transport takes more."""

    async def ping(self) -> None:
        """A ping; the client's pong comes back through :meth:`Pump.pong`."""

    async def close(self, code: int, reason: bytes) -> None:
        """A close frame, then the connection ends."""


def finished_frame(payload: bytes) -> bytes:
    """``payload`` as a whole, unmasked binary WebSocket frame (RFC 6455 §5.2), as a server
    sends it."""
    n = len(payload)
    if n < 126:
        return bytes((0x82, n)) + payload
    if n < 65536:
        return b"\x82\x7e" + n.to_bytes(2, "big") + payload
    return b"\x82\x7f" + n.to_bytes(8, "big") + payload
