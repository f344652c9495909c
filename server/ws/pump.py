"""The WebSocket pump: moves bytes between sockets and the sans-I/O presence world.

One reader per connection feeds ``world.receive``; a fixed-rate tick loop calls
``world.tick`` and hands each connection its frame. Sending never makes the tick wait for a
client: a frame goes straight to the socket when its buffer is empty and nothing is queued
(the write cannot block then), otherwise it is parked in the connection's outbox for its own
writer task, replacing any older frame still waiting there. A connection whose writer makes
no progress for ``stuck_timeout_s`` is cut off and counted.

Requests the presence world does not answer itself (learning, booths) come out of it as
``Dispatch`` effects and go to the handler table the app gives :meth:`Pump.serve`:
``MsgType -> async handler(ctx, msg)`` returning the replies; replies get the request's ``cid``.
Handlers of one session run one at a time in arrival order. A handler for ``MsgType.HELLO``
runs after each welcome. The pump knows nothing of what the handlers do: ``server/app.py``
builds them and hands them over, once, before the street opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import msgpack
from aiohttp import WSMsgType, web

from server.metrics import Metrics
from srichan_world.protocol.codec import encode
from srichan_world.protocol.codes import CloseCode, ErrorCode, MsgType
from srichan_world.protocol.limits import MAX_FRAME_BYTES
from srichan_world.protocol.messages import Error, Message
from srichan_world.world.presence import (
    Close,
    Dispatch,
    Effect,
    Frames,
    PresenceSettings,
    PresenceWorld,
    Send,
    SessionView,
)

log = logging.getLogger(__name__)

_FRAME = MsgType.FRAME
_HELLO = int(MsgType.HELLO)
_TYPE_NAMES = {int(t): t.name.lower() for t in MsgType}
_CLOSING = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED})
_clock = time.monotonic
"""The world's clock: asyncio's own (``loop.time()`` is ``time.monotonic()``), called
directly because it is read once per message."""
_ERROR_NAMES = {int(c): c.name.lower() for c in ErrorCode} | {0: "transport"}


@dataclass(frozen=True)
class RequestContext:
    """Given to a handler: who asked, and the pump, to push messages to other sessions."""

    view: SessionView
    pump: Pump


Handler = Callable[[RequestContext, Message], Awaitable[Sequence[Message]]]
LeaveHook = Callable[[int], Awaitable[None]]


class Sharing(Protocol):
    """The street shared with other processes (``server/bus/presence_relay.py``)."""

    async def before_hello(self, data: bytes) -> None:
        """Awaited with a raw ``hello`` before the world sees it (a resume state may have to
        be fetched from another process first); the session's later messages wait."""

    def share_news(self) -> None:
        """Called at each tick right after ``world.collect()``: publish, never block."""


