"""server/handoff.py alone, with real sockets: the record framing over the workers' Unix
sockets, every way a pass is refused (and the caller keeps the connection), bad records from a
sibling, and that dropping the sender's transport after a pass sends neither FIN nor RST on
asyncio's loop or uvloop."""

from __future__ import annotations

import array
import asyncio
import contextlib
import os
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, cast

import pytest
import uvloop

from server.handoff import RECORD_MAX, Siblings

HEAD = b"GET /ws?zone=1 HTTP/1.1\r\nHost: x\r\n\r\n"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class Inbox:
    """What worker 1's ``receive`` got."""

    def __init__(self) -> None:
        self.got: list[tuple[socket.socket, bytes]] = []
        self.arrived = asyncio.Event()

    def __call__(self, sock: socket.socket, head: bytes) -> None:
        self.got.append((sock, head))
        self.arrived.set()

    async def next(self) -> tuple[socket.socket, bytes]:
        async with asyncio.timeout(5):
            while not self.got:
                self.arrived.clear()
                await self.arrived.wait()
        return self.got.pop(0)


async def test_a_tcp_socket_and_its_head_reach_the_sibling_whole(tmp_path: Path) -> None:
    zero, one, inbox = Siblings(tmp_path, 0, 2), Siblings(tmp_path, 1, 2), Inbox()
    one.open(inbox)
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        big = HEAD[:-2] + b"X-Pad: " + b"p" * (RECORD_MAX - len(HEAD) - 9) + b"\r\n\r\n"
        assert len(big) == RECORD_MAX
        for head in (HEAD, big):
            assert zero.pass_to(1, accepted.fileno(), head)
            sock, got = await inbox.next()
            assert got == head
            assert sock.getpeername() == client.getsockname(), "the peer is the real client"
            sock.sendall(b"from one")
            assert client.recv(100) == b"from one"
            sock.close()
        assert one.refused == 0
    finally:
        for s in (client, accepted, listener):
            s.close()
        zero.close()
        one.close()
    assert not (tmp_path / "1").exists(), "the socket file goes with the worker"


async def test_a_pass_that_cannot_be_made_returns_false_and_keeps_nothing(tmp_path: Path) -> None:
    zero = Siblings(tmp_path, 0, 3)
    with socket.socket() as tcp:
        fd, before = tcp.fileno(), open_fds()
        assert not zero.pass_to(0, fd, HEAD), "never to itself"
        assert not zero.pass_to(3, fd, HEAD) and not zero.pass_to(-1, fd, HEAD)
        assert not zero.pass_to(1, fd, b""), "no head"
        assert not zero.pass_to(1, fd, b"x" * (RECORD_MAX + 1)), "too long to pass"
        assert not zero.pass_to(1, fd, HEAD), "nobody listens on 1"
        (tmp_path / "2").touch()
        assert not zero.pass_to(2, fd, HEAD), "a file, not a listening socket"
        assert open_fds() == before


async def test_a_sibling_that_restarts_is_linked_again_and_a_dead_one_is_not(
    tmp_path: Path,
) -> None:
    zero, inbox = Siblings(tmp_path, 0, 2), Inbox()
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        for _round in range(2):
            one = Siblings(tmp_path, 1, 2)
            one.open(inbox)
            assert zero.pass_to(1, accepted.fileno(), HEAD)
            (await inbox.next())[0].close()
            one.close()  # it dies (the next round: it is restarted on the same path)
            assert not zero.pass_to(1, accepted.fileno(), HEAD)
        (tmp_path / "1").touch()  # a dead worker's socket file stays behind
        again = Siblings(tmp_path, 1, 2)
        again.open(inbox)  # replaces the stale file
        assert zero.pass_to(1, accepted.fileno(), HEAD)
        (await inbox.next())[0].close()
        again.close()
    finally:
        for s in (client, accepted, listener):
            s.close()
        zero.close()


async def test_a_sibling_that_does_not_read_makes_the_pass_fail_not_wait(tmp_path: Path) -> None:
    zero = Siblings(tmp_path, 0, 2)
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    stuck.bind(str(tmp_path / "1"))
    stuck.listen()
    try:
        with socket.socket() as tcp:
            passes = 0
            while zero.pass_to(1, tcp.fileno(), HEAD):
                passes += 1
                assert passes < 100_000, "a full link must refuse"
            assert passes > 0
    finally:
        zero.close()
        stuck.close()


