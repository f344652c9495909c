"""Reading a request body, bounded in size and in time: aiohttp bounds neither here.

``request.content.read(n)`` returns whatever has arrived (up to ``n`` bytes), not the whole
body, and waits as long as the client likes. :func:`read_body` reads to the end of the body,
refuses one over ``limit`` bytes as soon as it is over (never holding more than ``limit``), and
gives up on a client that sends nothing for ``idle_s`` or has not finished within ``total_s``:
a trickled body costs one handler for seconds, not for as long as the attacker likes. Request
*heads* have their own deadline at the connection (server/tcp_gate.py).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

BODY_TOTAL_S = 60.0
"""The longest any body may take (1 MB at 17 kB/s); the idle gap is a setting."""


class BodyTooLarge(Exception):
    """The body is (or says it is) longer than the handler accepts."""


class BodyTooSlow(Exception):
    """The body stalled for the idle gap, or did not finish within the total time."""


async def read_body(
    request: web.Request, limit: int, idle_s: float, total_s: float = BODY_TOTAL_S
) -> bytes:
    """The whole body, at most ``limit`` bytes; :class:`BodyTooLarge` or :class:`BodyTooSlow`."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyTooLarge
    loop = asyncio.get_running_loop()
    end = loop.time() + total_s
    content = request.content
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            async with asyncio.timeout(min(idle_s, end - loop.time())):
                chunk = await content.readany()
        except TimeoutError:
            raise BodyTooSlow from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
