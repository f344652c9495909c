"""The gate's part of zoned workers, with real sockets on 127.0.0.x and two gates in one
process: worker 0 and worker 1, each a listener on its own port with its own
:class:`~server.handoff.Siblings`, and a tiny app whose ``/ws`` says which worker answered and
from which peer address. ``GET /ws?zone=k`` is served by worker k; everything odd is served
where it arrived, counted, and never passed twice; the header deadline and the peer address
still hold for a passed connection. The real ``--workers 2`` server is in
tests/scale/test_zoned_workers.py."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from server.connection_gate import Gate, listen, passed_in, zone_of
from server.handoff import Siblings
from server.metrics import Metrics
from srichan_world.world.admission import Admission

SLACK_S = 1.5


@dataclass
class Worker:
    index: int
    port: int
    siblings: Siblings
    metrics: Metrics

    def count(self, result: str) -> float:
        return float(self.metrics.handoffs.labels(result)._value.get())


@contextlib.asynccontextmanager
async def worker(
    directory: Path, index: int, header_timeout_s: float = 10.0
) -> AsyncIterator[Worker]:
    async def where(request: web.Request) -> web.Response:
        return web.Response(text=f"worker {index} {request.remote}")

    app = web.Application()
    app.router.add_get("/ws", where)
    app.router.add_get("/other", where)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    assert runner.server is not None
    siblings, metrics = Siblings(directory, index, 2), Metrics()
    gate = Gate(Admission(), metrics, header_timeout_s, router=siblings)
    listener = await listen(runner, "127.0.0.1", 0, gate)
    siblings.open(passed_in(gate, runner.server))
    try:
        yield Worker(index, listener.sockets[0].getsockname()[1], siblings, metrics)
    finally:
        listener.close()
        siblings.close()
        await runner.cleanup()


async def ask(port: int, target: str, source: str = "127.0.0.1") -> str:
    """``GET target`` on a fresh connection; the body (``worker k peer``) or the status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        async with asyncio.timeout(5):
            answer = await reader.read()
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return body.decode() if head.startswith(b"HTTP/1.1 200") else head.split(b"\r\n")[0].decode()