async def test_records_that_are_not_one_head_and_one_tcp_socket_are_dropped(
    tmp_path: Path,
) -> None:
    one, inbox = Siblings(tmp_path, 1, 2), Inbox()
    before = open_fds()
    one.open(inbox)
    link = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    link.connect(str(tmp_path / "1"))
    tcp, udp = socket.socket(), socket.socket(type=socket.SOCK_DGRAM)
    pair = socket.socketpair()
    try:
        link.send(HEAD)  # no descriptor
        socket.send_fds(link, [HEAD], [tcp.fileno(), tcp.fileno()])  # two
        socket.send_fds(link, [HEAD], [udp.fileno()])  # not a TCP socket
        socket.send_fds(link, [HEAD], [pair[0].fileno()])  # a Unix socket
        socket.send_fds(link, [b"x" * (RECORD_MAX + 1)], [tcp.fileno()])  # too long
        socket.send_fds(link, [b""], [tcp.fileno()])  # no head
        fds = array.array("i", [tcp.fileno()])
        link.sendmsg([HEAD], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])  # the good one
        sock, head = await inbox.next()
        assert head == HEAD and sock.type == socket.SOCK_STREAM
        sock.close()
        assert one.refused == 6
    finally:
        for s in (link, tcp, udp, *pair):
            s.close()
        one.close()
    assert open_fds() == before, "nothing received is left open"


class _Echo(asyncio.Protocol):
    """Worker 1's side: answers the head, then echoes; ``bye`` closes it gracefully."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.transport.write(b"echo:" + self.head)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)
        if data.endswith(b"bye"):
            self.transport.close()


class _Passer(asyncio.Protocol):
    """Worker 0's side: on the first bytes, pass the connection to worker 1 and drop it."""

    def __init__(self, zero: Siblings, drop: str) -> None:
        self.zero, self.drop = zero, drop

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        sock = self.transport.get_extra_info("socket")
        assert self.zero.pass_to(1, sock.fileno(), data)
        if self.drop == "shutdown":  # the control: what a wrong drop does
            with socket.socket(fileno=os.dup(sock.fileno())) as copy:
                copy.shutdown(socket.SHUT_WR)
        if self.drop == "abort":
            self.transport.abort()
        else:
            self.transport.close()


async def _pass_and_talk(tmp_path: Path, drop: str) -> tuple[bytes, bytes]:
    """What the client reads after its connection was passed: the echo, and at the end."""
    loop = asyncio.get_running_loop()
    zero, one = Siblings(tmp_path, 0, 2), Siblings(tmp_path, 1, 2)
    serving: list[asyncio.Task[Any]] = []

    def receive(sock: socket.socket, head: bytes) -> None:
        accepted = loop.connect_accepted_socket(lambda: _Echo(head), sock)
        serving.append(loop.create_task(accepted))

    one.open(receive)
    server = await loop.create_server(lambda: _Passer(zero, drop), "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(*server.sockets[0].getsockname()[:2])
    first = rest = b""
    try:
        async with asyncio.timeout(5):
            writer.write(b"hello")
            first = await reader.readexactly(len(b"echo:hello"))
            await asyncio.sleep(0.2)  # worker 0 has dropped its copy by now
            writer.write(b"more and bye")
            await writer.drain()
            rest = await reader.read()  # until worker 1's graceful close
    except asyncio.IncompleteReadError as exc:
        first = exc.partial
    except ConnectionError as exc:
        rest = type(exc).__name__.encode()
    try:
        return first, rest
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
        server.close()
        for task in serving:
            transport, _ = await task
            transport.close()
        zero.close()
        one.close()


@pytest.mark.parametrize("drop", ["close", "abort", "shutdown"])
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_dropping_the_passed_transport_sends_no_fin_and_no_rst(
    tmp_path: Path, loop: str, drop: str
) -> None:
    runner: Callable[[Coroutine[Any, Any, tuple[bytes, bytes]]], tuple[bytes, bytes]]
    runner = uvloop.run if loop == "uvloop" else asyncio.run
    first, rest = runner(_pass_and_talk(tmp_path, drop))
    if drop == "shutdown":  # the control: the test sees a FIN where there is one
        assert (first, rest) != (b"echo:hello", b"more and bye")
    else:
        assert first == b"echo:hello"
        assert rest == b"more and bye", "still open after the drop, then a clean FIN"
