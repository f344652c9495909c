"""The aiohttp WebSocket transport (``--ws-transport aiohttp``): the fallback to picows.

aiohttp upgrades the request and parses the client's frames; :meth:`AiohttpDoor.handle` hands
each message to the pump (server/ws/pump.py). aiohttp refuses a message over
``MAX_FRAME_BYTES`` with close 1009; pongs are read here (``autoping`` off) because they time
the client.
"""

from __future__ import annotations

import asyncio

from aiohttp import WSMsgType, web

from server.ws.admission import ADDRESS, HELD
from server.ws.pump import Pump
from srichan_world.protocol.codes import CloseCode
from srichan_world.protocol.limits import MAX_FRAME_BYTES

_CLOSING = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED})


class _Socket:
    """aiohttp's WebSocket as the pump's :class:`~server.ws.wire.Socket`."""

    __slots__ = ("transport", "ws")

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        self.ws = ws
        self.transport = transport

    async def send(self, data: bytes) -> None:
        await self.ws.send_bytes(data)

    async def ping(self) -> None:
        await self.ws.ping()

    async def close(self, code: int, reason: bytes) -> None:
        await self.ws.close(code=code, message=reason)


class AiohttpDoor:
    """The ``/ws`` handler on aiohttp (behind :class:`~server.ws.admission.SocketAdmission`)."""

    def __init__(self, pump: Pump) -> None:
        self.pump = pump

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        pump = self.pump
        ws = web.WebSocketResponse(
            max_msg_size=MAX_FRAME_BYTES,
            compress=False,
            autoping=False,  # pongs are read here: they time the client (see Pump._ping_round)
            writer_limit=pump.limits.writer_chunk_bytes,
        )
        await ws.prepare(request)
        transport = request.transport
        assert transport is not None
        conn = pump.open(_Socket(ws, transport), request.get(ADDRESS))
        receive, feed, binary = ws.receive, pump.feed, WSMsgType.BINARY
        goodbye = False
        try:
            while True:
                msg = await receive()
                if msg.type is binary:
                    feed(conn, msg.data)
                elif msg.type in _CLOSING:
                    goodbye = msg.type is WSMsgType.CLOSE and msg.data == CloseCode.NORMAL
                    break
                elif msg.type is WSMsgType.PONG:
                    pump.pong(conn)
                elif msg.type is WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type is WSMsgType.TEXT:
                    pump.refuse_text(conn)
                elif msg.type is WSMsgType.ERROR:
                    # the close code is 1006 by now; the error names the 1009 sent
                    pump.refused_frame(too_large=getattr(msg.data, "code", None) == 1009)
                    break
        finally:
            held = await pump.closed(conn, goodbye)
            if held is not None:
                request[HELD] = held  # the door keeps counting the waiting avatar
        return ws
