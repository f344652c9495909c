"""The WebSocket pump: moves bytes between sockets and the sans-I/O street.

One reader per connection feeds ``street.receive``; a fixed-rate tick loop calls
``street.tick`` and hands each connection its frame. Sending never makes the tick wait for a
client: a frame goes straight to the socket when its buffer is empty and nothing is queued
(the write cannot block then), otherwise it is parked in the connection's outbox for its own
writer task, replacing any older frame still waiting there. A connection whose writer makes
no progress for ``stuck_timeout_s`` is cut off and counted, and so is one that leaves a ping
unanswered for ``answer_s``: each socket has small buffers and is pinged every ``answer_s``, so
a client that stops reading is cut within ``2 * answer_s`` (server/ws/buffers.py says why).

The pump decides nothing. Requests that need the store come out of the street as ``Apply``
effects: the pump applies the step with the :class:`StepRunner` the app gives
:meth:`Pump.serve` (``server/ws/steps.py``) in a task of its own, and hands the result back
(``street.stored`` / ``street.failed``); the street answers, in order, per session.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import msgpack

from server.metrics import Metrics
from server.store import StoreError
from server.tasks import cancel
from server.ws.buffers import DEFAULT_LIMITS, SocketLimits, bound_buffers
from server.ws.wire import Socket, finished_frame
from srichan_world.errors import Refused
from srichan_world.protocol.codec import encode
from srichan_world.protocol.codes import CloseCode, ErrorCode, MsgType
from srichan_world.protocol.messages import Error, Message
from srichan_world.street.steps import Step, StoreUnavailable
from srichan_world.street.street import Apply, Learned, Street, StreetEffect
from srichan_world.world.presence import (
    Close,
    Frames,
    Held,
    PresenceSettings,
    Send,
    SessionView,
)

log = logging.getLogger(__name__)

_FRAME = MsgType.FRAME
_HELLO = int(MsgType.HELLO)
_TYPE_NAMES = {int(t): t.name.lower() for t in MsgType}
_clock = time.monotonic
"""The world's clock: asyncio's own (``loop.time()`` is ``time.monotonic()``), called
directly because it is read once per message."""
_ERROR_NAMES = {int(c): c.name.lower() for c in ErrorCode} | {0: "transport"}


LeaveHook = Callable[[int], Awaitable[None]]
HELD_MAX = 64
"""Messages a session may send while its ``hello`` waits for the shared street."""


class StepRunner(Protocol):
    async def apply(self, step: Step) -> object:
        """Do one store step; raise ``Refused`` or ``StoreError`` as the store does."""


class Sharing(Protocol):
    """The street shared with other processes (``server/bus/presence_relay.py``)."""

    async def before_hello(self, data: bytes) -> None:
        """Awaited with a raw ``hello`` before the world sees it (a resume state may have to
        be fetched from another process first); the session's later messages wait."""

    def share_news(self) -> None:
        """Called at each tick right after ``world.collect()``: publish, never block."""

    def welcomed(self, session: int) -> None:
        """Called after the world answered a ``hello`` and before the answer goes out: the
        avatar's resume state must be findable by other processes before its client can
        reconnect to one of them."""


class Connection:
    __slots__ = (
        "busy_since",
        "close_code",
        "close_reason",
        "closing",
        "frame",
        "held",
        "ping_at",
        "ping_due",
        "queue",
        "sid",
        "sock",
        "transport",
        "waiter",
        "writer",
    )

    def __init__(self, sid: int, sock: Socket) -> None:
        self.sid = sid
        self.sock = sock
        self.transport = sock.transport
        self.held: deque[bytes] | None = None
        """Messages waiting behind a ``hello`` (see :meth:`Pump.feed`)."""
        self.queue: deque[bytes] = deque()
        self.frame: bytes | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.writer: asyncio.Task[None] | None = None
        self.busy_since: float | None = None
        self.ping_at: float | None = None
        """When the ping still unanswered was asked for."""
        self.ping_due = False
        self.closing = False
        self.close_code: int = CloseCode.NORMAL
        self.close_reason = b""


