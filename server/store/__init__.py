"""Durable storage behind one interface; ``open_store(url)`` picks the implementation."""

from __future__ import annotations

from server.store.base import StatementPage, Store, StoreError, Visitor

__all__ = ["StatementPage", "Store", "StoreError", "Visitor", "open_store"]


async def open_store(url: str) -> Store:
    """Open the store a URL names.

    ``sqlite:///var/srichan.db`` (a relative path: three slashes) or
    ``sqlite:////srv/srichan.db`` (an absolute path: four), as SQLAlchemy spells them.
    """
    if url.startswith("sqlite:///"):
        from server.store.sqlite import SQLiteStore

        return await SQLiteStore.open(url.removeprefix("sqlite:///"))
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise ValueError(f"unsupported store URL scheme {scheme!r}: use sqlite:///path/to/file.db")
