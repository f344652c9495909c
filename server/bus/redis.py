"""The :class:`~server.bus.Bus` over Redis publish/subscribe, for a street of many processes.

Every process holds one :class:`RedisBus`: one connection that subscribes to the channels this
process cares about, and a client for publishing. A message carries the sending bus's origin
id, so a process never acts on its own echo. Pub/sub is fire and forget: a message published
while a process is disconnected is lost to it, so each user of the bus also has a way to
catch up (``on_reconnect``) and the durable state stays in the store.

The bus reconnects by itself after Redis goes away, with capped exponential backoff and
jitter, and subscribes again to every channel it had. Publishing never raises: while Redis is
away a publish is dropped and counted (presence must keep moving without it).

On a Redis Cluster, :class:`server.bus.cluster.ClusterBus` (sharded pub/sub, a connection
pair per master) takes its place.

Why raw connections and not redis-py (which the stores use, through
:mod:`server.redis_client`): on the presence hot path every process publishes once per cell per
tick and hears every other process's cells. A publish here is one ``write`` with no reply
awaited, and a message is parsed by hiredis straight into its listener; measured against
redis-py's ``PubSub`` on the same machine, reading is 2.6x and publishing 9x cheaper
(docs/benchmarks.md, *Scale-out*). The URL handling and the cluster rule are shared with the
stores (:func:`server.redis_client.pubsub_url`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import hiredis

from server.bus import Listener
from server.tasks import cancel

log = logging.getLogger(__name__)

ORIGIN_BYTES = 8
BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 5.0
CONNECT_TIMEOUT_S = 2.0
MAX_BUFFER = 4 * 1024 * 1024
"""Bytes waiting to go to Redis beyond which publishes are dropped rather than queued."""


def backoff(failures: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``failures`` failed tries in a row: doubling from 0.1 s, capped at
    5 s, with "equal jitter" (half fixed, half random) so processes do not reconnect in step."""
    base = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2.0 ** max(0, failures - 1))
    return base / 2 + rng() * base / 2


def command(*args: str | bytes) -> bytes:
    """One Redis command in RESP, the wire format."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


RESTATE = """
local held = redis.call('GET', KEYS[1])
if held then
  local ok, record = pcall(cmsgpack.unpack, held)
  if ok and type(record) == 'table' and record[8] ~= ARGV[3] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
"""Set a resume state unless the one stored names another holder (its 8th field): what a
process restates about avatars it holds must not undo another process taking one over."""


def set_command(key: str | bytes, value: bytes, ttl_ms: int, keep_others: str | None) -> bytes:
    """``SET key value PX ttl_ms``; with ``keep_others`` (this process's origin), the same
    only where the stored value is absent or names this process as its holder."""
    if keep_others is None:
        return command("SET", key, value, "PX", str(ttl_ms))
    return command("EVAL", RESTATE, "1", key, value, str(ttl_ms), keep_others)


class _Wire(asyncio.Protocol):
    """One raw connection to Redis: commands written without waiting, replies parsed by
    hiredis in ``data_received``. Pub/sub pushes go to ``on_push``; other replies are
    dropped (the bus never needs them), errors logged."""

    def __init__(
        self,
        on_push: Callable[[list[Any]], None] | None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.on_push = on_push
        self.on_error = on_error
        self.reader = hiredis.Reader()
        self.transport: asyncio.Transport | None = None
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc or ConnectionError("Redis closed the connection"))
        self.transport = None

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        reader.feed(data)
        push = self.on_push
        while (reply := reader.gets()) is not False:
            if isinstance(reply, hiredis.ReplyError):
                if self.on_error is not None:
                    self.on_error(str(reply))
                else:
                    log.warning("redis refused a pub/sub command: %s", reply)
            elif push is not None and type(reply) is list:
                push(reply)

    def write(self, data: bytes) -> bool:
        transport = self.transport
        if transport is None or transport.is_closing():
            return False
        if transport.get_write_buffer_size() > MAX_BUFFER:  # Redis is not keeping up
            return False
        transport.write(data)
        return True

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def _open_wire(
    url: str,
    on_push: Callable[[list[Any]], None] | None,
    on_error: Callable[[str], None] | None = None,
) -> _Wire:
    """Connect and authenticate; ``redis://``, ``rediss://`` (TLS) and ``unix://`` URLs."""
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()

    def protocol() -> _Wire:
        return _Wire(on_push, on_error)

    if parts.scheme == "unix":
        _, wire = await asyncio.wait_for(
            loop.create_unix_connection(protocol, parts.path), CONNECT_TIMEOUT_S
        )
    else:
        tls = ssl.create_default_context() if parts.scheme == "rediss" else None
        _, wire = await asyncio.wait_for(
            loop.create_connection(
                protocol, parts.hostname or "localhost", parts.port or 6379, ssl=tls
            ),
            CONNECT_TIMEOUT_S,
        )
    if parts.password:
        user = unquote(parts.username) if parts.username else None
        secret = unquote(parts.password)
        wire.write(command("AUTH", user, secret) if user else command("AUTH", secret))
    return wire


