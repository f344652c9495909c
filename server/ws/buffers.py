"""What one WebSocket may hold on the server, and how soon its client must show it reads.

A client that stops reading its socket must not hold memory for minutes. Left alone, Linux
grows a socket's send buffer to megabytes (on loopback at once), so the server's own buffer
backs up only after minutes of frames, and a timer that starts there starts far too late. So
each socket gets a small kernel send buffer (``SO_SNDBUF``) and a small write-buffer limit in
the transport, which bounds what a non-reader costs (about 32 + 32 KiB, one parked frame and
the outbox); and the pump pings every socket every ``answer_s`` and cuts one that leaves a ping
unanswered for ``answer_s`` (server/ws/pump.py), whatever the buffers on either side hold: the
client's own receive buffer can be large, and only an answer proves it reads. A client that
stops reading is therefore cut within ``2 * answer_s`` plus one tick.

None of this is per frame: the buffers are set once per connection and a ping goes out per
socket every few seconds; frames still go straight to the socket when its buffer is empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class SocketLimits:
    send_buffer_bytes: int = 16 * 1024
    """``SO_SNDBUF`` asked for each WebSocket (Linux doubles it: 32 KiB), ~5 s of a crowded
    street's frames on a slow phone link and far more than a tick's."""
    write_buffer_bytes: int = 32 * 1024
    """The transport's high-water mark: past it the connection's writer waits (is busy)."""
    writer_chunk_bytes: int = 8 * 1024
    """aiohttp looks for backpressure after this much output (its default, 64 KiB, is more
    than both buffers together, so it would never look)."""
    answer_s: float = 5.0
    """Every socket is pinged this often and must answer within it."""

    @classmethod
    def cutting_within(cls, seconds: float) -> SocketLimits:
        """Limits that cut a client that stops reading within ``seconds`` (+ one tick)."""
        return cls(answer_s=seconds / 2.0)


DEFAULT_LIMITS = SocketLimits()


def bound_buffers(transport: asyncio.Transport, limits: SocketLimits) -> None:
    """Give an upgraded connection the small buffers of ``limits`` (once, after the upgrade)."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # not a TCP socket (tests): nothing to bound
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, limits.send_buffer_bytes)
    transport.set_write_buffer_limits(high=limits.write_buffer_bytes)
