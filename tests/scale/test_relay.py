"""The presence relay's leases and resume states against a real redis-server."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import msgpack
import pytest
import redis.asyncio as aioredis

from server.bus.presence_relay import (
    HANDOVER_WAIT_S,
    LANES,
    PresenceRelay,
    lane_ids,
    resume_key,
)
from server.bus.redis import RedisBus
from srichan_world.world.presence import PresenceSettings, PresenceWorld
from tests.world.test_presence import manifest
from tools import redis_servers

pytestmark = pytest.mark.redis


@pytest.fixture
async def client(redis: redis_servers.RedisServer) -> AsyncIterator[aioredis.Redis]:
    c = aioredis.Redis.from_url(redis.url)
    yield c
    await c.aclose()


def relay_for(client: aioredis.Redis, bus: RedisBus) -> PresenceRelay:
    world = PresenceWorld(manifest([(5.0, 0.0)]), PresenceSettings())
    presence = SimpleNamespace(world=world, news_hooks=[], hello_hook=None, apply=lambda _e: None)
    return PresenceRelay(presence, bus, client, "ab" * 32, 30.0)  # type: ignore[arg-type]


async def test_sixteen_processes_lease_the_lanes_and_a_seventeenth_is_refused(
    client: aioredis.Redis, redis: redis_servers.RedisServer
) -> None:
    relays = [relay_for(client, RedisBus(redis.url)) for _ in range(LANES + 1)]
    lanes = [await r._lease_lane() for r in relays[:LANES]]
    assert sorted(lanes) == list(range(LANES))
    with pytest.raises(RuntimeError, match="all 16 avatar id lanes are taken"):
        await relays[LANES]._lease_lane()
    relays[3].lane = lanes[3]
    await relays[3].close()  # a clean stop gives its lane back
    assert await relays[LANES]._lease_lane() == lanes[3]


async def test_a_resume_state_in_redis_is_adopted_once(
    client: aioredis.Redis, redis: redis_servers.RedisServer
) -> None:
    bus = RedisBus(redis.url)
    await bus.start()
    await bus.wait_connected(10)
    relay = relay_for(client, bus)
    relay.lane = 2
    relay.world.share(*lane_ids(2))
    token = "resume-token-from-another-process"
    state = [1500, -250, 64, 1, "นักเดิน", [3, 4, 5]]
    await client.set(resume_key(token), msgpack.packb(state), px=30_000)
    hello = msgpack.packb([1, 7, 1, "นักเดิน", [3, 4, 5], token, None, None])
    try:
        await relay.before_hello(hello)
        assert relay.world.knows_token(token)
        (saved,) = [s for t, s in relay.world.resume_states() if t == token]
        assert saved == [*state, ""], "as kept, with no owner: an anonymous visitor's state"
        record = msgpack.unpackb(await client.get(resume_key(token)))
        assert record == [*state, "", relay.me.decode()], "taken: it names its new holder"
        relay.world.release(token)
        await relay.before_hello(hello)  # ours, and gone from here: nothing to adopt
        assert not relay.world.knows_token(token)
    finally:
        await bus.close()


async def test_a_state_whose_holder_is_gone_is_adopted_after_the_bounded_wait(
    client: aioredis.Redis, redis: redis_servers.RedisServer
) -> None:
    """The process named in the record crashed: nobody answers the want, so after
    ``HANDOVER_WAIT_S`` the stored state is taken (and only then)."""
    bus = RedisBus(redis.url)
    await bus.start()
    await bus.wait_connected(10)
    relay = relay_for(client, bus)
    relay.lane = 3
    relay.world.share(*lane_ids(3))
    await relay.start()
    token = "resume-token-of-a-crashed-process"
    state = [1500, -250, 64, 1, "นักเดิน", [3, 4, 5], "", "0123456789abcdef"]
    await client.set(resume_key(token), msgpack.packb(state), px=30_000)
    hello = msgpack.packb([1, 7, 1, "นักเดิน", [3, 4, 5], token, None, None])
    try:
        started = time.monotonic()
        await relay.before_hello(hello)
        waited = time.monotonic() - started
        assert relay.world.knows_token(token)
        assert HANDOVER_WAIT_S <= waited < HANDOVER_WAIT_S + 1.0
        assert (relay.handover_timeouts, relay.resumed, relay.resumed_handed) == (1, 1, 0)
    finally:
        await relay.close()
        await bus.close()
