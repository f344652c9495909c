"""The Redis store's connection: one client, its registered scripts, the per-process turns, and
the guard that turns a closed store or a Redis failure into ``StoreError``."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from redis.exceptions import RedisClusterException, RedisError

from server.redis_client import is_cluster, open_client, redacted
from server.store.base import StoreError
from server.store.redis import lua as redis_lua
from server.store.redis.keys import SCHEMA_KEY

T = TypeVar("T")
P = ParamSpec("P")
A = TypeVar("A", bound="Held")
SCHEMA = 1
"""Bump when the key layout changes; a store refuses data written by a newer program."""


class Turns:
    """One ``asyncio.Lock`` per visitor, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def __call__(self, name: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(name, (asyncio.Lock(), 0))
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)


@dataclass(frozen=True)
class Scripts:
    """The registered Lua scripts (EVALSHA, loaded again on NOSCRIPT)."""

    view: Any
    commit: Any
    register: Any
    nickname: Any
    debit: Any
    credit: Any
    refund: Any
    ack: Any
    post: Any
    entries: Any
    statements: Any
    street_read: Any
    street_commit: Any

    @classmethod
    def of(cls, client: Any) -> Scripts:
        return cls(
            **{
                name: client.register_script(getattr(redis_lua, name.upper()))
                for name in cls.__dataclass_fields__
            }
        )


class Connection:
    """One Redis client (a server or a cluster) and what every area of the store shares on it."""

    def __init__(self, client: Any, *, cluster: bool) -> None:
        self._client: Any = client
        self.cluster = cluster
        self.scripts = Scripts.of(client)
        self.turns = Turns()

    @classmethod
    async def open(cls, url: str) -> Connection:
        """Connect, check the data's schema version, and return the store.

        Raises ``ValueError`` for a URL this store does not take, ``StoreError`` when Redis
        cannot be reached or holds data from a newer program.
        """
        client = open_client(url, decode_responses=True)
        cluster = is_cluster(url)
        try:
            if cluster:
                await client.initialize()
            await client.set(SCHEMA_KEY, SCHEMA, nx=True)
            held = int(await client.get(SCHEMA_KEY))
        except (RedisError, RedisClusterException, OSError) as exc:
            await client.aclose()
            raise StoreError(f"cannot use Redis at {redacted(url)}: {exc}") from exc
        if held > SCHEMA:
            await client.aclose()
            raise StoreError(
                f"Redis data has schema version {held}, newer than this program "
                f"(knows up to {SCHEMA}); upgrade the program"
            )
        return cls(client, cluster=cluster)

    async def close(self) -> None:
        if self._client is None:
            return
        client, self._client = self._client, None
        await client.aclose()

    @property
    def redis(self) -> Any:
        if self._client is None:
            raise StoreError("the store is closed")
        return self._client

    @property
    def closed(self) -> bool:
        return self._client is None


class Held(Protocol):
    """An area of the Redis store: it reaches Redis through its connection."""

    _conn: Connection


def guarded(
    method: Callable[Concatenate[A, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[A, P], Coroutine[Any, Any, T]]:
    """Refuse calls on a closed store and report Redis failures as ``StoreError``."""

    @functools.wraps(method)
    async def guarded(self: A, /, *args: P.args, **kwargs: P.kwargs) -> T:
        if self._conn.closed:
            raise StoreError("the store is closed")
        try:
            return await method(self, *args, **kwargs)
        except (RedisError, RedisClusterException) as exc:
            raise StoreError(f"redis: {exc}") from exc

    return guarded