class Pump:
    """Moves bytes between the sockets and one street."""

    def __init__(
        self,
        street: Street,
        settings: PresenceSettings,
        metrics: Metrics,
        limits: SocketLimits = DEFAULT_LIMITS,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.street = street
        self.wall = wall
        """The records' clock (Unix seconds) requests are decided at; tests set the time."""
        self.world = street.world
        self.settings = settings
        self.metrics = metrics
        self.limits = limits
        self.conns: dict[int, Connection] = {}
        self.steps: StepRunner | None = None
        self.on_store_error: Callable[[BaseException], None] = lambda _exc: None
        """Told of each store failure (the health watcher probes at once)."""
        self.on_learned: Callable[[Learned], None] = lambda _learned: None
        """Given the statements and tokens of each answered request (LRS, metrics)."""
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
        self._ring: deque[int] = deque()
        """Every session id, in the order they get their next ping (a slice per tick)."""
        self._awaiting: deque[tuple[float, int]] = deque()
        """``(asked at, session)`` of each ping sent, oldest first."""

    # -- app lifecycle ------------------------------------------------------------------------

    def serve(
        self,
        steps: StepRunner | None = None,
        *,
        on_leave: Sequence[LeaveHook] = (),
        sharing: Sharing | None = None,
        on_learned: Callable[[Learned], None] | None = None,
        on_store_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Give the pump what it needs beyond presence; call once, before :meth:`start`."""
        if self._ticker is not None:
            raise RuntimeError("Pump.serve must be called before Pump.start")
        self.steps, self.on_leave, self.sharing = steps, tuple(on_leave), sharing
        if on_learned is not None:
            self.on_learned = on_learned
        if on_store_error is not None:
            self.on_store_error = on_store_error

    async def start(self) -> None:
        """Start ticking (and tune the garbage collector for a steady tick)."""
        previous = gc.get_threshold()
        self._gc_threshold = previous
        if self.settings.gc_threshold:
            gc.set_threshold(self.settings.gc_threshold, *previous[1:])
        self._ticker = asyncio.create_task(self._tick_loop())

    async def stop(self) -> None:
        """Stop ticking and close every socket; the reverse of :meth:`start`."""
        for task in [*self._tasks, self._ticker]:
            await cancel(task)
        await self.shutdown()
        if self._gc_threshold is not None:
            gc.set_threshold(*self._gc_threshold)

    async def shutdown(self, _app: object = None) -> None:
        """Close every socket with GOING_AWAY; idempotent."""
        conns = list(self.conns.values())
        await asyncio.gather(
            *(c.sock.close(CloseCode.GOING_AWAY, b"server shutdown") for c in conns),
            return_exceptions=True,
        )

    # -- one connection (called by a door: server/ws/aio.py, server/ws/fast.py) ---------------

    def open(self, sock: Socket, address: str | None = None) -> Connection:
        """A new upgraded socket: a session of the street, with its writer; ``address``:
        the client address the door counted it under (new identities are counted by it)."""
        bound_buffers(sock.transport, self.limits)
        sid = next(self._ids)
        conn = Connection(sid, sock)
        self.conns[sid] = conn
        self._ring.append(sid)
        self.metrics.connections.inc()
        self.apply(self.street.connect(sid, _clock(), address))
        conn.writer = asyncio.create_task(self._writer(conn))
        return conn

    def feed(self, conn: Connection, data: bytes) -> None:
        """One binary message from the client. A ``hello`` on a shared street waits for
        ``sharing.before_hello`` and the session's later messages wait behind it (at most
        ``HELD_MAX``: a client that floods meanwhile is closed)."""
        n = len(data)
        self._bytes_in += n
        kind = data[1] if n > 1 and 0x92 <= data[0] <= 0x9F else -1
        counts = self._in
        counts[kind] = counts.get(kind, 0) + 1
        self._take(conn, data, kind)

    def _take(self, conn: Connection, data: bytes, kind: int) -> None:
        held = conn.held
        if held is not None:
            if len(held) >= HELD_MAX:
                self._close(conn, CloseCode.ABUSE, "too many messages before welcome")
            else:
                held.append(data)
            return
        if kind == _HELLO and self.sharing is not None:
            conn.held = deque()
            self.spawn(self._hello_shared(conn, data, self.sharing))
            return
        effects = self.street.receive(conn.sid, data, _clock(), self.wall())
        if effects:
            self.apply(effects)

    async def _hello_shared(self, conn: Connection, data: bytes, sharing: Sharing) -> None:
        try:
            await sharing.before_hello(data)
        except Exception:
            log.exception("presence sharing failed before a hello")
        held, conn.held = conn.held or (), None
        if conn.sid not in self.conns:
            return  # gone while waiting
        effects = self.street.receive(conn.sid, data, _clock(), self.wall())
        sharing.welcomed(conn.sid)
        self.apply(effects)
        for later in held:  # in order; another hello holds the rest again
            self._take(conn, later, later[1] if len(later) > 1 and 0x92 <= later[0] <= 0x9F else -1)

    def refuse_text(self, conn: Connection) -> None:
        """A text frame: refused with ``bad_frame`` and closed (the protocol is binary)."""
        self._in[-1] = self._in.get(-1, 0) + 1
        self._send(conn, encode(Error(ErrorCode.BAD_FRAME, "binary frames only")), 12)
        self._close(conn, CloseCode.BAD_FRAME, "binary frames only")

    @staticmethod
    def pong(conn: Connection) -> None:
        """The client answered a ping: it reads."""
        conn.ping_at = None

    def refused_frame(self, too_large: bool) -> None:
        """The transport closed a socket over a frame (1009 when ``too_large``): counted."""
        self._count_error(ErrorCode.TOO_LARGE if too_large else 0)

    async def closed(self, conn: Connection, goodbye: bool = False) -> tuple[str, float] | None:
        """The socket ended (``goodbye``: the client closed with 1000, its avatar goes at
        once): the session leaves the street, then the leave hooks run. Returns ``(resume
        token, end of the window)`` when the avatar is left waiting for a resume (the door
        keeps counting it: :meth:`SocketAdmission.leave`)."""
        sid = conn.sid
        if self.conns.pop(sid, None) is None:
            return None
        self.metrics.connections.dec()
        left = self.street.disconnect(sid, _clock(), goodbye)
        held = next(((e.token, e.until) for e in left if type(e) is Held), None)
        self.apply(left)
        # let the writer finish a close it started (or start one), but not for long
        self._close(conn, CloseCode.NORMAL, "")
        if conn.writer is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(conn.writer, timeout=1.0)
        for hook in self.on_leave:
            await _quietly(hook(sid))
        return held

    async def _writer(self, conn: Connection) -> None:
        """Sends what the tick could not send at once; closes the socket when asked."""
        sock = conn.sock
        loop = asyncio.get_running_loop()
        try:
            while True:
                if conn.queue:
                    data = conn.queue.popleft()
                elif conn.frame is not None:
                    data, conn.frame = conn.frame, None
                elif conn.closing:
                    await sock.close(conn.close_code, conn.close_reason)
                    return
                elif conn.ping_due:
                    conn.ping_due = False
                    conn.busy_since = _clock()
                    await sock.ping()
                    conn.busy_since = None
                    continue
                else:
                    conn.waiter = loop.create_future()
                    await conn.waiter
                    continue
                conn.busy_since = _clock()
                await sock.send(data)
                conn.busy_since = None
        except (ConnectionError, RuntimeError):
            conn.closing = True  # the socket is gone; the door will finish the session

    # -- effects ------------------------------------------------------------------------------

    def apply(self, effects: Sequence[StreetEffect]) -> None:
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
            elif type(e) is Apply:
                self.spawn(self._apply_step(e))
            elif type(e) is Learned:
                self.on_learned(e)
            elif type(e) is Frames:
                for sid, data in e.items:
                    conn = conns.get(sid)
                    if conn is not None:
                        self._send(conn, data, _FRAME)

    def _send(self, conn: Connection, data: bytes, kind: int) -> None:
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

    def _close(self, conn: Connection, code: int, reason: str) -> None:
        if conn.closing:
            self._wake(conn)
            return
        conn.closing = True
        conn.close_code = code
        conn.close_reason = reason.encode("utf-8")[:120]
        self._wake(conn)

    @staticmethod
    def _wake(conn: Connection) -> None:
        waiter = conn.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _cut(self, conn: Connection) -> None:
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
                self._send_frames(self.street.tick(now))
                self._check_stuck(now)
                self._ping_round(now)
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

    def _send_frames(self, effects: list[StreetEffect]) -> None:
        """Frames go straight out when the socket's buffer is empty and nothing waits in the
        outbox, as finished WebSocket frames written to the TCP transport: server frames are
        unmasked, so the frame built for one view serves every observer of that view (the
        street shares the bytes of a view; ``wires`` keeps each one's frame for this tick).
        The write cannot block, so no client can hold up the tick. Anything else goes
        through :meth:`apply` and the connection's writer."""
        conns = self.conns
        wires: dict[int, bytes] = {}
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
                transport = conn.transport
                if (
                    conn.frame is None
                    and conn.busy_since is None
                    and not conn.queue
                    and transport.get_write_buffer_size() == 0
                ):
                    if transport.is_closing():
                        conn.closing = True
                        continue
                    wire = wires.get(id(data))
                    if wire is None:
                        wire = wires[id(data)] = finished_frame(data)
                    transport.write(wire)
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

    def _ping_round(self, now: float) -> None:
        """Cut the sockets whose ping went unanswered for ``answer_s``; ping the next slice.

        A whole round of the ring takes ``answer_s``, so each socket is pinged that often and
        the pings are spread over the ticks. A ping leaves through the connection's writer,
        behind whatever is queued for it, so a client that is behind but reading still answers.
        """
        answer = self.limits.answer_s
        awaiting, conns = self._awaiting, self.conns
        while awaiting and now - awaiting[0][0] >= answer:
            asked, sid = awaiting.popleft()
            conn = conns.get(sid)
            if conn is not None and conn.ping_at == asked and not conn.closing:
                self._cut(conn)
        ring = self._ring
        ticks = max(1, round(answer * self.settings.tick_hz))
        for _ in range(-(-len(ring) // ticks)):
            sid = ring.popleft()
            conn = conns.get(sid)
            if conn is None or conn.closing:
                continue  # gone: it leaves the ring
            ring.append(sid)
            if conn.ping_at is None:
                conn.ping_at = now
                conn.ping_due = True
                awaiting.append((now, sid))
                self._wake(conn)

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

    # -- store steps --------------------------------------------------------------------------

    async def _apply_step(self, effect: Apply) -> None:
        """Apply one step and give the street its result; the street's answer goes out."""
        street = self.street
        try:
            if self.steps is None:
                raise RuntimeError("no store here: Pump.serve(steps) was not given one")
            result = await self.steps.apply(effect.step)
        except Refused as exc:
            effects = street.failed(effect.job, exc, self.wall())
        except StoreError as exc:
            self.on_store_error(exc)
            effects = street.failed(effect.job, StoreUnavailable(str(exc)), self.wall())
        except Exception:
            log.exception("store step %s failed", type(effect.step).__name__)
            self._count_error(ErrorCode.INTERNAL)
            effects = street.broke(effect.job, self.wall())
        else:
            effects = street.stored(effect.job, result, self.wall())
        self.apply(effects)

    async def settled(self) -> None:
        """Wait until no store step is in flight (for tools measuring whole requests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- for the app and tools ---------------------------------------------------------------

    def send(self, session: int, message: Message) -> bool:
        """Queue ``message`` for ``session`` without waiting; False if it is gone."""
        conn = self.conns.get(session)
        if conn is None or conn.closing:
            return False
        self._send(conn, encode(message), message.TYPE)
        return True

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
