"""The gate in front of aiohttp: what a new TCP connection must do before it is trusted.

aiohttp has size limits and ``keepalive_timeout`` but no deadline of its own for the request
head, so a client that sends one header line every few seconds (slowloris), or nothing at all,
keeps a connection, a parser and a file descriptor for as long as it likes. So each accepted
connection is *pending* until its first request head is complete (the blank line after the
headers), and while pending

* it is closed ``header_timeout_s`` after it was opened (:attr:`Gate.header_timeout_s`,
  counted in ``srichan_header_timeouts``);
* once it has been pending for ``COUNT_AFTER_S`` it counts against its address, which may
  hold at most ``pending_per_address`` such connections; one more is answered ``429`` with
  ``Retry-After`` and closed (the rule:
  :meth:`~srichan_world.world.admission.Admission.open_pending`). Honest clients send their
  head within milliseconds and are never counted, so a crowd behind one address connecting
  in the same instant (accepted in one batch, before any of them was read) is not refused.

Connections from a trusted proxy are not counted per address (every client of the proxy shares
its address; nginx applies the same limits itself, docs/deploy.md) but keep the deadline.

Once the head is complete the gate steps out: the transport is handed to aiohttp's protocol
(``set_protocol``), so the gate costs nothing per byte afterwards and nothing at all per
WebSocket frame. With :attr:`Gate.websocket` set (``--ws-transport picows``) a head asking for
``GET /ws`` goes to the protocol it makes instead (server/ws/fast.py): one port, one process,
HTTP on aiohttp and WebSockets on picows. The gate therefore holds the head (at most
``HEAD_MAX`` bytes: a longer one is answered 431 and closed) and gives it to the chosen
protocol whole. aiohttp's own timer then bounds what follows: ``keepalive_timeout`` runs from
the end of each response until the next request head is complete (a slowloris on a kept-alive
connection is closed by it), and request bodies have deadlines where they are read
(server/http/bodies.py). tests/server/test_connection_gate.py measures all of it with real
sockets.

Zoned workers (``--workers N``, server/handoff.py): with :attr:`Gate.router` set, a ``GET /ws``
head whose query says ``zone=k`` for another live worker k is passed to that worker with the
connection, and served by its gate as if it had been accepted there. A connection that came
that way is never passed again, and anything odd (a zone that is not one plain worker index, a
sibling that is gone or not keeping up) is served here: the visitor lands on a worker either
way, never on an error.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, cast

from aiohttp import web

from server.metrics import Metrics
from srichan_world.world.admission import Admission, Network, address_key, is_trusted

COUNT_AFTER_S = 1.0
"""A connection still without a whole head after this long counts against its address."""
HEAD_MAX = 64 * 1024
"""Bytes of a first request head the gate holds; a longer head is refused (431) and closed."""
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)
TOO_MANY = (
    b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


class Router(Protocol):
    """Where a connection asking for another zone goes (server/handoff.py's ``Siblings``)."""

    @property
    def index(self) -> int: ...

    @property
    def count(self) -> int: ...

    def pass_to(self, k: int, fd: int, head: bytes) -> bool: ...


@dataclass(frozen=True)
class Gate:
    """What every connection of one listener is held to."""

    admission: Admission
    metrics: Metrics
    header_timeout_s: float = 10.0
    trusted: Sequence[Network] = ()
    clock: Callable[[], float] = field(default=time.monotonic)
    websocket: Callable[[str], asyncio.BaseProtocol] | None = None
    """Makes the protocol for a connection (from this peer IP) whose head is ``GET
    ws_path``; None: aiohttp serves WebSockets too."""
    ws_path: bytes = b"/ws"
    router: Router | None = None
    """Zoned workers: passes ``GET ws_path?zone=k`` to worker k; None: served here."""


class _Pending(asyncio.Protocol):
    """Holds one connection until its first request head is complete, then hands it to
    aiohttp's protocol or the WebSocket one."""

    __slots__ = (
        "_address",
        "_gate",
        "_head",
        "_http",
        "_ip",
        "_passed",
        "_seen",
        "_tail",
        "_timer",
        "_transport",
    )

    def __init__(
        self, gate: Gate, http: Callable[[], asyncio.Protocol], passed: bytes | None = None
    ) -> None:
        self._gate = gate
        self._passed = passed
        """The head a sibling worker read before passing the connection here."""
        self._http = http
        self._head = bytearray()
        self._transport: asyncio.Transport | None = None
        self._ip = "?"
        self._address: str | None = None
        """Set while counted against its address (after ``COUNT_AFTER_S``)."""
        self._timer: asyncio.TimerHandle | None = None
        self._seen = False
        self._tail = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        self._ip = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        delay = min(COUNT_AFTER_S, self._gate.header_timeout_s)
        self._timer = asyncio.get_running_loop().call_later(delay, self._still_pending)
        if self._passed is not None:  # before anything is read from the socket here
            self.data_received(self._passed)

    def data_received(self, data: bytes) -> None:
        self._head += data
        if self._head_complete(data):
            self._settle()
            self._hand_over()
        elif len(self._head) > HEAD_MAX and self._transport is not None:
            self._settle()
            self._transport.write(HEAD_TOO_LARGE)
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._settle()

    def _hand_over(self) -> None:
        """The head is here: the protocol it asks for takes the connection and the head."""
        transport, head = self._transport, bytes(self._head)
        self._head = bytearray()
        if transport is None or transport.is_closing():
            return
        router = self._gate.router
        if router is not None and self._passed is None and self._pass_on(router, transport, head):
            return
        websocket = self._gate.websocket
        if websocket is not None and _asks_for(head, self._gate.ws_path):
            inner: asyncio.BaseProtocol = websocket(self._ip)
        else:
            inner = self._http()
        transport.set_protocol(inner)  # no per-byte cost from here on
        inner.connection_made(transport)
        if isinstance(inner, asyncio.BufferedProtocol):
            while head and not transport.is_closing():
                room = memoryview(inner.get_buffer(len(head)))
                n = min(len(room), len(head))
                room[:n] = head[:n]
                inner.buffer_updated(n)
                head = head[n:]
        elif isinstance(inner, asyncio.Protocol):
            inner.data_received(head)

    def _pass_on(self, router: Router, transport: asyncio.Transport, head: bytes) -> bool:
        """True when the connection went to the worker its ``zone`` names (and was dropped
        here without a byte written); False: served here."""
        if not _asks_for(head, self._gate.ws_path):
            return False
        zone = zone_of(head)
        if zone is None or zone == router.index:
            return False
        handoffs = self._gate.metrics.handoffs
        if zone < 0 or zone >= router.count:
            handoffs.labels("invalid").inc()
            return False
        sock = transport.get_extra_info("socket")
        fd = sock.fileno() if sock is not None else -1
        if fd < 0 or not router.pass_to(zone, fd, head):
            handoffs.labels("failed").inc()
            return False
        handoffs.labels("passed").inc()
        transport.abort()  # our descriptor only: the sibling's keeps the connection open
        return True

    def _head_complete(self, data: bytes) -> bool:
        """True once the blank line ending the first head arrived (empty lines before a
        request line are not it)."""
        if not self._seen:
            data = data.lstrip(b"\r\n")
            if not data:
                return False
            self._seen = True
        window = self._tail + data
        if b"\n\r\n" in window or b"\n\n" in window:
            return True
        self._tail = window[-2:]
        return False

    def _settle(self) -> None:
        """No longer pending: stop the clock and the per-address count (idempotent)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._address is not None:
            self._gate.admission.close_pending(self._address)
            self._address = None

    def _still_pending(self) -> None:
        """No whole head after ``COUNT_AFTER_S``: count it against its address (or refuse it
        there), and close it at the deadline."""
        gate, transport = self._gate, self._transport
        self._timer = None
        if transport is None or transport.is_closing():
            return
        if not is_trusted(self._ip, gate.trusted):
            address = address_key(self._ip)
            denial = gate.admission.open_pending(address, gate.clock())
            if denial is not None:
                gate.metrics.admission_refusals.labels(denial.reason.value).inc()
                transport.write(TOO_MANY)
                transport.close()
                return
            self._address = address
        left = max(0.0, gate.header_timeout_s - COUNT_AFTER_S)
        self._timer = asyncio.get_running_loop().call_later(left, self._expire)

    def _expire(self) -> None:
        self._timer = None
        self._gate.metrics.header_timeouts.inc()
        if self._transport is not None:
            self._transport.abort()


def _request_line(head: bytes) -> list[bytes]:
    """The head's request line split at spaces (``[method, target, version]`` when well
    formed); empty lines before it are skipped, as HTTP allows."""
    return head.lstrip(b"\r\n").split(b"\r\n", 1)[0].split(b"\n", 1)[0].split(b" ")


def _asks_for(head: bytes, path: bytes) -> bool:
    """The head's request line is ``GET path`` (with or without a query)."""
    parts = _request_line(head)
    return len(parts) == 3 and parts[0] == b"GET" and parts[1].split(b"?", 1)[0] == path


