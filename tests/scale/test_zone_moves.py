"""Zoned workers (``--workers 2 --zoning zoned``): each process serves one half of the street,
and a visitor that walks into the other half is asked to move there (``zone``), reconnects to
``/ws?zone=k`` with its resume token and carries on from the same place, under the other
process. Two real worker processes on one port, a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgpack
import pytest

from server.bus.presence_relay import LANE_SHIFT
from server.ws.client import PresenceClient
from srichan_world.protocol.zone_messages import ZoneMove
from tests.scale.conftest import Server, serve, until
from tools import redis_servers

pytestmark = pytest.mark.redis

OPEN = (
    "--hellos-per-minute", "100000", "--hello-burst", "100000",
    "--ws-per-address", "100000", "--pending-per-address", "100000",
)  # fmt: skip
EDGE_X = 96.0
"""The test street's interest grid is 13 columns of 16 m from x 0: zone 1 starts at column 6.
A visitor is settled in a zone from 8 m past its edge; both visitors arrive at B01's counter
(x 100), near the edge, settled in neither."""


@pytest.fixture
async def zoned(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> AsyncIterator[Server]:
    args = ("--workers", "2", "--zoning", "zoned", *OPEN)
    async with serve(scene_dir, redis.url, tmp_path / "zoned.log", *args) as server:
        yield server


async def walk(client: PresenceClient, start: float, end: float, z: float) -> None:
    """Walk along ``z`` from ``start`` to ``end`` at 20 m/s (the test server allows 50)."""
    x = start
    step = 2.0 if end > start else -2.0
    while (x < end) if step > 0 else (x > end):
        x = min(x + step, end) if step > 0 else max(x + step, end)
        await client.move(x, z, 90.0)
        await asyncio.sleep(0.1)
    await client.ping()


async def no_zone_move(client: PresenceClient, seconds: float) -> bool:
    """True when no ``zone`` came within ``seconds`` (a second's check runs twice or more)."""
    try:
        await client.next(ZoneMove, timeout=seconds)
    except TimeoutError:
        return True
    return False


async def test_a_visitor_walking_into_the_other_half_moves_there_and_keeps_its_place(
    zoned: Server,
) -> None:
    walker = await PresenceClient.connect(zoned.ws + "?zone=0")
    first = await walker.hello("นักเดิน", (1, 2, 3))
    lane0 = first.avatar_id >> LANE_SHIFT
    # a visitor already standing in zone 1, served there
    watcher = await PresenceClient.connect(zoned.ws + "?zone=1")
    w = await watcher.hello("ผู้ชม", (4, 5, 6))
    lane1 = w.avatar_id >> LANE_SHIFT
    assert lane1 != lane0, "?zone=0 and ?zone=1 reached the same process"
    await walk(watcher, w.x, 150.0, 0.0)  # zone 1, its home
    try:
        # the walker goes west to 60 (its own half: nothing asked), then east past the edge
        await walk(walker, first.x, 60.0, 0.0)
        assert await no_zone_move(walker, 2.5)
        await walk(walker, 60.0, 130.0, 0.0)
        ask = await walker.next(ZoneMove, timeout=5.0)
        assert ask.zone == 1
        # as the browser does: a new socket to zone 1, hello with the resume token
        moved = await PresenceClient.connect(zoned.ws + f"?zone={ask.zone}")
        try:
            again = await moved.hello("นักเดิน", (1, 2, 3), resume=first.resume_token)
            assert again.resumed and again.name == "นักเดิน"
            assert abs(again.x - 130.0) < 0.02 and abs(again.z) < 0.02
            assert again.avatar_id >> LANE_SHIFT == lane1  # served by zone 1's process now
            closed = await walker.closed(timeout=5.0)  # the old socket: closed by the server
            assert closed.code == 4007
            # at home there: not asked again
            assert await no_zone_move(moved, 2.5)
            # and the watcher sees it where it stands, under its new id
            await moved.move(129.0, 0.0, 90.0)
            await moved.ping()
            await asyncio.sleep(0.5)
            seen = watcher.avatars.get(again.avatar_id)
            assert seen is not None and seen.name == "นักเดิน" and abs(seen.x - 12900) <= 1
            assert first.avatar_id not in watcher.avatars
        finally:
            await moved.close()
    finally:
        await watcher.close()


@pytest.mark.parametrize("query", ["?zone=abc", "?zone=-1", "?zone=99", "?zone=1&zone=0", "?"])
async def test_an_odd_zone_is_served_where_it_lands(zoned: Server, query: str) -> None:
    client = await PresenceClient.connect(zoned.ws + query)
    try:
        welcome = await client.hello("แปลก", (1, 2, 3))
        assert welcome.avatar_id > 0
        await client.move(welcome.x + 0.5, welcome.z, 90.0)
        await client.ping()
    finally:
        await client.close()


class FrameLog:
    """Who an observer sees, frame by frame (names by avatar id), from the raw frames."""

    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.frames: list[set[str]] = []

    def __call__(self, data: bytes) -> None:
        frame = msgpack.unpackb(data)
        reset, enters, leaves = frame[3], frame[4], frame[6]
        if reset:
            self.names.clear()
        for e in enters:
            self.names[e[0]] = e[5]
        for aid in leaves:
            self.names.pop(aid, None)
        self.frames.append(set(self.names.values()))

    def gaps(self, name: str) -> int:
        """Frames without ``name`` after the first frame with it."""
        first = next((i for i, seen in enumerate(self.frames) if name in seen), None)
        assert first is not None, f"{name} never seen"
        return sum(name not in seen for seen in self.frames[first:])


async def test_observers_on_both_sides_see_a_zone_move_without_a_gap(zoned: Server) -> None:
    """A visitor crossing into zone 1 becomes a new avatar there. Observers on both processes,
    near the edge, see it in every frame: the old avatar stays until the new one arrives and
    leaves in that frame (srichan_world/world/presence/sharing.py, ghosts)."""
    logs = {0: FrameLog(), 1: FrameLog()}
    observers = []
    try:
        for zone, x in ((0, 88.0), (1, 112.0)):
            client = await PresenceClient.connect(zoned.ws + f"?zone={zone}", on_frame=logs[zone])
            w = await client.hello(f"ผู้ชม{zone}", (4, 5, 6))
            await walk(client, w.x, x, 0.0)
            observers.append(client)
        walker = await PresenceClient.connect(zoned.ws + "?zone=0")
        first = await walker.hello("นักเดิน", (1, 2, 3))
        await walk(walker, first.x, 90.0, 0.0)
        # It arrived at B01 (x 100, column 6), where the zone 1 observer may see it before it
        # walks out of that one's sight (columns 6-8) to x 90: a real leave, not a zone
        # move's. Count from when it is out of that sight.
        await until(lambda: "นักเดิน" not in logs[1].names, timeout=5.0)
        for log in logs.values():
            log.frames.clear()
        await walk(walker, 90.0, 108.0, 0.0)  # settled in zone 1 from x 104
        ask = await walker.next(ZoneMove, timeout=5.0)
        moved = await PresenceClient.connect(zoned.ws + f"?zone={ask.zone}")
        try:
            again = await moved.hello("นักเดิน", (1, 2, 3), resume=first.resume_token)
            assert again.resumed and again.avatar_id != first.avatar_id
            await moved.move(107.0, 0.0, 90.0)
            await moved.ping()
            await asyncio.sleep(1.5)  # past the ghosts' second
            for zone, log in logs.items():
                assert log.gaps("นักเดิน") == 0, f"the observer on zone {zone} lost sight"
                assert list(log.names.values()).count("นักเดิน") == 1, "one avatar, not two"
        finally:
            await moved.close()
    finally:
        for client in observers:
            await client.close()
