"""Messages between the server processes of one street, over Redis publish/subscribe.

Every process holds one :class:`RedisBus`: one connection that subscribes to the channels this
process cares about, and a client for publishing. A message carries the sending bus's origin
id, so a process never acts on its own echo. Pub/sub is fire and forget: a message published
while a process is disconnected is lost to it, so each user of the bus also has a way to
catch up (``on_reconnect``) and the durable state stays in the store.

The bus reconnects by itself after Redis goes away, with capped exponential backoff and
jitter, and subscribes again to every channel it had. Publishing never raises: while Redis is
away a publish is dropped and counted (presence must keep moving without it).

On a Redis Cluster the bus talks to the node named in the URL: a cluster delivers ``PUBLISH``
to subscribers on every node.

:class:`BoothNotices` is the first user: a booth changed by one process (an owner's publish, a
coupon taken) reaches visitors on every other process at once, instead of on the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError

from server.booths import BoothService, BoothUpdate

log = logging.getLogger(__name__)

ORIGIN_BYTES = 8
BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 5.0
BOOTH_CHANNEL = "srichan:booths"

Listener = Callable[[bytes], None]
"""Called with a message's payload (the origin stripped), on the event loop, without
awaiting: it must not block."""


def bus_url(store_url: str) -> str:
    """The pub/sub URL for a Redis store URL (a cluster URL names one of its nodes)."""
    scheme, sep, rest = store_url.partition("://")
    if not sep:
        raise ValueError(f"not a Redis URL: {store_url!r}")
    if scheme.endswith("+cluster"):
        return f"{scheme.removesuffix('+cluster')}://{rest}"
    return store_url


def backoff(failures: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``failures`` failed tries in a row: doubling from 0.1 s, capped at
    5 s, with "equal jitter" (half fixed, half random) so processes do not reconnect in step."""
    base = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, failures - 1))
    return base / 2 + rng() * base / 2


class RedisBus:
    """One process's end of the street's pub/sub. :meth:`start` it inside the event loop."""

    def __init__(self, url: str, *, origin: bytes | None = None) -> None:
        self.url = url
        self.origin = origin or os.urandom(ORIGIN_BYTES)
        if len(self.origin) != ORIGIN_BYTES:
            raise ValueError(f"origin must be {ORIGIN_BYTES} bytes")
        self.connected = False
        self.received = 0
        self.published = 0
        self.dropped = 0
        """Publishes lost while Redis was away."""
        self.on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self.on_disconnect: list[Callable[[BaseException], None]] = []
        self._listeners: dict[str, list[Listener]] = {}
        self._client: Any = None
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._ever_connected = False

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._client = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=2.0, socket_timeout=2.0
        )
        self._reader = asyncio.create_task(self._read_forever())

    async def wait_connected(self, timeout: float) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._drop_pubsub()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- subscribing ------------------------------------------------------------------------

    async def subscribe(self, channel: str, listener: Listener) -> None:
        """Call ``listener`` with every message on ``channel`` from other processes."""
        first = channel not in self._listeners
        self._listeners.setdefault(channel, []).append(listener)
        if first and self.connected:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.subscribe(channel)  # else the reconnect subscribes it

    async def unsubscribe(self, channel: str) -> None:
        """Stop listening to ``channel`` altogether."""
        if self._listeners.pop(channel, None) is not None and self.connected:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(channel)

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(self._listeners)

    # -- publishing -------------------------------------------------------------------------

    async def publish(self, channel: str, payload: bytes) -> bool:
        """Send ``payload`` to every other process listening on ``channel``; False if lost."""
        return await self.publish_many(((channel, payload),)) == 1

    async def publish_many(self, messages: Any) -> int:
        """Send ``(channel, payload)`` pairs in one round trip; returns how many went out."""
        origin = self.origin
        batch = [(channel, origin + payload) for channel, payload in messages]
        if not batch:
            return 0
        if self._client is None or not self.connected:
            self.dropped += len(batch)
            return 0
        try:
            if len(batch) == 1:
                await self._client.publish(*batch[0])
            else:
                async with self._client.pipeline(transaction=False) as pipe:
                    for channel, data in batch:
                        pipe.publish(channel, data)
                    await pipe.execute()
        except (RedisError, OSError):
            self.dropped += len(batch)
            return 0
        self.published += len(batch)
        return len(batch)

    # -- the reader -------------------------------------------------------------------------

    async def _read_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self._connect()
                failures = 0
                await self._read()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self.connected:
                    log.warning("pub/sub connection lost (%s); reconnecting", exc)
                    for callback in list(self.on_disconnect):
                        callback(exc)
                self.connected = False
                self._ready.clear()
                failures += 1
            await self._drop_pubsub()
            await asyncio.sleep(backoff(failures))

    async def _connect(self) -> None:
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        channels = list(self._listeners)
        if channels:
            await self._pubsub.subscribe(*channels)
        else:
            await self._pubsub.ping()
        reconnected, self._ever_connected = self._ever_connected, True
        self.connected = True
        self._ready.set()
        if reconnected:
            for callback in list(self.on_reconnect):
                try:
                    await callback()
                except Exception:
                    log.exception("pub/sub catch-up failed")

    async def _read(self) -> None:
        pubsub = self._pubsub
        origin = self.origin
        while True:
            if not pubsub.subscribed:  # nothing to read yet: get_message would not wait
                await asyncio.sleep(0.05)
                continue
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is None or message["type"] != "message":
                continue
            data = message["data"]
            if data[:ORIGIN_BYTES] == origin:
                continue
            self.received += 1
            channel = message["channel"].decode()
            for listener in self._listeners.get(channel, ()):
                try:
                    listener(data[ORIGIN_BYTES:])
                except Exception:
                    log.exception("pub/sub listener for %s failed", channel)

    async def _drop_pubsub(self) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(Exception):
                await self._pubsub.aclose()
            self._pubsub = None