def zone_of(head: bytes) -> int | None:
    """The worker a head's ``zone`` query parameter names: None without one, -1 when it is not
    exactly one plain index (``zone=abc``, ``zone=-1``, ``zone=``, two of them)."""
    parts = _request_line(head)
    if len(parts) < 2 or b"?" not in parts[1]:
        return None
    query = parts[1].split(b"?", 1)[1]
    values = [p[5:] for p in query.split(b"&") if p.startswith(b"zone=") or p == b"zone"]
    if not values:
        return None
    value = values[0]
    if len(values) > 1 or not value.isdigit() or len(value) > 3:
        return -1
    return int(value)


def passed_in(
    gate: Gate, http: Callable[[], asyncio.Protocol]
) -> Callable[[socket.socket, bytes], None]:
    """Serves connections a sibling worker passed here (server/handoff.py): each through a
    gate of its own as if accepted here with that head, and never passed on again."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[object]] = set()

    def receive(sock: socket.socket, head: bytes) -> None:
        gate.metrics.handoffs.labels("received").inc()
        accepted = loop.connect_accepted_socket(lambda: _Pending(gate, http, head), sock)
        task: asyncio.Task[object] = loop.create_task(accepted)
        tasks.add(task)
        task.add_done_callback(_finished(tasks, sock))

    return receive


def _finished(
    tasks: set[asyncio.Task[object]], sock: socket.socket
) -> Callable[[asyncio.Task[object]], None]:
    def done(task: asyncio.Task[object]) -> None:
        tasks.discard(task)
        if task.cancelled() or task.exception() is not None:
            sock.close()  # the loop could not take it: the client sees the close and retries

    return done


async def listen(
    runner: web.BaseRunner,
    host: str,
    port: int,
    gate: Gate,
    *,
    reuse_port: bool = False,
    backlog: int = 1024,
) -> asyncio.Server:
    """Accept connections for ``runner`` (after ``setup()``) through ``gate``; close the
    returned server before ``runner.cleanup()``."""
    server = runner.server
    if server is None:
        raise RuntimeError("call runner.setup() before listen()")
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: _Pending(gate, server),
        host,
        port,
        backlog=backlog,
        reuse_port=reuse_port or None,
    )
