"""The presence relay's leases and resume states against a real redis-server."""

from __future__ import annotations

import asyncio
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
from srichan_world.protocol.codec import encode
from srichan_world.protocol.messages import Hello
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


async def on_lane(
    client: aioredis.Redis, redis: redis_servers.RedisServer, lane: int
) -> tuple[RedisBus, PresenceRelay]:
    """A connected bus, and a relay whose world shares the street on ``lane``."""
    bus = RedisBus(redis.url)
    await bus.start()
    await bus.wait_connected(10)
    relay = relay_for(client, bus)
    relay.lane = lane
    relay.world.share(*lane_ids(lane))
    return bus, relay


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
    bus, relay = await on_lane(client, redis, 2)
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
    bus, relay = await on_lane(client, redis, 3)
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


async def test_restating_a_held_avatar_never_undoes_another_process_taking_it(
    client: aioredis.Redis, redis: redis_servers.RedisServer
) -> None:
    """A process stalled past a handover's wait restates (at its next tick, every few
    seconds, at shutdown) an avatar another process has taken meanwhile: the stored state
    naming the new holder stays. Its own states, and absent ones, it writes as before; a
    visitor arriving (welcome, adoption) writes whatever is stored."""
    bus, relay = await on_lane(client, redis, 4)
    relay.world.connect(1, 0.0)
    relay.world.receive(1, encode(Hello(1, "นักเดิน", (3, 4, 5), cid=1)), 0.0)
    ((token, state),) = relay.world.resume_states()
    key = resume_key(token)
    me = relay.me.decode()
    other = [*state, "0123456789abcdef"]  # taken by another process

    async def stored_holder() -> str:
        await bus.publish("sync", b"")  # after the puts on the same connection
        await asyncio.sleep(0.05)
        return msgpack.unpackb(await client.get(key))[7]

    try:
        relay._write_resume_states([(token, state)], restate=True)
        assert await stored_holder() == me, "absent: written"
        await client.set(key, msgpack.packb(other), px=30_000)
        relay._write_resume_states([(token, state)], restate=True)
        assert await stored_holder() == "0123456789abcdef", "another's: left alone"
        relay._write_resume_states(relay.world.resume_states(), holder=False, restate=True)
        assert await stored_holder() == "0123456789abcdef", "at shutdown too"
        relay._write_resume_states([(token, state)])  # the visitor is here now
        assert await stored_holder() == me
        relay._write_resume_states([(token, state)], restate=True)
        assert await stored_holder() == me, "its own: written"
    finally:
        await bus.close()


async def test_a_state_written_just_after_the_lookup_is_still_found(
    client: aioredis.Redis, redis: redis_servers.RedisServer
) -> None:
    """The last process's write reaches Redis on another connection and may be served after
    this process's lookup: an absent state is looked up again for a moment."""
    bus, relay = await on_lane(client, redis, 5)
    token = "resume-token-written-late"
    state = [1500, -250, 64, 1, "นักเดิน", [3, 4, 5], ""]
    hello = msgpack.packb([1, 7, 1, "นักเดิน", [3, 4, 5], token, None, None])
    try:
        looking = asyncio.create_task(relay.before_hello(hello))
        await asyncio.sleep(0.03)
        await client.set(resume_key(token), msgpack.packb(state), px=30_000)
        await looking
        assert relay.world.knows_token(token)
        record = msgpack.unpackb(await client.get(resume_key(token)))
        assert record[7] == relay.me.decode(), "in Redis, naming its holder, before the welcome"
    finally:
        await bus.close()
