"""Visitors and the token ledger in SQLite: tables ``visitors``, ``accounts``, ``transfers``."""

from __future__ import annotations

import sqlite3
from typing import Any

from server.store.base import Visitor, page
from server.store.sqlite.database import Database
from srichan_world.world import ledger, visitors
from srichan_world.world.ledger import Entry, Transfer
from srichan_world.world.pending import QUIZ_AWARD_PREFIX, Standing


class SQLiteVisitorLedger(Database):
    """Visitors and their tokens."""

    async def register_visitor(
        self, visitor_id: str, secret: str, now: float, *, newcomer: bool = False
    ) -> Visitor:
        visitors.check_credentials(visitor_id, secret)

        def run(conn: sqlite3.Connection) -> Visitor:
            row = visitor_row(conn, visitor_id)
            if row is not None:
                visitors.require_owner(secret, row[0])
                return Visitor(visitor_id, row[1], row[2])
            conn.execute(
                "INSERT INTO visitors (id, secret_hash, nickname, created_at, newcomer) "
                "VALUES (?, ?, NULL, ?, ?)",
                (visitor_id, visitors.hash_secret(secret), now, int(newcomer)),
            )
            return Visitor(visitor_id, None, now)

        return await self._call(run, write=True)

    async def standing(self, visitor_id: str) -> Standing | None:
        def run(conn: sqlite3.Connection) -> Standing | None:
            row = conn.execute(
                "SELECT newcomer, created_at, (SELECT count(*) FROM awards "
                "WHERE visitor_id = v.id AND substr(award_key, 1, ?) = ?) "
                "FROM visitors AS v WHERE id = ?",
                (len(QUIZ_AWARD_PREFIX), QUIZ_AWARD_PREFIX, visitor_id),
            ).fetchone()
            return None if row is None else Standing(bool(row[0]), float(row[1]), int(row[2]))

        return await self._call(run, write=False)

    async def authenticate_visitor(self, visitor_id: str, secret: str) -> Visitor:
        visitors.check_credentials(visitor_id, secret)

        def run(conn: sqlite3.Connection) -> Visitor:
            stored, nickname, created_at = visitor_row(conn, visitor_id) or (None, None, 0.0)
            visitors.require_secret(secret, stored)
            return Visitor(visitor_id, nickname, created_at)

        return await self._call(run, write=False)

    async def set_nickname(self, visitor_id: str, nickname: str) -> Visitor:
        name = visitors.normalize_nickname(nickname)

        def run(conn: sqlite3.Connection) -> Visitor:
            row = conn.execute(
                "UPDATE visitors SET nickname = ? WHERE id = ? RETURNING created_at",
                (name, visitor_id),
            ).fetchone()
            if row is None:
                raise visitors.unknown_visitor()
            return Visitor(visitor_id, name, row[0])

        return await self._call(run, write=True)

    async def transfer(self, transfer: Transfer) -> Entry:
        transfer.check()
        return await self._call(lambda c: move(c, transfer), write=True)

    async def balance(self, account: str) -> int:
        return await self._call(lambda c: balance_of(c, account), write=False)

    async def entries(
        self, account: str | None = None, *, after: int = 0, limit: int = 100
    ) -> tuple[Entry, ...]:
        limit = page(limit)

        def run(conn: sqlite3.Connection) -> tuple[Entry, ...]:
            columns = "seq, key, source, target, amount, reason, at"
            if account is None:
                rows = conn.execute(
                    f"SELECT {columns} FROM transfers WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after, limit),
                )
            else:
                rows = conn.execute(
                    f"SELECT {columns} FROM transfers WHERE seq > ? AND source = ? "
                    f"UNION ALL SELECT {columns} FROM transfers WHERE seq > ? AND target = ? "
                    "ORDER BY seq LIMIT ?",
                    (after, account, after, account, limit),
                )
            return tuple(entry_of(row) for row in rows)

        return await self._call(run, write=False)


def require_visitor(conn: sqlite3.Connection, visitor_id: str) -> None:
    if conn.execute("SELECT 1 FROM visitors WHERE id = ?", (visitor_id,)).fetchone() is None:
        raise visitors.unknown_visitor()


def visitor_row(conn: sqlite3.Connection, visitor_id: str) -> tuple[str, str | None, float] | None:
    """The visitor's secret hash, nickname and registration time, if registered."""
    row = conn.execute(
        "SELECT secret_hash, nickname, created_at FROM visitors WHERE id = ?", (visitor_id,)
    ).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def secret_hash_of(conn: sqlite3.Connection, visitor_id: str) -> str | None:
    row = conn.execute("SELECT secret_hash FROM visitors WHERE id = ?", (visitor_id,)).fetchone()
    return None if row is None else str(row[0])


def balance_of(conn: sqlite3.Connection, account: str) -> int:
    row = conn.execute("SELECT balance FROM accounts WHERE id = ?", (account,)).fetchone()
    return 0 if row is None else row[0]


def entry_of(row: tuple[Any, ...]) -> Entry:
    seq, key, source, target, amount, reason, at = row
    return Entry(seq, Transfer(key, source, target, amount, reason, at))


def move(conn: sqlite3.Connection, t: Transfer) -> Entry:
    row = conn.execute(
        "SELECT seq, key, source, target, amount, reason, at FROM transfers WHERE key = ?",
        (t.key,),
    ).fetchone()
    if row is not None:
        existing = entry_of(row)
        if not existing.transfer.same_movement(t):
            raise t.conflict()
        return existing
    if not ledger.is_issuing(t.source) and balance_of(conn, t.source) < t.amount:
        raise t.short()
    for account, delta in ((t.source, -t.amount), (t.target, t.amount)):
        # Not an upsert: SQLite checks the CHECK constraint on the row *to insert* first.
        moved = conn.execute(
            "UPDATE accounts SET balance = balance + ? WHERE id = ?", (delta, account)
        ).rowcount
        if not moved:
            conn.execute(
                "INSERT INTO accounts (id, issuing, balance) VALUES (?, ?, ?)",
                (account, int(ledger.is_issuing(account)), delta),
            )
    (seq,) = conn.execute(
        "INSERT INTO transfers (key, source, target, amount, reason, at) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        (t.key, t.source, t.target, t.amount, t.reason, t.at),
    ).fetchone()
    return Entry(seq, t)
