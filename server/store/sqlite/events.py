"""Events in SQLite: the operators' event records and each event's attendees. Attending is
one transaction: the seat, the bonus and the statement together."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from server.store.sqlite.database import Database
from server.store.sqlite.learning import keep_statement, pay
from server.store.sqlite.ledger import balance_of, require_visitor
from srichan_world.world.awards import UNPAID
from srichan_world.world.events import Attendance, Attended
from srichan_world.world.ledger import visitor_account


class SQLiteEvents(Database):
    """Operators' events and attendance."""

    async def put_event(self, event: dict[str, Any], now: float) -> int:
        body = json.dumps(event, ensure_ascii=False, sort_keys=True)

        def run(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO events (id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (event["id"], body, now),
            )
            conn.execute("UPDATE event_calendar SET version = version + 1")
            return _version(conn)

        return await self._call(run, write=True)

    async def stored_events(self) -> tuple[tuple[dict[str, Any], ...], int]:
        def run(conn: sqlite3.Connection) -> tuple[tuple[dict[str, Any], ...], int]:
            rows = conn.execute("SELECT body FROM events ORDER BY id").fetchall()
            return tuple(json.loads(r[0]) for r in rows), _version(conn)

        return await self._call(run, write=False)

    async def attend_event(self, attendance: Attendance) -> Attended:
        a = attendance

        def run(conn: sqlite3.Connection) -> Attended:
            require_visitor(conn, a.visitor_id)
            already = (
                conn.execute(
                    "SELECT 1 FROM event_attendees WHERE event_id = ? AND visitor_id = ?",
                    (a.event_id, a.visitor_id),
                ).fetchone()
                is not None
            )
            count = _attendees(conn, a.event_id)
            a.seat(count, already)
            if not already:
                conn.execute(
                    "INSERT INTO event_attendees (event_id, visitor_id, at) VALUES (?, ?, ?)",
                    (a.event_id, a.visitor_id, a.now),
                )
                count += 1
            payout = UNPAID if a.award is None else pay(conn, a.award)
            keep_statement(conn, a.statement, a.now)
            balance = balance_of(conn, visitor_account(a.visitor_id))
            return Attended(not already, count, payout, balance)

        return await self._call(run, write=True)

    async def attendees(self, event_id: str) -> int:
        return await self._call(lambda c: _attendees(c, event_id), write=False)


def _attendees(conn: sqlite3.Connection, event_id: str) -> int:
    row = conn.execute("SELECT count(*) FROM event_attendees WHERE event_id = ?", (event_id,))
    return int(row.fetchone()[0])


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT version FROM event_calendar").fetchone()[0])
