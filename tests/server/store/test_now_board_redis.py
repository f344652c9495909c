"""The *now* snapshots on a real redis-server and a real Redis Cluster: two boards (two
processes) see each other, a snapshot expires, a clean close withdraws at once, and the keys
share one hash slot so the reader's ``MGET`` works on a cluster."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from server.now_board import NowBoard
from server.redis_client import open_client
from srichan_world.scene.geometry import InterestGrid
from srichan_world.world.signals import Signals
from tools import redis_servers

pytestmark = pytest.mark.redis

GRID = InterestGrid(origin=(0.0, 0.0), cell=10.0, cols=4, rows=2)


def board(client: Any, process: str, positions: list[tuple[float, float]]) -> NowBoard:
    """A board over a stand-in street: ``positions`` are its sessions' avatars."""
    views = {i: SimpleNamespace(x=x, z=z, visitor_id=None) for i, (x, z) in enumerate(positions, 1)}
    world = SimpleNamespace(sessions=set(views), view=views.get)
    pump = SimpleNamespace(world=world)
    scene = SimpleNamespace(current=SimpleNamespace(manifest=SimpleNamespace(grid=GRID)))
    return NowBoard(pump, scene, client, process=process, ttl_s=0.6)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["redis_standalone", "redis_cluster"])
async def test_boards_see_each_other_and_a_silent_one_expires(
    request: pytest.FixtureRequest, kind: str
) -> None:
    servers: redis_servers.RedisServer | redis_servers.RedisClusterNodes = request.getfixturevalue(
        kind
    )
    servers.flush()
    client = open_client(servers.url)
    try:
        a = board(client, "host:1", [(1.0, 1.0)] * 3)
        b = board(client, "host:2", [(2.0, 2.0)] * 3 + [(35.0, 5.0)])
        c = board(client, "host:3", [])
        for each in (a, b, c):
            await each.publish()
        view = await a.view()
        assert view["complete"] and view["visitors"] == 7
        assert [p["process"] for p in view["processes"]] == ["host:1", "host:2", "host:3"]
        assert view["cells"] == [{"x": 5.0, "z": 5.0, "visitors": 6}]
        await c.close()
        assert len((await a.view())["processes"]) == 2, "a clean close leaves at once"
        await asyncio.sleep(0.8)  # b writes no more: its snapshot expires
        view = await a.view()
        assert [p["process"] for p in view["processes"]] == ["host:1"]
        names = await client.smembers("srichan:{now}:processes")
        assert names == {b"host:1"}, "the reader pruned the expired name"
    finally:
        await client.aclose()


@pytest.mark.parametrize("kind", ["redis_standalone", "redis_cluster"])
async def test_the_abuse_signals_of_every_process_add_up(
    request: pytest.FixtureRequest, kind: str
) -> None:
    """Three buyers on one process and two on another make five at B01: shown; each process's
    busiest address stays under five (hidden), and a process without signals is left out."""
    servers: redis_servers.RedisServer | redis_servers.RedisClusterNodes = request.getfixturevalue(
        kind
    )
    servers.flush()
    client = open_client(servers.url)
    try:
        a = board(client, "host:1", [])
        a.signals = lambda: Signals(3, (("B01", 4, 3, 2), ("B02", 1, 1, 1)))
        b = board(client, "host:2", [])
        b.signals = lambda: Signals(4, (("B01", 3, 2, 3),))
        c = board(client, "host:3", [])
        for each in (a, b, c):
            await each.publish()
        got = await a.signals_view()
        assert got["complete"] and [p["process"] for p in got["processes"]] == ["host:1", "host:2"]
        assert got["busiest_new_identities"] is None
        assert got["booths"] == [
            {"slot": "B01", "coupons": 7, "busiest_minute": 3},
            {"slot": "B02", "coupons": None, "busiest_minute": None},
        ]
    finally:
        await client.aclose()
