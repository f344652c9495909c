"""One way to reach Redis: URL schemes, redaction, and redis-py clients (hiredis parsing).

The stores and the shared-presence relay open their clients here, so a URL means the same
thing everywhere: ``redis://``, ``rediss://`` (TLS) and ``unix://`` for one server,
``redis+cluster://`` and ``rediss+cluster://`` for a Redis Cluster (any node; the others are
discovered). The pub/sub bus (server/bus/redis.py) keeps its own raw connections for speed but
takes its address from :func:`pubsub_url`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisClusterException, RedisError

SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")


def is_redis_url(url: str) -> bool:
    scheme, sep, _rest = url.partition("://")
    return bool(sep) and scheme in SCHEMES


def is_cluster(url: str) -> bool:
    return url.partition("://")[0].endswith("+cluster")


def redacted(url: str) -> str:
    """The URL without a password, for error messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def pubsub_url(url: str) -> str:
    """The plain-server URL for pub/sub: a cluster URL names one of its nodes, and a cluster
    delivers ``PUBLISH`` to subscribers on every node."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a Redis URL: {url!r}")
    return f"{scheme.removesuffix('+cluster')}://{rest}"


def open_client(url: str, *, decode_responses: bool = False, timeout_s: float | None = None) -> Any:
    """A redis-py asyncio client (``RedisCluster`` for a cluster URL), not yet connected.

    ``ValueError`` (naming the redacted URL) for a URL redis-py cannot use. Typed ``Any``: the
    two client classes share their command methods but no common type.
    """
    if not is_redis_url(url):
        raise ValueError(f"not a Redis URL: {redacted(url)!r}")
    options: dict[str, Any] = {"decode_responses": decode_responses}
    if timeout_s is not None:
        options |= {"socket_connect_timeout": timeout_s, "socket_timeout": timeout_s}
    try:
        if is_cluster(url):
            return RedisCluster.from_url(pubsub_url(url), **options)
        return aioredis.Redis.from_url(url, **options)
    except (ValueError, RedisError, RedisClusterException) as exc:
        raise ValueError(f"bad Redis URL {redacted(url)!r}: {exc}") from exc
