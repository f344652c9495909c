"""Two real server processes on a real 3-master Redis Cluster (``redis+cluster://``): visitors
on either see and hear each other, presence travels by sharded pub/sub (``SPUBLISH`` /
``SSUBSCRIBE``) spread over more than one master with no broadcast ``PUBLISH`` at all, and a
reconnect resumes on the other process (resume records routed to their slots' masters)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.ws.client import PresenceClient
from srichan_world.protocol.messages import ChatSaid
from tests.scale.conftest import Server, join, serve
from tests.scale.test_shared_presence import sees
from tools import redis_servers

pytestmark = pytest.mark.redis


@pytest.fixture
async def pair(
    scene_dir: Path, tmp_path: Path, cluster: redis_servers.RedisClusterNodes
) -> AsyncIterator[tuple[Server, Server]]:
    async with (
        serve(scene_dir, cluster.url, tmp_path / "a.log") as a,
        serve(scene_dir, cluster.url, tmp_path / "b.log") as b,
    ):
        yield a, b


def node_stats(cluster: redis_servers.RedisClusterNodes) -> list[dict[str, int]]:
    """Per master: presence channels subscribed there, and SPUBLISH / PUBLISH calls."""
    stats = []
    for node in cluster.nodes:
        with node.client() as c:
            channels = c.execute_command("PUBSUB", "SHARDCHANNELS", "srichan:p:*")
            commands = c.info("commandstats")
        stats.append(
            {
                "channels": len(channels),
                "spublish": commands.get("cmdstat_spublish", {}).get("calls", 0),
                "publish": commands.get("cmdstat_publish", {}).get("calls", 0),
            }
        )
    return stats


async def test_presence_spreads_over_the_masters_by_sharded_pub_sub(
    pair: tuple[Server, Server], cluster: redis_servers.RedisClusterNodes
) -> None:
    a, b = pair
    alice = await join(a, "อลิสบนเอ")
    bob = await join(b, "บ๊อบบนบี")
    try:
        me, other = alice.welcome.avatar_id, bob.welcome.avatar_id  # type: ignore[union-attr]
        assert me >> 12 != other >> 12
        await sees(alice, other, timeout=10.0)
        await sees(bob, me, timeout=10.0)
        for i, x in enumerate((101.0, 102.5, 104.0)):
            await alice.move(x, 2.0 + i * 0.1)
            await sees(bob, me, (round(x * 100), round((2.0 + i * 0.1) * 100)))
        await bob.chat("สวัสดีผ่านคลัสเตอร์")
        said = await alice.next(ChatSaid, 5.0)
        assert (said.avatar_id, said.text) == (other, "สวัสดีผ่านคลัสเตอร์")

        stats = node_stats(cluster)
        assert sum(s["publish"] for s in stats) == 0, f"a broadcast PUBLISH was sent: {stats}"
        assert sum(1 for s in stats if s["channels"]) >= 2, f"cells on one master: {stats}"
        assert sum(1 for s in stats if s["spublish"]) >= 2, f"one master carried it: {stats}"
    finally:
        await alice.close()
        await bob.close()


async def test_a_visitor_resumes_on_the_other_process_on_the_cluster(
    pair: tuple[Server, Server],
) -> None:
    a, b = pair
    watcher = await join(a, "ผู้ชม")
    walker = await join(a, "นักเดิน")
    try:
        token = walker.welcome.resume_token  # type: ignore[union-attr]
        old = walker.welcome.avatar_id  # type: ignore[union-attr]
        await walker.move(101.5, 2.5)
        await walker.ping()
        await walker.drop()  # and at once to the other process
        back = await PresenceClient.connect(b.ws)
        welcome = await back.hello("นักเดิน", (1, 2, 3), resume=token)
        assert welcome.resumed and (welcome.x, welcome.z) == (101.5, 2.5)
        assert welcome.avatar_id >> 12 != old >> 12
        await sees(watcher, welcome.avatar_id, (10150, 250), timeout=10.0)
        async with asyncio.timeout(5):
            while old in watcher.avatars:
                await asyncio.sleep(0.02)
        await back.close()
    finally:
        await watcher.close()
