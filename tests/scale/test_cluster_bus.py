"""The sharded bus (server/bus/cluster.py) on a real 3-master cluster: channels land on their
slots' masters, a message reaches the other endpoint and never its sender, keys are put on
their masters, and a slot moved to another master (as resharding does) is followed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.crc import key_slot

from server.bus.cluster import ClusterBus
from tools import redis_servers

pytestmark = pytest.mark.redis


@pytest.fixture
async def buses(cluster: redis_servers.RedisClusterNodes) -> AsyncIterator[list[ClusterBus]]:
    pair = [ClusterBus(cluster.url), ClusterBus(cluster.url)]
    for bus in pair:
        await bus.start()
        await bus.wait_connected(10)
    yield pair
    for bus in pair:
        await bus.close()


async def heard(inbox: asyncio.Queue[bytes], timeout: float = 5.0) -> bytes:
    return await asyncio.wait_for(inbox.get(), timeout)


def owner_of(cluster: redis_servers.RedisClusterNodes, slot: int) -> redis_servers.RedisServer:
    for node in cluster.nodes:
        with node.client() as c:
            for start, end, master, *_ in c.execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return next(n for n in cluster.nodes if n.port == int(master[1]))
    raise AssertionError(f"slot {slot} has no master")


async def test_messages_go_by_their_channels_masters(
    buses: list[ClusterBus], cluster: redis_servers.RedisClusterNodes
) -> None:
    a, b = buses
    assert len(a.masters) == 3
    channels = [f"srichan:p:srichan:{cell}" for cell in range(12)]
    inbox: asyncio.Queue[bytes] = asyncio.Queue()
    echo: asyncio.Queue[bytes] = asyncio.Queue()
    for name in channels:
        await b.subscribe(name, inbox.put_nowait)
        await a.subscribe(name, echo.put_nowait)
    await asyncio.sleep(0.2)
    assert await a.publish_many((name, name.encode()) for name in channels) == 12
    got = {await heard(inbox) for _ in channels}
    assert got == {name.encode() for name in channels}
    assert echo.empty(), "an endpoint never hears itself"
    used = set()
    for name in channels:
        node = owner_of(cluster, key_slot(name.encode()))
        with node.client() as c:
            assert c.execute_command("PUBSUB", "SHARDNUMSUB", name)[1] == 2, name
        used.add(node.port)
    assert len(used) >= 2, "twelve cells all on one master"
    assert a.put([("srichan:resume:abc", b"state", 30_000)])
    await asyncio.sleep(0.2)
    with owner_of(cluster, key_slot(b"srichan:resume:abc")).client() as c:
        assert c.get("srichan:resume:abc") == "state"


async def test_a_moved_slot_is_followed(
    buses: list[ClusterBus], cluster: redis_servers.RedisClusterNodes
) -> None:
    """``CLUSTER SETSLOT … NODE`` moves a channel's slot to another master (what a reshard
    does for a slot without keys): the old master unsubscribes its subscribers, both buses
    read the slot map again, and messages flow through the new master."""
    a, b = buses
    channel = "srichan:p:srichan:7"
    slot = key_slot(channel.encode())
    inbox: asyncio.Queue[bytes] = asyncio.Queue()
    await b.subscribe(channel, inbox.put_nowait)
    await asyncio.sleep(0.2)
    await a.publish(channel, b"before")
    assert await heard(inbox) == b"before"

    source = owner_of(cluster, slot)
    target = next(n for n in cluster.nodes if n.port != source.port)
    with target.client() as t:
        target_id = t.execute_command("CLUSTER", "MYID")
    for node in (target, source, *[n for n in cluster.nodes if n not in (target, source)]):
        with node.client() as c:
            c.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)
    async with asyncio.timeout(10):
        while b.refreshes == 0 or not b.connected:
            await asyncio.sleep(0.05)
    with target.client() as c:
        async with asyncio.timeout(10):
            while c.execute_command("PUBSUB", "SHARDNUMSUB", channel)[1] != 1:
                await asyncio.sleep(0.05)
    async with asyncio.timeout(10):  # the publisher learns of it from MOVED, or sooner
        while True:
            await a.publish(channel, b"after")
            try:
                if await heard(inbox, 0.3) == b"after":
                    break
            except TimeoutError:
                continue
    assert owner_of(cluster, slot).port == target.port
    assert a.refreshes >= 1, "the publisher followed the slot too"
