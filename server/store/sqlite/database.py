"""One SQLite file, written by one thread: the plumbing every area of the SQLite store shares."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Self, TypeVar

from server.store.base import StoreError
from server.store.sqlite.schema import SYNCHRONOUS, connect, migrate

T = TypeVar("T")


class Database:
    """The connection and its thread; open with :meth:`open`."""

    def __init__(self, path: str, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self.path = path
        self._executor = executor
        self._conn: sqlite3.Connection | None = conn

    @classmethod
    async def open(cls, path: str | Path, *, synchronous: str = "FULL") -> Self:
        """Open (creating it and its directory if needed) and migrate the database at ``path``.

        ``synchronous="NORMAL"`` trades power-cut durability for speed; it exists for the
        benchmark that justifies the default.
        """
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS}")
        target = Path(path)
        if not str(path) or target.is_dir():
            raise ValueError(f"store path {str(path)!r} must name a file")
        target.parent.mkdir(parents=True, exist_ok=True)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        loop = asyncio.get_running_loop()

        def setup() -> sqlite3.Connection:
            conn = connect(str(target), synchronous)
            try:
                migrate(conn)
            except BaseException:
                conn.close()
                raise
            return conn

        try:
            conn = await loop.run_in_executor(executor, setup)
        except sqlite3.Error as exc:
            executor.shutdown(wait=True)
            raise StoreError(f"cannot open {str(target)!r}: {exc}") from exc
        except BaseException:
            executor.shutdown(wait=True)
            raise
        return cls(str(target), executor, conn)

    async def close(self) -> None:
        if self._conn is None:
            return
        conn, self._conn = self._conn, None
        await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)

    async def _call(self, fn: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        conn = self._conn
        if conn is None:
            raise StoreError("the store is closed")

        def run() -> T:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, run)
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {exc}") from exc
