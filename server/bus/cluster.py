"""The :class:`~server.bus.Bus` over a Redis Cluster's *sharded* pub/sub (Redis ≥ 7).

Plain ``PUBLISH`` on a cluster is broadcast: every message crosses the cluster bus to every
node, so each master carries the whole street's presence traffic and adding masters adds
nothing. ``SPUBLISH`` goes only to the master that owns the channel's hash slot (computed like
a key's, hash tags included) and is delivered to that master's ``SSUBSCRIBE``-rs, so the
street's channels, one per interest cell, spread over the masters and each carries its share.

:class:`ClusterBus` keeps the raw-connection design of :class:`~server.bus.redis.RedisBus` (a
publish is one unanswered write, a message is parsed by hiredis straight into its listener)
with one connection pair per master: at connect it reads the slot map (``CLUSTER SLOTS``) from
the node in the URL, subscribes each channel on its own master, and each tick's messages are
grouped by master into one write each. Why not redis-py's asyncio ``ClusterPubSub``: its
``spublish`` is a command awaited for its reply, one round trip per message, where the
presence relay publishes a message per cell per tick (docs/benchmarks.md, *Scale-out*: raw
writes are 9× cheaper to publish and 2.6× to read than redis-py's pub/sub on one Redis).

Every channel of every bus user is sharded (booth, moderation, scene and calendar notices
too: they are rare and simply live on one master each). A slot that moves (resharding, a
failover) shows up as a ``MOVED`` reply to a publish or as a ``sunsubscribe`` pushed by the
server: the bus then reconnects everything from a fresh slot map, like after a lost connection
(the users catch up with ``on_reconnect`` as after any outage). ``put`` (keys with a TTL,
replies unread) is routed by key slot the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from server.bus.redis import CONNECT_TIMEOUT_S, RedisBus, _open_wire, _Wire, command, set_command
from server.redis_client import pubsub_url

log = logging.getLogger(__name__)

Address = tuple[str, int]


def parse_slots(reply: list[Any], seed_host: str) -> dict[Address, list[tuple[int, int]]]:
    """``CLUSTER SLOTS`` → each master's address and its slot ranges (replicas ignored). A
    node that does not know its own address says ``""`` or ``"?"``: the seed's host then."""
    masters: dict[Address, list[tuple[int, int]]] = {}
    for entry in reply:
        start, end, master = entry[0], entry[1], entry[2]
        host = master[0].decode() if isinstance(master[0], bytes) else str(master[0])
        host = seed_host if host in ("", "?") else host
        masters.setdefault((host, int(master[1])), []).append((int(start), int(end)))
    return masters


class _Shard:
    """One master: its address and the two raw connections to it."""

    __slots__ = ("address", "pub", "sub")

    def __init__(self, address: Address, sub: _Wire, pub: _Wire) -> None:
        self.address = address
        self.sub = sub
        self.pub = pub


