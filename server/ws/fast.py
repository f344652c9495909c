"""The picows WebSocket transport (``--ws-transport picows``, the default): the same ``/ws``
on picows's Cython frame parser, on the same port as aiohttp's HTTP.

The connection gate (server/connection_gate.py) reads each new connection's first request
head; when it is ``GET /ws`` the gate hands the connection to :meth:`PicowsDoor.protocol`
instead of aiohttp. picows then answers the upgrade through :meth:`PicowsDoor._upgrade`, which
asks the same door as aiohttp's handler (:class:`~server.ws.admission.SocketAdmission`: 429
with ``Retry-After`` before any upgrade, ``X-Forwarded-For`` from trusted proxies only), and
each frame goes to the pump (server/ws/pump.py) from :class:`_Listener`'s callbacks: no task
and no await per message. What aiohttp did for the pump is done here: a message over
``MAX_FRAME_BYTES`` is closed with 1009 (by picows per frame, here for a fragmented message),
text frames are refused by the pump, client pings are answered, pongs reach the pump.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial

from picows import (
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
)
from picows.picows import (  # type: ignore[attr-defined]  # not in picows's stubs
    WSAutoPingStrategy,
    WSProtocol,
    _validate_upgrade_request,
)

from server.ws.admission import Refusal, SocketAdmission
from server.ws.pump import Connection, Pump
from srichan_world.protocol.codes import CloseCode
from srichan_world.protocol.limits import MAX_FRAME_BYTES

_quiet = logging.getLogger("server.ws.picows")
_quiet.setLevel(logging.CRITICAL)
"""picows logs every connection and every refused frame; the pump counts them instead."""

_BINARY, _CONTINUATION, _PONG = WSMsgType.BINARY, WSMsgType.CONTINUATION, WSMsgType.PONG
_TEXT, _CLOSE = WSMsgType.TEXT, WSMsgType.CLOSE


def close_frame(code: int, reason: bytes) -> bytes:
    """A server's close frame (picows's own takes only the codes it names, not 4000–4999)."""
    payload = code.to_bytes(2, "big") + reason[:123]
    return bytes((0x88, len(payload))) + payload


class _Socket:
    """picows's WebSocket as the pump's :class:`~server.ws.wire.Socket`; ``send`` waits while
    the TCP transport is over its high-water mark (server/ws/buffers.py)."""

    __slots__ = ("room", "transport", "ws")

    def __init__(self, ws: WSTransport) -> None:
        self.ws = ws
        self.transport: asyncio.Transport = ws.underlying_transport
        self.room: asyncio.Future[None] | None = None
        """Set while writing is paused; done when it may go on (or the socket is gone)."""

    async def send(self, data: bytes) -> None:
        if self.ws.is_disconnected:
            raise ConnectionError("socket closed")
        self.ws.send(_BINARY, data)
        await self._wait_room()

    async def ping(self) -> None:
        if self.ws.is_disconnected:
            raise ConnectionError("socket closed")
        self.ws.send_ping()
        await self._wait_room()

    async def close(self, code: int, reason: bytes) -> None:
        if not self.ws.is_disconnected:
            self.transport.write(close_frame(code, reason))
            self.ws.disconnect()  # graceful: what is buffered is sent first

    async def _wait_room(self) -> None:
        while self.room is not None:
            await self.room
        if self.ws.is_disconnected:
            raise ConnectionError("socket closed")

    def pause(self) -> None:
        if self.room is None:
            self.room = asyncio.get_running_loop().create_future()

    def resume(self) -> None:
        room, self.room = self.room, None
        if room is not None and not room.done():
            room.set_result(None)


class _Listener(WSListener):
    """One admitted WebSocket: frames to the pump, the end to the pump and the door."""

    def __init__(
        self,
        pump: Pump,
        leave: Callable[[tuple[str, float] | None], None],
        address: str | None = None,
    ) -> None:
        self.pump = pump
        self.address = address
        """The client address the door counted (``None``: no door)."""
        self.leave = leave
        """Tells the door the socket ended (with the avatar left waiting for a resume)."""
        self.goodbye = False
        """The client closed with 1000: its avatar goes at once."""
        self.sock: _Socket | None = None
        self.conn: Connection | None = None
        self.parts: bytearray | None = None
        """A fragmented message being put together (browsers do not fragment; the protocol
        allows it)."""

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.sock = _Socket(transport)
        self.conn = self.pump.open(self.sock, self.address)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        conn = self.conn
        if conn is None:
            return
        kind = frame.msg_type
        if kind is _BINARY and frame.fin and self.parts is None:
            self.pump.feed(conn, frame.get_payload_as_bytes())
        elif kind is _PONG:
            self.pump.pong(conn)
        elif kind is _BINARY or kind is _CONTINUATION:
            self._fragment(conn, frame)
        elif kind is _TEXT:
            self.pump.refuse_text(conn)
        elif kind is _CLOSE:
            self.goodbye = frame.get_close_code() == WSCloseCode.OK
            transport.underlying_transport.write(close_frame(CloseCode.NORMAL, b""))
            transport.disconnect()
        # PING: picows answers it (enable_auto_pong)

    def _fragment(self, conn: Connection, frame: WSFrame) -> None:
        if (frame.msg_type is _BINARY) != (self.parts is None):
            self._refuse(conn, CloseCode.BAD_FRAME, b"bad fragments", too_large=False)
            return
        parts = self.parts = self.parts if self.parts is not None else bytearray()
        parts += frame.get_payload_as_memoryview()
        if len(parts) > MAX_FRAME_BYTES:
            self._refuse(conn, CloseCode.MESSAGE_TOO_BIG, b"message too big", too_large=True)
        elif frame.fin:
            self.parts = None
            self.pump.feed(conn, bytes(parts))

    def _refuse(self, conn: Connection, code: int, reason: bytes, *, too_large: bool) -> None:
        self.parts = None
        self.pump.refused_frame(too_large=too_large)
        if self.sock is not None:
            self.sock.transport.write(close_frame(code, reason))
            self.sock.ws.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        sent = transport.close_handshake.sent if transport.close_handshake else None
        too_large = sent is not None and sent.code.value == CloseCode.MESSAGE_TOO_BIG
        if too_large and self.conn is not None and not self.conn.closing:
            self.pump.refused_frame(too_large=True)  # picows refused it, not the street
        if self.sock is not None:
            self.sock.resume()
        self.pump.spawn(self._finish())

    async def _finish(self) -> None:
        held = None
        try:
            if self.conn is not None:
                held = await self.pump.closed(self.conn, self.goodbye)
        finally:
            self.leave(held)

    def pause_writing(self) -> None:
        if self.sock is not None:
            self.sock.pause()

    def resume_writing(self) -> None:
        if self.sock is not None:
            self.sock.resume()


class PicowsDoor:
    """Makes the picows protocol for each ``/ws`` connection the gate hands over."""

    def __init__(self, pump: Pump, door: SocketAdmission | None, path: str = "/ws") -> None:
        self.pump = pump
        self.door = door
        """None: no per-address limits (the presence benchmark's crowd shares one address)."""
        self.path = path.encode()

    def protocol(self, peer: str) -> asyncio.BaseProtocol:
        """A picows protocol for a connection from ``peer`` whose first request head is for
        ``/ws``; the gate calls ``connection_made`` and feeds it the head."""
        return WSProtocol(  # type: ignore[no-any-return]
            None,
            None,
            False,
            lambda request: self._upgrade(peer, request),
            _quiet,
            True,  # disconnect_on_exception
            None,  # handshake timeout: the gate already holds the head to its deadline
            False,  # enable_auto_ping: the pump pings (it times the client)
            20.0,
            20.0,
            WSAutoPingStrategy.PING_WHEN_IDLE,
            True,  # enable_auto_pong
            MAX_FRAME_BYTES,
            None,
            4096,
        )

    def _upgrade(
        self, peer: str, request: WSUpgradeRequest
    ) -> _Listener | WSUpgradeResponseWithListener | None:
        if request.path.split(b"?", 1)[0] != self.path:
            return None  # 404
        headers = request.headers
        if "upgrade" in headers.get("connection", "").lower().replace(" ", "").split(","):
            headers["connection"] = "upgrade"  # e.g. Firefox's "keep-alive, Upgrade"
        door, leave, address = self.door, _nothing, None
        if door is not None:  # the door first (403 banned, 429), as aiohttp's handler does
            verdict = door.enter(peer, headers.getall("x-forwarded-for", ()))
            if isinstance(verdict, Refusal):
                return _answer(verdict.status, verdict.body, verdict.headers)
            leave, address = partial(door.leave, verdict), verdict
        try:
            _validate_upgrade_request(request)
        except RuntimeError as exc:  # not a WebSocket handshake: no socket to count
            leave(None)
            return _answer(400, str(exc).encode(), {})
        return _Listener(self.pump, leave, address)


def _answer(status: int, body: bytes, headers: dict[str, str]) -> WSUpgradeResponseWithListener:
    response = WSUpgradeResponse.create_error_response(status, body, headers)
    return WSUpgradeResponseWithListener(response, None)


def _nothing(_held: tuple[str, float] | None) -> None:
    pass
