"""A reconnect resumes its place on any worker: 1,000 reconnects that each switch between two
real server processes on one real Redis, under load, and none of them misses (same place,
same name, resumed); then reconnects to the same process.

Each reconnect is the hard case: the visitor moves, the server has the move (a ping answered
after it), the connection drops without a goodbye and the *next* hello goes at once to the
other process, before the first has ticked (so before the old drop-time write of the resume
state could have reached Redis). Walking bots on both processes keep the event loops busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from server.ws.client import PresenceClient
from tests.scale.conftest import B01_COUNTER, Server, serve
from tools import redis_servers
from tools.bench.presence import _Lean

pytestmark = pytest.mark.redis

RECONNECTS = 1_000
SAME_WORKER = 200
WALKERS = 10
"""Visitors reconnecting at once, each its share of the reconnects in turn."""
LOAD_BOTS = 100
"""Bots per process walking at 10 Hz the whole time."""
OPEN = (
    "--resume-window-s", "30",
    "--hellos-per-minute", "100000", "--hello-burst", "100000",
    "--ws-per-address", "100000", "--pending-per-address", "100000",
)  # fmt: skip
"""One test address makes every connection: the per-address door is opened wide here (its
own tests attack it); the resume window is the default."""


@dataclass
class Tally:
    done: int = 0
    misses: list[str] = field(default_factory=list)
    handed_elapsed: list[float] = field(default_factory=list)


@pytest.fixture
async def pair(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> AsyncIterator[tuple[Server, Server]]:
    async with (
        serve(scene_dir, redis.url, tmp_path / "a.log", *OPEN) as a,
        serve(scene_dir, redis.url, tmp_path / "b.log", *OPEN) as b,
    ):
        yield a, b


@contextlib.asynccontextmanager
async def load(servers: tuple[Server, ...], stop: asyncio.Event) -> AsyncIterator[None]:
    """``LOAD_BOTS`` lean bots per process walking small circles near the spawn at 10 Hz."""
    bots: list[_Lean] = []
    for i in range(LOAD_BOTS * len(servers)):
        bot = await _Lean.connect(servers[i % len(servers)].ws, lambda _frame: None)
        await bot.hello(f"บอท{i}", (1, 2, 3))
        bots.append(bot)

    async def walk() -> None:
        t = 0
        while not stop.is_set():
            t += 1
            for i, bot in enumerate(bots):
                x = B01_COUNTER[0] + 0.4 * ((t + i) % 5)
                await bot.move(x, B01_COUNTER[1] - 1.0 - 0.2 * (i % 5), 90.0, 1)
            await asyncio.sleep(0.1)

    walking = asyncio.create_task(walk())
    try:
        yield
    finally:
        stop.set()
        await walking
        for bot in bots:
            await bot.close()


async def walker(n: int, servers: list[Server], count: int, tally: Tally, switch: bool) -> None:
    """One visitor reconnecting ``count`` times, to the other process each time when
    ``switch``, else always to the first; every miss is written down."""
    rng = random.Random(n)
    name = f"ผู้เดิน{n}"
    token: str | None = None
    where: tuple[float, float] | None = None
    for k in range(count + 1):
        server = servers[(n + k) % 2] if switch else servers[0]
        client = await PresenceClient.connect(server.ws)
        try:
            started = time.monotonic()
            welcome = await client.hello(name, (1, 2, 3), resume=token, timeout=20.0)
            if token is not None:
                tally.done += 1
                assert where is not None
                off = abs(welcome.x - where[0]) + abs(welcome.z - where[1])
                if not welcome.resumed or off > 0.011 or welcome.name != name:
                    tally.misses.append(
                        f"walker {n} reconnect {k}: resumed={welcome.resumed} at "
                        f"({welcome.x}, {welcome.z}), expected {where}, name {welcome.name}"
                    )
                tally.handed_elapsed.append(time.monotonic() - started)
            token = welcome.resume_token
            # a step from where it stands, then a ping: the server has the move
            x = round(min(103.0, max(99.0, welcome.x + rng.uniform(-0.3, 0.3))), 2)
            z = round(min(4.0, max(2.0, welcome.z + rng.uniform(-0.3, 0.3))), 2)
            await client.move(x, z, 45.0)
            await client.ping(timeout=20.0)
            where = (x, z)
        finally:
            await client.drop()  # no goodbye: the avatar waits for its resume


async def test_a_thousand_reconnects_resume_on_the_other_worker_under_load(
    pair: tuple[Server, Server],
) -> None:
    a, b = pair
    tally = Tally()
    started = time.monotonic()
    async with load((a, b), asyncio.Event()), asyncio.timeout(120):
        share = RECONNECTS // WALKERS
        await asyncio.gather(*(walker(n, [a, b], share, tally, True) for n in range(WALKERS)))
        cross = tally.done
        same = [
            walker(WALKERS + n, [a], SAME_WORKER // WALKERS, tally, False) for n in range(WALKERS)
        ]
        await asyncio.gather(*same)
    elapsed = time.monotonic() - started
    assert cross == RECONNECTS and tally.done == RECONNECTS + SAME_WORKER
    assert tally.misses == [], f"{len(tally.misses)} misses: {tally.misses[:10]}"
    slowest = max(tally.handed_elapsed)
    print(
        f"{tally.done} reconnects, 0 misses in {elapsed:.1f} s; hello→welcome median "
        f"{sorted(tally.handed_elapsed)[len(tally.handed_elapsed) // 2] * 1e3:.1f} ms, "
        f"max {slowest * 1e3:.0f} ms"
    )