class ClusterBus(RedisBus):
    """One process's end of the street's pub/sub on a Redis Cluster (see the module)."""

    def __init__(self, url: str, *, origin: bytes | None = None) -> None:
        super().__init__(pubsub_url(url), origin=origin)
        self.shards: list[_Shard] = []
        self._slots = bytearray(REDIS_CLUSTER_HASH_SLOTS)
        """Slot → index in ``shards``."""
        self._moved: asyncio.Future[BaseException | None] | None = None
        self.refreshes = 0
        """Slot maps read after the first (a slot moved, or a master was lost)."""

    # -- routing ----------------------------------------------------------------------------

    def shard_of(self, name: bytes) -> _Shard:
        return self.shards[self._slots[key_slot(name)]]

    async def subscribe(self, channel: str, listener: Any) -> None:
        name = channel.encode()
        first = name not in self._listeners
        self._listeners.setdefault(name, []).append(listener)
        if first and self.connected and self.shards:
            self.shard_of(name).sub.write(command("SSUBSCRIBE", name))

    async def unsubscribe(self, channel: str) -> None:
        name = channel.encode()
        if self._listeners.pop(name, None) is not None and self.connected and self.shards:
            self.shard_of(name).sub.write(command("SUNSUBSCRIBE", name))

    async def publish_many(self, messages: Iterable[tuple[str, bytes]]) -> int:
        """``SPUBLISH`` each ``(channel, payload)`` on its channel's master, one write per
        master; returns how many went out."""
        origin = self.origin
        batches: dict[int, list[bytes]] = {}
        slots = self._slots
        for channel, payload in messages:
            name = channel.encode()
            batches.setdefault(slots[key_slot(name)], []).append(
                command("SPUBLISH", name, origin + payload)
            )
        return self._write_batches(batches, count=True)

    def put(self, items: Iterable[tuple[str, bytes, int]], keep_others: str | None = None) -> bool:
        batches: dict[int, list[bytes]] = {}
        slots = self._slots
        for key, value, ttl in items:
            name = key.encode()
            batches.setdefault(slots[key_slot(name)], []).append(
                set_command(name, value, ttl, keep_others)
            )
        return self._write_batches(batches, count=False) > 0

    def _write_batches(self, batches: dict[int, list[bytes]], *, count: bool) -> int:
        sent = 0
        shards = self.shards
        for index, batch in batches.items():
            if self.connected and index < len(shards) and shards[index].pub.write(b"".join(batch)):
                sent += len(batch)
            elif count:
                self.dropped += len(batch)
        if count:
            self.published += sent
        return sent

    # -- the connections --------------------------------------------------------------------

    async def _connect(self) -> tuple[asyncio.Future[BaseException | None], ...]:
        """Read the slot map, open a connection pair per master, subscribe every channel on
        its master; returns the futures that complete when any connection is lost or a slot
        is found moved."""
        masters = await self._slot_map()
        if self._ever_connected:
            self.refreshes += 1
        self._moved = asyncio.get_running_loop().create_future()
        slots = bytearray(REDIS_CLUSTER_HASH_SLOTS)
        for index, (address, ranges) in enumerate(sorted(masters.items())):
            url = self._node_url(address)
            sub = await _open_wire(url, self._pushed, self._refused)
            pub = await _open_wire(url, None, self._refused)
            self.shards.append(_Shard(address, sub, pub))
            for start, end in ranges:
                slots[start : end + 1] = bytes((index,)) * (end - start + 1)
        self._slots = slots
        for shard in self.shards:
            shard.sub.write(command("PING"))
        for name in self._listeners:
            self.shard_of(name).sub.write(command("SSUBSCRIBE", name))
        await self._connected()
        lost = [w.lost for s in self.shards for w in (s.sub, s.pub)]
        return (*lost, self._moved)

    async def _slot_map(self) -> dict[Address, list[tuple[int, int]]]:
        reply: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()

        def answered(value: list[Any]) -> None:
            if not reply.done():
                reply.set_result(value)

        def refused(error: str) -> None:
            if not reply.done():
                reply.set_exception(ConnectionError(f"CLUSTER SLOTS refused: {error}"))

        wire = await _open_wire(self.url, answered, refused)
        try:
            wire.write(command("CLUSTER", "SLOTS"))
            done, _ = await asyncio.wait(
                (reply, wire.lost), timeout=CONNECT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
            )
            if reply not in done:
                raise ConnectionError("no answer to CLUSTER SLOTS")
            masters = parse_slots(reply.result(), urlsplit(self.url).hostname or "localhost")
        finally:
            wire.close()
        if not masters:
            raise ConnectionError("the cluster has no slots assigned yet")
        return masters

    def _node_url(self, address: Address) -> str:
        """The URL of another node: the seed's, with that node's host and port."""
        parts = urlsplit(self.url)
        auth = parts.netloc.rpartition("@")[0]
        host = f"[{address[0]}]" if ":" in address[0] else address[0]
        netloc = (auth + "@" if auth else "") + f"{host}:{address[1]}"
        return urlunsplit(parts._replace(netloc=netloc))

    def _pushed(self, reply: list[Any]) -> None:
        if len(reply) != 3:
            return
        kind = reply[0]
        if kind == b"smessage":
            self._deliver(reply[1], reply[2])
        elif kind == b"sunsubscribe" and reply[1] in self._listeners:
            self._topology_changed(f"the server unsubscribed {reply[1]!r}")

    def _refused(self, error: str) -> None:
        if error.startswith(("MOVED", "ASK", "CLUSTERDOWN")):
            self._topology_changed(error)
        else:
            log.warning("redis refused a pub/sub command: %s", error)

    def _topology_changed(self, why: str) -> None:
        moved = self._moved
        if moved is not None and not moved.done():
            log.warning("cluster slots moved (%s): reading the slot map again", why)
            moved.set_result(ConnectionError(f"cluster slots moved: {why}"))

    def _drop(self) -> None:
        for shard in self.shards:
            shard.sub.close()
            shard.pub.close()
        self.shards = []
        super()._drop()

    @property
    def masters(self) -> list[Address]:
        return [shard.address for shard in self.shards]
