"""The gate and aiohttp's timers, measured with real sockets on 127.0.0.1 and the real app.

Slowloris (a header line every 3 s), silent connections and a slowloris after one honest
request on a kept-alive connection are all closed within their documented bounds, while an
honest keep-alive client and a WebSocket that outlive those bounds are not touched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import pytest
from aiohttp import web

from server.app import create_app
from server.config import Settings
from server.connection_gate import COUNT_AFTER_S, HEAD_MAX, _asks_for, listen
from server.keys import ADMISSION, METRICS
from server.runner import app_runner, gate_of
from server.ws.client import PresenceClient

SLACK_S = 1.5
"""Scheduling slack on a shared two-core machine."""


@dataclass
class Served:
    app: web.Application
    port: int

    async def open(
        self, source: str = "127.0.0.1"
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port, local_addr=(source, 0))


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[Served]:
    app = create_app(settings)
    runner = app_runner(app, settings)
    await runner.setup()
    listener = await listen(runner, "127.0.0.1", 0, gate_of(app, settings))
    try:
        yield Served(app, listener.sockets[0].getsockname()[1])
    finally:
        listener.close()
        await runner.cleanup()


async def closed_after(reader: asyncio.StreamReader, started: float, limit: float) -> float:
    """Seconds from ``started`` until the server closed the connection (read EOF or reset)."""
    async with asyncio.timeout(limit):
        try:
            while await reader.read(4096):
                pass
        except ConnectionResetError:
            pass
    return time.monotonic() - started


async def slowloris(served: Served, source: str, every_s: float = 3.0) -> float:
    reader, writer = await served.open(source)
    started = time.monotonic()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")

    async def trickle() -> None:
        for i in range(100):
            await asyncio.sleep(every_s)
            writer.write(f"X-Slow-{i}: yes\r\n".encode())

    dripping = asyncio.create_task(trickle())
    try:
        return await closed_after(reader, started, 60)
    finally:
        dripping.cancel()
        writer.close()


async def silent(served: Served, source: str) -> float:
    reader, writer = await served.open(source)
    try:
        return await closed_after(reader, time.monotonic(), 60)
    finally:
        writer.close()


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
    return head


async def keepalive_slowloris(served: Served, source: str) -> float:
    """One honest request, then the next head a line every 3 s on the same connection."""
    reader, writer = await served.open(source)
    try:
        assert (await request(reader, writer)).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        writer.write(b"GET /healthz HTTP/1.1\r\n")
        for i in range(100):
            try:
                async with asyncio.timeout(3.0):
                    if not await reader.read(4096):
                        break
            except TimeoutError:
                writer.write(f"X-Slow-{i}: yes\r\n".encode())
            except ConnectionResetError:
                break
        return time.monotonic() - started
    finally:
        writer.close()


async def honest_keepalive(served: Served, rounds: int, gap_s: float) -> int:
    """Requests ``gap_s`` apart on one connection; how many were answered on it."""
    reader, writer = await served.open("127.0.0.2")
    answered = 0
    try:
        for _ in range(rounds):
            assert (await request(reader, writer)).startswith(b"HTTP/1.1 200")
            answered += 1
            await asyncio.sleep(gap_s)
    finally:
        writer.close()
    return answered


@pytest.mark.slow
async def test_slowloris_and_silent_connections_are_dropped_and_honest_ones_are_not(
    settings: Settings,
) -> None:
    """Defaults: a first head within 10 s; the next one within 15 s of a response."""
    assert (settings.header_timeout_s, settings.keepalive_timeout_s) == (10.0, 15.0)
    async with served(settings) as s:
        url = f"ws://127.0.0.1:{s.port}/ws"
        walker = await PresenceClient.connect(url)
        await walker.hello("เดินเล่น")
        fresh, quiet, kept, honest = await asyncio.gather(
            slowloris(s, "127.0.0.3"),
            silent(s, "127.0.0.4"),
            keepalive_slowloris(s, "127.0.0.5"),
            honest_keepalive(s, rounds=9, gap_s=2.0),
        )
        assert 10.0 - 0.1 <= fresh <= 10.0 + SLACK_S
        assert 10.0 - 0.1 <= quiet <= 10.0 + SLACK_S
        assert 15.0 - 0.1 <= kept <= 15.0 + SLACK_S
        assert honest == 9  # 18 s on one connection, never more than 2 s idle
        assert (await walker.ping()).t == 0.0  # the WebSocket outlived every deadline
        assert walker.closure is None
        await walker.close()
        assert s.app[METRICS].header_timeouts._value.get() == 2  # fresh and silent


async def test_unfinished_connections_per_address_are_capped(settings: Settings) -> None:
    """Connections still without a head after a second count against their address."""
    quick = replace(settings, pending_per_address=5, header_timeout_s=3.0)
    async with served(quick) as s:
        held = [await s.open("127.0.0.6") for _ in range(5)]
        await asyncio.sleep(COUNT_AFTER_S + 0.2)
        assert s.app[ADMISSION].holding("127.0.0.6") == (0, 5)
        reader, writer = await s.open("127.0.0.6")
        started = time.monotonic()
        answer = await asyncio.wait_for(reader.read(), 3.0)
        assert answer.startswith(b"HTTP/1.1 429") and b"Retry-After: 1" in answer
        assert COUNT_AFTER_S - 0.1 <= time.monotonic() - started <= COUNT_AFTER_S + SLACK_S
        writer.close()
        other_reader, other_writer = await s.open("127.0.0.7")  # another address: served
        assert (await request(other_reader, other_writer)).startswith(b"HTTP/1.1 200")
        other_writer.close()
        for held_reader, _ in held:
            await closed_after(held_reader, started, 3.0 + SLACK_S)
        assert s.app[ADMISSION].holding("127.0.0.6") == (0, 0)  # released when they close
        for _, held_writer in held:
            held_writer.close()
        refused = s.app[METRICS].admission_refusals.labels("pending")._value.get()
        assert refused == 1


async def test_a_crowd_connecting_at_once_from_one_address_is_not_refused(
    settings: Settings,
) -> None:
    """Accepted in one batch, none read yet: honest heads arrive long before they count."""
    quick = replace(settings, pending_per_address=5)
    async with served(quick) as s:
        opened = await asyncio.gather(*(s.open("127.0.0.12") for _ in range(60)))
        heads = await asyncio.gather(*(request(r, w) for r, w in opened))
        assert all(head.startswith(b"HTTP/1.1 200") for head in heads)
        for _, writer in opened:
            writer.close()
        assert s.app[METRICS].admission_refusals.labels("pending")._value.get() == 0


async def test_a_finished_head_releases_the_connection_from_the_gate(settings: Settings) -> None:
    quick = replace(settings, pending_per_address=2, header_timeout_s=1.0)
    async with served(quick) as s:
        reader, writer = await s.open("127.0.0.8")
        await request(reader, writer)
        assert s.app[ADMISSION].holding("127.0.0.8") == (0, 0)
        await asyncio.sleep(1.5)  # past the head deadline, inside keep-alive: still open
        assert (await request(reader, writer)).startswith(b"HTTP/1.1 200")
        writer.close()


def test_only_a_get_of_the_websocket_path_goes_to_the_websocket_transport() -> None:
    ws = b"\r\nHost: x\r\nUpgrade: websocket\r\n\r\n"
    assert _asks_for(b"GET /ws HTTP/1.1" + ws, b"/ws")
    assert _asks_for(b"\r\nGET /ws?v=2 HTTP/1.1" + ws, b"/ws")
    for line in (b"POST /ws HTTP/1.1", b"GET /wsx HTTP/1.1", b"GET /ws", b"GET / HTTP/1.1"):
        assert not _asks_for(line + ws, b"/ws"), line


async def test_an_overlong_head_is_refused_by_the_gate(settings: Settings) -> None:
    """The gate holds at most ``HEAD_MAX`` bytes of a head: past it, 431 and closed (not
    handed on, where no deadline would bound the rest of the head)."""
    async with served(settings) as site:
        reader, writer = await site.open()
        writer.write(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
        for i in range(HEAD_MAX // 4000 + 2):
            writer.write(b"X-Filler-%d: %s\r\n" % (i, b"a" * 4000))
        async with asyncio.timeout(10):
            head = await reader.readuntil(b"\r\n\r\n")
        assert head.split(b" ")[1] == b"431", head
        assert await reader.read() == b""
        writer.close()
