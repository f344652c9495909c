"""The pub/sub bus between server processes, against a real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from server.bus.redis import BACKOFF_MAX_S, RedisBus, backoff
from server.redis_client import pubsub_url
from tests.scale.conftest import until
from tools import redis_servers


def test_bus_url_uses_one_node_of_a_cluster() -> None:
    assert pubsub_url("redis://127.0.0.1:6390/2") == "redis://127.0.0.1:6390/2"
    assert pubsub_url("rediss+cluster://:pw@node1:7000") == "rediss://:pw@node1:7000"
    with pytest.raises(ValueError):
        pubsub_url("127.0.0.1:6379")


def test_backoff_doubles_to_a_cap_with_jitter() -> None:
    assert backoff(1, lambda: 0.0) == pytest.approx(0.05)
    assert backoff(2, lambda: 1.0) == pytest.approx(0.2)
    assert backoff(40, lambda: 1.0) == BACKOFF_MAX_S
    assert len({backoff(5) for _ in range(10)}) > 1


@pytest.fixture
async def buses(redis: redis_servers.RedisServer) -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    one, two = RedisBus(redis.url), RedisBus(redis.url)
    for bus in (one, two):
        await bus.start()
        await bus.wait_connected(10)
    yield one, two
    for bus in (one, two):
        await bus.close()


@pytest.mark.redis
async def test_messages_reach_other_processes_but_never_echo(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    one, two = buses
    heard_one: list[bytes] = []
    heard_two: list[bytes] = []
    await one.subscribe("srichan:test", heard_one.append)
    await two.subscribe("srichan:test", heard_two.append)
    await two.subscribe("srichan:other", heard_two.append)
    await asyncio.sleep(0.1)  # the subscriptions reach Redis
    assert await one.publish("srichan:test", "สวัสดี".encode())
    assert await one.publish_many([("srichan:other", b"\x00\x01"), ("srichan:none", b"x")]) == 2
    await until(lambda: len(heard_two) == 2)
    assert heard_two == ["สวัสดี".encode(), b"\x00\x01"]
    assert heard_one == [], "a process ignores its own messages"
    await two.unsubscribe("srichan:other")
    await asyncio.sleep(0.1)
    await one.publish("srichan:other", b"late")
    await one.publish("srichan:test", b"marker")
    await until(lambda: heard_two[-1] == b"marker")
    assert b"late" not in heard_two


@pytest.mark.redis
async def test_the_bus_reconnects_resubscribes_and_catches_up(
    redis: redis_servers.RedisServer, buses: tuple[RedisBus, RedisBus]
) -> None:
    one, two = buses
    heard: list[bytes] = []
    caught_up: list[int] = []
    lost: list[str] = []

    async def catch_up() -> None:
        caught_up.append(1)

    await two.subscribe("srichan:test", heard.append)
    two.on_reconnect.append(catch_up)
    two.on_disconnect.append(lambda exc: lost.append(type(exc).__name__))
    redis.kill()
    await until(lambda: not two.connected)
    assert lost, "the reader noticed the connection drop"
    assert not await one.publish("srichan:test", b"while down")
    assert one.dropped == 1
    redis.start()
    await until(lambda: one.connected and two.connected, timeout=15)
    assert caught_up == [1]
    await asyncio.sleep(0.1)
    assert await one.publish("srichan:test", b"after")
    await until(lambda: heard == [b"after"])