class BoothNotices:
    """Tell the other processes when a booth changed here; refresh it when they tell us.

    A notice is ``<slot> <version>``. Each process still polls the store's booth versions (a
    missed notice only delays a change until the poll), and refreshes every booth after its
    bus reconnects.
    """

    def __init__(self, service: BoothService, bus: RedisBus) -> None:
        self.service = service
        self.bus = bus
        self.told: dict[str, int] = {}
        """Per slot, the highest version announced by anyone: never announced again."""
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.service.subscribe(self.changed_here)
        await self.bus.subscribe(BOOTH_CHANNEL, self.heard)
        self.bus.on_reconnect.append(self.catch_up)

    def changed_here(self, update: BoothUpdate) -> None:
        version = update.message.version
        if self.told.get(update.slot, -1) >= version:
            return  # the change came from another process (or was told already)
        self.told[update.slot] = version
        self._spawn(self.bus.publish(BOOTH_CHANNEL, f"{update.slot} {version}".encode()))

    def heard(self, payload: bytes) -> None:
        try:
            slot, version_text = payload.decode().split(" ")
            version = int(version_text)
        except ValueError:
            log.warning("ignoring a malformed booth notice %r", payload[:80])
            return
        if slot not in self.service.slots or self.told.get(slot, -1) >= version:
            return
        self.told[slot] = version
        self._spawn(self.service.refresh(slot))

    async def catch_up(self) -> None:
        await self.service.refresh()

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("booth notice work failed: %s", task.exception())


BUS = web.AppKey("redis_bus", RedisBus)


def setup_fanout(app: web.Application, store_url: str) -> RedisBus | None:
    """With a Redis store, join this process to the street's pub/sub (``None`` otherwise).

    Call after :func:`server.booths.setup_booths`; the bus starts after the store opened.
    """
    from server.booths import BOOTHS
    from server.store import REDIS_SCHEMES

    if store_url.partition("://")[0] not in REDIS_SCHEMES:
        return None
    bus = RedisBus(bus_url(store_url))
    app[BUS] = bus

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        await bus.start()
        if BOOTHS in app:
            await BoothNotices(app[BOOTHS], bus).start()
        try:
            yield
        finally:
            await bus.close()

    app.cleanup_ctx.append(lifespan)
    return bus
