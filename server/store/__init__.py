"""Durable storage behind one interface; ``open_store(url)`` picks the implementation."""

from __future__ import annotations

from server.redis_client import is_redis_url
from server.store.base import StatementPage, Store, StoreError, Visitor

__all__ = ["StatementPage", "Store", "StoreError", "Visitor", "open_store"]


async def open_store(url: str) -> Store:
    """Open the store a URL names.

    ``sqlite:///var/srichan.db`` (a relative path: three slashes) or
    ``sqlite:////srv/srichan.db`` (an absolute path: four), as SQLAlchemy spells them.
    ``redis://[:password@]host:port/db``, ``rediss://…`` (TLS) or ``unix:///path.sock?db=0``
    for one Redis; ``redis+cluster://host:port`` or ``rediss+cluster://host:port`` for a Redis
    Cluster (any one node; the others are discovered).
    """
    if url.startswith("sqlite:///"):
        from server.store.sqlite.store import SQLiteStore

        return await SQLiteStore.open(url.removeprefix("sqlite:///"))
    if is_redis_url(url):
        from server.store.redis.store import RedisStore

        return await RedisStore.open(url)
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise ValueError(
        f"unsupported store URL scheme {scheme!r}: use sqlite:///path/to/file.db, "
        "redis://host:port/0 or redis+cluster://host:port"
    )