def test_the_zone_is_one_plain_worker_index_or_nothing() -> None:
    def zone(target: bytes) -> int | None:
        return zone_of(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")

    assert zone(b"/ws") is None and zone(b"/ws?v=2") is None and zone(b"/ws?zones=1") is None
    assert zone(b"/ws?zone=1") == 1 and zone(b"/ws?v=2&zone=12") == 12
    for bad in (b"abc", b"-1", b"", b"1.0", b"+1", b" 1", b"1%20", b"9999", b"\xd9\xa1"):
        assert zone(b"/ws?zone=" + bad) == -1, bad
    assert zone(b"/ws?zone") == -1
    assert zone(b"/ws?zone=0&zone=1") == -1 and zone(b"/ws?zone=1&zone=1") == -1


async def test_each_zone_is_served_by_its_worker_from_either_door(tmp_path: Path) -> None:
    async with worker(tmp_path, 0) as zero, worker(tmp_path, 1) as one:
        for door in (zero, one):
            for k in (0, 1):
                assert await ask(door.port, f"/ws?zone={k}") == f"worker {k} 127.0.0.1"
        assert await ask(zero.port, "/ws") == "worker 0 127.0.0.1", "no zone: served here"
        assert [zero.count("passed"), one.count("received")] == [1, 1]
        assert [one.count("passed"), zero.count("received")] == [1, 1]
        assert zero.count("failed") + one.count("failed") == 0


async def test_a_passed_connection_keeps_its_real_peer_address(tmp_path: Path) -> None:
    async with worker(tmp_path, 0) as zero, worker(tmp_path, 1):
        assert await ask(zero.port, "/ws?zone=1", "127.0.0.23") == "worker 1 127.0.0.23"


async def test_odd_zones_and_other_requests_are_served_where_they_arrive(tmp_path: Path) -> None:
    async with worker(tmp_path, 0) as zero, worker(tmp_path, 1) as one:
        odd = ("abc", "-1", "2", "99", "0&zone=1", "", "1.0")
        for value in odd:
            assert await ask(zero.port, f"/ws?zone={value}") == "worker 0 127.0.0.1", value
        assert zero.count("invalid") == len(odd)
        assert await ask(zero.port, "/other?zone=1") == "worker 0 127.0.0.1"
        reader, writer = await asyncio.open_connection("127.0.0.1", zero.port)
        writer.write(b"POST /ws?zone=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        async with asyncio.timeout(5):
            assert (await reader.readline()).startswith(b"HTTP/1.1 405")  # here, not passed
        writer.close()
        assert zero.count("passed") == 0 and one.count("received") == 0


async def test_a_missing_sibling_means_served_here(tmp_path: Path) -> None:
    async with worker(tmp_path, 0) as zero:
        assert await ask(zero.port, "/ws?zone=1") == "worker 0 127.0.0.1"  # never started
        async with worker(tmp_path, 1):
            assert await ask(zero.port, "/ws?zone=1") == "worker 1 127.0.0.1"
        assert await ask(zero.port, "/ws?zone=1") == "worker 0 127.0.0.1"  # gone again
        (tmp_path / "1").touch()  # what a killed worker leaves behind
        assert await ask(zero.port, "/ws?zone=1") == "worker 0 127.0.0.1"
        assert (zero.count("failed"), zero.count("passed")) == (3, 1)
        async with worker(tmp_path, 1):  # restarted on the same path
            assert await ask(zero.port, "/ws?zone=1") == "worker 1 127.0.0.1"


async def test_a_passed_connection_is_never_passed_again(tmp_path: Path) -> None:
    """A head naming worker 0 that reaches worker 1 over the link stays on worker 1."""
    async with worker(tmp_path, 0) as zero, worker(tmp_path, 1) as one:
        listener = socket.create_server(("127.0.0.1", 0))
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        head = b"GET /ws?zone=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        sender = Siblings(tmp_path, 0, 2)  # a sibling that got it wrong
        assert sender.pass_to(1, accepted.fileno(), head)
        accepted.close()
        sender.close()
        client.settimeout(5)
        answer = await asyncio.to_thread(client.recv, 4096)
        assert answer.endswith(b"worker 1 127.0.0.1")
        assert one.count("received") == 1 and one.count("passed") == 0
        assert zero.count("received") == 0
        client.close()
        listener.close()


async def test_a_slowloris_asking_for_a_zone_is_cut_at_the_header_deadline(
    tmp_path: Path,
) -> None:
    async with worker(tmp_path, 0, header_timeout_s=2.0) as zero, worker(tmp_path, 1) as one:
        reader, writer = await asyncio.open_connection("127.0.0.1", zero.port)
        started = time.monotonic()
        writer.write(b"GET /ws?zone=1 HTTP/1.1\r\n")
        async with asyncio.timeout(2.0 + SLACK_S):
            while not reader.at_eof():
                writer.write(b"X-Slow: 1\r\n")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.5):
                        await reader.read(100)
        assert 2.0 - 0.1 <= time.monotonic() - started <= 2.0 + SLACK_S
        assert zero.metrics.header_timeouts._value.get() == 1
        assert one.count("received") == 0
        writer.close()


async def test_passing_is_quick_and_loses_nothing(tmp_path: Path) -> None:
    """500 passes: the sender's cost (``pass_to``), and each client got its answer."""
    passes = 500
    async with worker(tmp_path, 0) as zero, worker(tmp_path, 1) as one:
        costs: list[float] = []
        original = zero.siblings.pass_to

        def timed(k: int, fd: int, head: bytes) -> bool:
            started = time.perf_counter()
            try:
                return original(k, fd, head)
            finally:
                costs.append(time.perf_counter() - started)

        zero.siblings.pass_to = timed  # type: ignore[method-assign]
        trips: dict[int, list[float]] = {0: [], 1: []}
        answers = []
        for _ in range(passes):
            for k in (1, 0):  # passed, then served where it arrived
                started = time.perf_counter()
                answers.append((k, await ask(zero.port, f"/ws?zone={k}")))
                trips[k].append(time.perf_counter() - started)
        lost = sum(a != f"worker {k} 127.0.0.1" for k, a in answers)
        assert lost == 0 and one.count("received") == passes == len(costs)
        median = {k: statistics.median(t) * 1e6 for k, t in trips.items()}
        print(
            f"\npass_to median {statistics.median(costs) * 1e6:.1f} µs over {passes} passes, "
            f"0 lost; a request's round trip median {median[1]:.0f} µs passed vs "
            f"{median[0]:.0f} µs served where it arrived"
        )