class RedisBus:
    """One process's end of the street's pub/sub. :meth:`start` it inside the event loop.

    Two raw connections (one subscribed, one for publishing) rather than redis-py's client:
    on the hot path a publish is one ``write`` with no reply awaited, and a message is parsed
    by hiredis straight into its listener, a fraction of the client library's cost.
    """

    shared = True

    def __init__(self, url: str, *, origin: bytes | None = None) -> None:
        self.url = url
        self.origin = origin or os.urandom(ORIGIN_BYTES)
        if len(self.origin) != ORIGIN_BYTES:
            raise ValueError(f"origin must be {ORIGIN_BYTES} bytes")
        self.connected = False
        self.received = 0
        self.published = 0
        self.dropped = 0
        """Publishes lost while Redis was away (or not keeping up)."""
        self.on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self.on_disconnect: list[Callable[[BaseException], None]] = []
        self._listeners: dict[bytes, list[Listener]] = {}
        self._sub: _Wire | None = None
        self._pub: _Wire | None = None
        self._runner: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._ever_connected = False

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = asyncio.create_task(self._run_forever())

    async def wait_connected(self, timeout: float) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def close(self) -> None:
        await cancel(self._runner)
        self._runner = None
        self._drop()

    # -- subscribing ------------------------------------------------------------------------

    async def subscribe(self, channel: str, listener: Listener) -> None:
        """Call ``listener`` with every message on ``channel`` from other processes."""
        name = channel.encode()
        first = name not in self._listeners
        self._listeners.setdefault(name, []).append(listener)
        if first and self.connected and self._sub is not None:
            self._sub.write(command("SUBSCRIBE", name))  # else the reconnect subscribes it

    async def unsubscribe(self, channel: str) -> None:
        """Stop listening to ``channel`` altogether."""
        name = channel.encode()
        if self._listeners.pop(name, None) is not None and self.connected and self._sub:
            self._sub.write(command("UNSUBSCRIBE", name))

    @property
    def channels(self) -> frozenset[str]:
        return frozenset(name.decode() for name in self._listeners)

    # -- publishing -------------------------------------------------------------------------

    async def publish(self, channel: str, payload: bytes) -> bool:
        """Send ``payload`` to every other process listening on ``channel``; False if lost."""
        return await self.publish_many(((channel, payload),)) == 1

    async def publish_many(self, messages: Iterable[tuple[str, bytes]]) -> int:
        """Send ``(channel, payload)`` pairs in one write; returns how many went out (all or
        none). Never waits for Redis: pub/sub is fire and forget anyway."""
        origin = self.origin
        batch = [command("PUBLISH", channel, origin + payload) for channel, payload in messages]
        if not batch:
            return 0
        pub = self._pub
        if pub is None or not self.connected or not pub.write(b"".join(batch)):
            self.dropped += len(batch)
            return 0
        self.published += len(batch)
        return len(batch)

    def put(self, items: Iterable[tuple[str, bytes, int]], keep_others: str | None = None) -> bool:
        """``SET key value PX ttl_ms`` for each item on the publishing connection, in the
        same write as nothing else and with replies unread: for writes that may be lost,
        like refreshing a key with a TTL. Written before this call returns (so before
        anything the caller sends afterwards), unless Redis is away (False). With
        ``keep_others`` see :func:`set_command`."""
        commands = [set_command(key, value, ttl, keep_others) for key, value, ttl in items]
        pub = self._pub
        return (
            bool(commands) and pub is not None and self.connected and pub.write(b"".join(commands))
        )

    # -- the connections --------------------------------------------------------------------

    async def _run_forever(self) -> None:
        failures = 0
        while True:
            try:
                lost = await self._connect()
                failures = 0
                done, _ = await asyncio.wait(lost, return_when=asyncio.FIRST_COMPLETED)
                raise next(iter(done)).result() or ConnectionError("connection lost")
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError) as exc:
                if self.connected:
                    log.warning("pub/sub connection lost (%s); reconnecting", exc)
                    for callback in list(self.on_disconnect):
                        callback(exc)
                self.connected = False
                self._ready.clear()
                failures += 1
            self._drop()
            await asyncio.sleep(backoff(failures))

    async def _connect(self) -> tuple[asyncio.Future[BaseException | None], ...]:
        """Open both connections and subscribe to every channel; returns the futures that
        complete when either connection is lost."""
        self._sub = await _open_wire(self.url, self._pushed)
        self._pub = await _open_wire(self.url, None)
        channels = list(self._listeners)
        self._sub.write(command("SUBSCRIBE", *channels) if channels else command("PING"))
        await self._connected()
        return self._sub.lost, self._pub.lost

    async def _connected(self) -> None:
        reconnected, self._ever_connected = self._ever_connected, True
        self.connected = True
        self._ready.set()
        if reconnected:
            for callback in list(self.on_reconnect):
                try:
                    await callback()
                except Exception:
                    log.exception("pub/sub catch-up failed")

    def _pushed(self, reply: list[Any]) -> None:
        if len(reply) != 3 or reply[0] != b"message":
            return  # subscribe / unsubscribe confirmations, pong
        self._deliver(reply[1], reply[2])

    def _deliver(self, channel: bytes, data: bytes) -> None:
        if data[:ORIGIN_BYTES] == self.origin:
            return
        listeners = self._listeners.get(channel)
        if not listeners:
            return
        self.received += 1
        payload = data[ORIGIN_BYTES:]
        for listener in listeners:
            try:
                listener(payload)
            except Exception:
                log.exception("pub/sub listener for %s failed", channel)

    def _drop(self) -> None:
        for wire in (self._sub, self._pub):
            if wire is not None:
                wire.close()
        self._sub = self._pub = None