class _Conn:
    __slots__ = (
        "busy_since",
        "close_code",
        "close_reason",
        "closing",
        "frame",
        "queue",
        "requests",
        "runner",
        "sid",
        "transport",
        "waiter",
        "writer",
        "ws",
    )

    def __init__(self, sid: int, ws: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        self.sid = sid
        self.ws = ws
        self.transport = transport
        self.queue: deque[bytes] = deque()
        self.frame: bytes | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.writer: asyncio.Task[None] | None = None
        self.busy_since: float | None = None
        self.closing = False
        self.close_code: int = CloseCode.NORMAL
        self.close_reason = b""
        self.requests: deque[Dispatch] = deque()
        self.runner: asyncio.Task[None] | None = None


class Pump:
    """Moves bytes between the sockets and one presence world."""

    def __init__(self, world: PresenceWorld, settings: PresenceSettings, metrics: Metrics) -> None:
        self.world = world
        self.settings = settings
        self.metrics = metrics
        self.conns: dict[int, _Conn] = {}
        self.handlers: Mapping[MsgType, Handler] = {}
        self.on_leave: Sequence[LeaveHook] = ()
        """Called with the session id once a session has ended (after the world forgot it)."""
        self.sharing: Sharing | None = None
        """With one, the street is shared with other processes and each tick comes in two
        halves: at the tick ``world.collect()`` files this tick's moves as news and
        ``sharing.share_news()`` publishes it; ``gather_s`` later the frames are built, with the
        other processes' news of the same tick in them. Ticks are then aligned to the wall
        clock, so every process ticks at the same instants."""
        self.gather_s = 0.015
        self._ticker: asyncio.Task[None] | None = None
        self._gc_threshold: tuple[int, int, int] | None = None
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        # counted locally, flushed to Prometheus once a second (labels cost microseconds)
        self._in: dict[int, int] = {}
        self._out: dict[int, int] = {}
        self._bytes_in = 0
        self._bytes_out = 0
        self._dropped = 0

    # -- app lifecycle ------------------------------------------------------------------------

    def serve(
        self,
        handlers: Mapping[MsgType, Handler],
        on_leave: Sequence[LeaveHook] = (),
        sharing: Sharing | None = None,
    ) -> None:
        """Give the pump what serves requests beyond presence; call once, before :meth:`start`."""
        if self._ticker is not None:
            raise RuntimeError("Pump.serve must be called before Pump.start")
        self.handlers, self.on_leave, self.sharing = dict(handlers), tuple(on_leave), sharing

    async def start(self) -> None:
        """Start ticking (and tune the garbage collector for a steady tick)."""
        previous = gc.get_threshold()
        self._gc_threshold = previous
        if self.settings.gc_threshold:
            gc.set_threshold(self.settings.gc_threshold, *previous[1:])
        self._ticker = asyncio.create_task(self._tick_loop())

    async def stop(self) -> None:
        """Stop ticking and close every socket; the reverse of :meth:`start`."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.shutdown()
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)

    async def shutdown(self, _app: object = None) -> None:
        """Close every socket with GOING_AWAY; idempotent."""
        conns = list(self.conns.values())
        await asyncio.gather(
            *(c.ws.close(code=CloseCode.GOING_AWAY, message=b"server shutdown") for c in conns),
            return_exceptions=True,
        )

    # -- one connection -----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(
            max_msg_size=MAX_FRAME_BYTES,
            compress=False,
            heartbeat=self.settings.heartbeat_s,
        )
        await ws.prepare(request)
        now = _clock
        transport = request.transport
        assert transport is not None
        sid = next(self._ids)
        conn = _Conn(sid, ws, transport)
        self.conns[sid] = conn
        self.metrics.connections.inc()
        world = self.world
        self.apply(world.connect(sid, now()))
        conn.writer = asyncio.create_task(self._writer(conn))
        counts = self._in
        receive = ws.receive
        binary = WSMsgType.BINARY
        try:
            while True:
                msg = await receive()
                if msg.type is binary:
                    data = msg.data
                    self._bytes_in += len(data)
                    kind = data[1] if len(data) > 1 and 0x92 <= data[0] <= 0x9F else -1
                    counts[kind] = counts.get(kind, 0) + 1
                    if kind == _HELLO and self.sharing is not None:
                        await self.sharing.before_hello(data)
                    effects = world.receive(sid, data, now())
                    if effects:
                        self.apply(effects)
                elif msg.type in _CLOSING:
                    break
                elif msg.type is WSMsgType.TEXT:
                    counts[-1] = counts.get(-1, 0) + 1
                    self._send(conn, encode(Error(ErrorCode.BAD_FRAME, "binary frames only")), 12)
                    self._close(conn, CloseCode.BAD_FRAME, "binary frames only")
                elif msg.type is WSMsgType.ERROR:
                    self._count_error(ErrorCode.TOO_LARGE if ws.close_code == 1009 else 0)
                    break
        finally:
            self.conns.pop(sid, None)
            self.metrics.connections.dec()
            self.apply(world.disconnect(sid, now()))
            if conn.runner is not None:
                conn.runner.cancel()
            # let the writer finish a close it started (or start one), but not for long
            self._close(conn, CloseCode.NORMAL, "")
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(conn.writer, timeout=1.0)
            for hook in self.on_leave:
                await _quietly(hook(sid))
        return ws

    async def _writer(self, conn: _Conn) -> None:
        """Sends what the tick could not send at once; closes the socket when asked."""
        ws = conn.ws
        loop = asyncio.get_running_loop()
        try:
            while True:
                if conn.queue:
                    data = conn.queue.popleft()
                elif conn.frame is not None:
                    data, conn.frame = conn.frame, None
                elif conn.closing:
                    await ws.close(code=conn.close_code, message=conn.close_reason)
                    return
                else:
                    conn.waiter = loop.create_future()
                    await conn.waiter
                    continue
                conn.busy_since = _clock()
                await ws.send_bytes(data)
                conn.busy_since = None
        except (ConnectionError, RuntimeError):
            conn.closing = True  # the socket is gone; the reader will finish the session

    # -- effects ------------------------------------------------------------------------------

    def apply(self, effects: Sequence[Effect]) -> None:
        conns = self.conns
        for e in effects:
            if type(e) is Send:
                conn = conns.get(e.session)
                if conn is not None:
                    self._send(conn, e.data, e.type)
            elif type(e) is Close:
                conn = conns.get(e.session)
                if conn is not None:
                    self._close(conn, e.code, e.reason)
            elif type(e) is Dispatch:
                self._dispatch(e)
            elif type(e) is Frames:
                for sid, data in e.items:
                    conn = conns.get(sid)
                    if conn is not None:
                        self._send(conn, data, _FRAME)

    def _send(self, conn: _Conn, data: bytes, kind: int) -> None:
        if conn.closing:
            return
        out = self._out
        out[kind] = out.get(kind, 0) + 1
        self._bytes_out += len(data)
        if kind == _FRAME:
            if conn.frame is not None:  # the last one never left: replace it, restate later
                self._dropped += 1
                self.world.resync(conn.sid)
            conn.frame = data
        else:
            if kind == MsgType.ERROR:
                self._count_error(msgpack.unpackb(data)[2])
            if len(conn.queue) >= self.settings.outbox_messages:
                self._cut(conn)
                return
            conn.queue.append(data)
        self._wake(conn)

    def _close(self, conn: _Conn, code: int, reason: str) -> None:
        if conn.closing:
            self._wake(conn)
            return
        conn.closing = True
        conn.close_code = code
        conn.close_reason = reason.encode("utf-8")[:120]
        self._wake(conn)

    @staticmethod
    def _wake(conn: _Conn) -> None:
        waiter = conn.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _cut(self, conn: _Conn) -> None:
        """A client that does not read: drop the connection without waiting for it."""
        self.metrics.slow_disconnects.inc()
        self._count_error(ErrorCode.SLOW_CLIENT)
        conn.closing = True
        conn.transport.abort()

    def _count_error(self, code: int) -> None:
        self.metrics.errors.labels(_ERROR_NAMES.get(code, str(code))).inc()

    # -- the tick -----------------------------------------------------------------------------

    async def _tick_loop(self) -> None:
        period = 1.0 / self.settings.tick_hz
        due = _clock()
        next_flush = due + 1.0
        aligned = False
        while True:
            sharing = self.sharing
            if sharing is not None and not aligned:  # shared: tick with the others
                aligned = True
                due = _aligned(period)
                await asyncio.sleep(due - _clock())
            due += period
            if aligned:
                try:
                    self.world.collect()
                    if sharing is not None:
                        sharing.share_news()
                except Exception:
                    log.exception("presence news failed")
                    self._count_error(ErrorCode.INTERNAL)
                await asyncio.sleep(self.gather_s)
            started = time.perf_counter()
            now = _clock()
            try:
                await self._send_frames(self.world.tick(now))
                self._check_stuck(now)
            except Exception:  # a bug must not stop the street; it is logged and counted
                log.exception("presence tick failed")
                self._count_error(ErrorCode.INTERNAL)
            self.metrics.tick_seconds.observe(time.perf_counter() - started)
            if now >= next_flush:
                next_flush = now + 1.0
                self._flush_counts()
            delay = due - _clock()
            if delay < 0:  # fell behind: skip ahead rather than burst
                due = _aligned(period) if aligned else _clock()
                delay = due - _clock()
            await asyncio.sleep(delay)

    async def _send_frames(self, effects: list[Effect]) -> None:
        """Frames go straight out when the socket's buffer is empty and nothing waits in the
        outbox: then ``send_bytes`` writes and returns without suspending, so no client can
        hold up the tick. Anything else goes through :meth:`apply`."""
        conns = self.conns
        n = 0
        sent = 0
        for e in effects:
            if type(e) is not Frames:
                self.apply((e,))
                continue
            for sid, data in e.items:
                conn = conns.get(sid)
                if conn is None or conn.closing:
                    continue
                if (
                    conn.frame is None
                    and conn.busy_since is None
                    and not conn.queue
                    and conn.transport.get_write_buffer_size() == 0
                ):
                    try:
                        await conn.ws.send_bytes(data)
                    except (ConnectionError, RuntimeError):
                        conn.closing = True
                        continue
                    n += 1
                    sent += len(data)
                else:
                    self._send(conn, data, _FRAME)
        self._out[_FRAME] = self._out.get(_FRAME, 0) + n
        self._bytes_out += sent

    def _check_stuck(self, now: float) -> None:
        limit = self.settings.stuck_timeout_s
        for conn in list(self.conns.values()):
            if conn.busy_since is not None and now - conn.busy_since > limit and not conn.closing:
                self._cut(conn)

    def _flush_counts(self) -> None:
        m = self.metrics
        for counts, counter in ((self._in, m.messages_in), (self._out, m.messages_out)):
            for kind, n in counts.items():
                counter.labels(_TYPE_NAMES.get(kind, "invalid")).inc(n)
            counts.clear()
        m.bytes_in.inc(self._bytes_in)
        m.bytes_out.inc(self._bytes_out)
        m.dropped_frames.inc(self._dropped)
        self._bytes_in = self._bytes_out = self._dropped = 0

    # -- handlers -----------------------------------------------------------------------------

    def _dispatch(self, d: Dispatch) -> None:
        conn = self.conns.get(d.session)
        if conn is None or conn.closing:
            return
        if d.message.TYPE not in self.handlers:
            if d.message.TYPE != MsgType.HELLO:
                self.send(
                    d.session, Error(ErrorCode.UNSUPPORTED, "not served here", cid=d.message.cid)
                )
            return
        conn.requests.append(d)
        if conn.runner is None or conn.runner.done():
            conn.runner = asyncio.create_task(self._run_requests(conn))

    async def _run_requests(self, conn: _Conn) -> None:
        while conn.requests:
            d = conn.requests.popleft()
            view = self.world.view(d.session)
            if view is None:
                return
            msg = d.message
            try:
                replies = await self.handlers[msg.TYPE](RequestContext(view, self), msg)
            except Exception:
                log.exception("handler for %s failed", msg.TYPE.name)
                replies = [Error(ErrorCode.INTERNAL, "internal error; nothing was changed")]
            for reply in replies:
                if reply.cid is None and msg.cid is not None:
                    reply = replace(reply, cid=msg.cid)
                self.send(d.session, reply)

    # -- for handlers and tools ---------------------------------------------------------------

    def send(self, session: int, message: Message) -> bool:
        """Queue ``message`` for ``session`` without waiting; False if it is gone."""
        conn = self.conns.get(session)
        if conn is None or conn.closing:
            return False
        self._send(conn, encode(message), message.TYPE)
        return True

    def broadcast(self, message: Message) -> int:
        """Queue ``message`` (encoded once) for every welcomed session; returns how many."""
        data = encode(message)
        n = 0
        welcomed = self.world.welcomed
        for sid, conn in self.conns.items():
            if not conn.closing and welcomed(sid):
                self._send(conn, data, message.TYPE)
                n += 1
        return n

    def views(self) -> list[SessionView]:
        """Every welcomed session's avatar as the server knows it (e.g. for visit checks)."""
        return [v for sid in self.conns if (v := self.world.view(sid)) is not None]


def _aligned(period: float) -> float:
    """The next instant (on ``_clock``) that is a whole number of periods of wall-clock time:
    processes on machines with synchronised clocks tick together."""
    return _clock() + period - time.time() % period


async def _quietly(awaitable: Awaitable[None]) -> None:
    try:
        await awaitable
    except Exception:
        log.exception("presence leave hook failed")
