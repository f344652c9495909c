"""Slowloris and silent connections against the real server process."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.abuse.conftest import ATTACKER, HONEST, Street

pytestmark = pytest.mark.slow

HEADER_DEADLINE_S = 10.0
SLACK_S = 2.0


async def closed_after(reader: asyncio.StreamReader, started: float) -> float:
    async with asyncio.timeout(60):
        try:
            while await reader.read(4096):
                pass
        except ConnectionResetError:
            pass
    return time.monotonic() - started


async def slowloris(street: Street) -> float:
    """One header line every 3 s (measured on main: still open after 46 s)."""
    reader, writer = await street.open(ATTACKER)
    started = time.monotonic()
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    async def drip() -> None:
        for i in range(100):
            await asyncio.sleep(3.0)
            writer.write(f"X-Drip-{i}: 1\r\n".encode())

    dripping = asyncio.create_task(drip())
    try:
        return await closed_after(reader, started)
    finally:
        dripping.cancel()
        writer.close()


async def silent(street: Street, n: int) -> tuple[list[float], int]:
    """``n`` connections that never send a byte (on main: never closed): when each closed,
    and how many were answered 429 on the way."""
    opened = [await street.open("127.0.0.21") for _ in range(n)]
    started = time.monotonic()
    answers = await asyncio.gather(*(_answer(reader, started) for reader, _ in opened))
    for _, writer in opened:
        writer.close()
    return [t for t, _ in answers], sum(refused for _, refused in answers)


async def _answer(reader: asyncio.StreamReader, started: float) -> tuple[float, bool]:
    data = b""
    async with asyncio.timeout(60):
        try:
            while chunk := await reader.read(4096):
                data += chunk
        except ConnectionResetError:
            pass
    return time.monotonic() - started, data.startswith(b"HTTP/1.1 429")


async def honest_requests(street: Street, until: asyncio.Event) -> list[float]:
    """An honest visitor's page requests from another address meanwhile: their latencies."""
    latencies = []
    while not until.is_set():
        started = time.monotonic()
        reader, writer = await street.open(HONEST)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        async with asyncio.timeout(10):
            answer = await reader.read()
        assert answer.startswith(b"HTTP/1.1 200")
        latencies.append(time.monotonic() - started)
        writer.close()
        await asyncio.sleep(0.5)
    return latencies


async def test_slowloris_and_300_silent_connections_are_dropped_within_the_deadline(
    street: Street,
) -> None:
    done = asyncio.Event()
    honest = asyncio.create_task(honest_requests(street, done))
    loris, (closes, refused) = await asyncio.gather(slowloris(street), silent(street, 300))
    done.set()
    latencies = await honest
    print(
        f"\nslowloris closed after {loris:.1f} s; 300 silent: {refused} refused with 429 "
        f"(first at {min(closes):.1f} s), the last closed after {max(closes):.1f} s; honest "
        f"requests meanwhile: {len(latencies)}, slowest {max(latencies) * 1000:.0f} ms"
    )
    assert HEADER_DEADLINE_S - 0.1 <= loris <= HEADER_DEADLINE_S + SLACK_S
    assert max(closes) <= HEADER_DEADLINE_S + SLACK_S
    assert refused == 300 - 128  # over the pending limit: answered after a second, not held
    assert max(latencies) < 1.0 and len(latencies) >= 10
    metrics = await street.metrics()
    assert metrics["srichan_header_timeouts_total"] == 1 + 128
    assert metrics['srichan_admission_refusals_total{reason="pending"}'] == refused
