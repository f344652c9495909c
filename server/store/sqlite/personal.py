"""One visitor's records in SQLite, read out or erased in one transaction; raw records purged.

The erasure (srichan_world/world/privacy.py says what it keeps and why) runs every family's
eraser in one ``BEGIN IMMEDIATE`` transaction with foreign keys checked at its commit (rows
are renamed to the tombstone while others still point at them). The tombstone gets a row of
its own in ``visitors`` (no secret matches it, no name) so the coupons and event seats kept
under it still point at a visitor.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from server.store.sqlite.database import Database
from server.store.sqlite.ledger import balance_of, move
from srichan_world.world import privacy
from srichan_world.world.ledger import visitor_account

Eraser = Callable[[sqlite3.Connection, str, str, float], int]


def _rows(conn: sqlite3.Connection, sql: str, *args: Any) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _erase_ledger(conn: sqlite3.Connection, vid: str, tomb: str, now: float) -> int:
    account, renamed = visitor_account(vid), visitor_account(tomb)
    closing = privacy.closing_transfer(vid, tomb, balance_of(conn, account), now)
    if closing is not None:
        move(conn, closing)
    rows = conn.execute(
        "SELECT seq, key FROM transfers WHERE source = ?1 OR target = ?1", (account,)
    ).fetchall()
    for seq, key in rows:
        conn.execute(
            "UPDATE transfers SET key = ?, source = CASE source WHEN ?2 THEN ?3 ELSE source END, "
            "target = CASE target WHEN ?2 THEN ?3 ELSE target END WHERE seq = ?4",
            (privacy.rename_key(key, vid, tomb), account, renamed, seq),
        )
    conn.execute("UPDATE accounts SET id = ? WHERE id = ?", (renamed, account))
    return len(rows)


def _erase_learning(conn: sqlite3.Connection, vid: str, _tomb: str, _now: float) -> int:
    tables = ("quiz_attempts", "answers", "awards", "quest_progress", "earnings")
    return sum(
        conn.execute(f"DELETE FROM {table} WHERE visitor_id = ?", (vid,)).rowcount
        for table in tables
    )


def _erase_coupons(conn: sqlite3.Connection, vid: str, tomb: str, now: float) -> int:
    rows = conn.execute("SELECT id, key, transfer_key FROM coupons WHERE visitor_id = ?", (vid,))
    count = 0
    for coupon_id, key, transfer_key in rows.fetchall():
        conn.execute(
            "UPDATE coupons SET id = ?, visitor_id = ?, key = ?, transfer_key = ?, "
            "expires_at = CASE WHEN used_at IS NULL THEN min(expires_at, ?) ELSE expires_at END "
            "WHERE id = ?",
            (
                privacy.rename_key(coupon_id, vid, tomb),
                tomb,
                privacy.rename_key(key, vid, tomb),
                privacy.rename_key(transfer_key, vid, tomb),
                now,
                coupon_id,
            ),
        )
        count += 1
    return count


def _erase_badges(conn: sqlite3.Connection, vid: str, tomb: str, now: float) -> int:
    return conn.execute(
        "UPDATE badges SET visitor_id = ?, token = '', revoked_at = coalesce(revoked_at, ?) "
        "WHERE visitor_id = ?",
        (tomb, now, vid),
    ).rowcount


def _erase_courses(conn: sqlite3.Connection, vid: str, _tomb: str, _now: float) -> int:
    return sum(
        conn.execute(f"DELETE FROM {table} WHERE visitor_id = ?", (vid,)).rowcount
        for table in ("lessons_read", "courses_completed")
    )


def _erase_events(conn: sqlite3.Connection, vid: str, tomb: str, _now: float) -> int:
    return conn.execute(
        "UPDATE event_attendees SET visitor_id = ? WHERE visitor_id = ?", (tomb, vid)
    ).rowcount


def _erase_dialogue(conn: sqlite3.Connection, vid: str, _tomb: str, _now: float) -> int:
    count = conn.execute(
        "DELETE FROM dialogue_supports WHERE (question_id, number) IN "
        "(SELECT question_id, number FROM dialogue_opinions WHERE visitor_id = ?)",
        (vid,),
    ).rowcount
    for table in ("dialogue_votes", "dialogue_supports", "dialogue_opinions"):
        count += conn.execute(f"DELETE FROM {table} WHERE visitor_id = ?", (vid,)).rowcount
    return count


def _erase_moderation(conn: sqlite3.Connection, vid: str, tomb: str, _now: float) -> int:
    count = 0
    for seq, body in conn.execute("SELECT seq, body FROM reports").fetchall():
        stored = json.loads(body)
        if privacy.report_concerns(stored, vid):
            scrubbed = json.dumps(privacy.scrub_report(stored, vid, tomb), ensure_ascii=False)
            conn.execute("UPDATE reports SET body = ? WHERE seq = ?", (scrubbed, seq))
            count += 1
    for seq, body in conn.execute("SELECT seq, body FROM sanctions").fetchall():
        held = json.loads(body)
        if held.get("target") == vid and not held.get("by_address"):
            renamed = json.dumps(held | {"target": tomb}, ensure_ascii=False)
            conn.execute("UPDATE sanctions SET body = ? WHERE seq = ?", (renamed, seq))
            count += 1
    return count


def _erase_statements(conn: sqlite3.Connection, vid: str, _tomb: str, _now: float) -> int:
    return conn.execute(
        "DELETE FROM statements WHERE json_extract(body, '$.actor.account.name') = ?", (vid,)
    ).rowcount


def _erase_identity(conn: sqlite3.Connection, vid: str, _tomb: str, _now: float) -> int:
    return conn.execute("DELETE FROM visitors WHERE id = ?", (vid,)).rowcount


ERASERS: tuple[tuple[str, Eraser], ...] = (
    ("ledger", _erase_ledger),
    ("learning", _erase_learning),
    ("coupons", _erase_coupons),
    ("badges", _erase_badges),
    ("courses", _erase_courses),
    ("events", _erase_events),
    ("dialogue", _erase_dialogue),
    ("moderation", _erase_moderation),
    ("statements", _erase_statements),
    ("identity", _erase_identity),
)
"""One eraser per family, run in this order (the identity last: the others may still need
it); a new family of records is one more line."""


class SQLitePersonal(Database):
    """A visitor's own records out, erased; raw records purged."""

    async def personal_records(self, visitor_id: str) -> dict[str, Any]:
        def run(conn: sqlite3.Connection) -> dict[str, Any]:
            who = _rows(
                conn,
                "SELECT id, nickname, created_at, newcomer FROM visitors WHERE id = ?",
                visitor_id,
            )
            by = "WHERE visitor_id = ? ORDER BY 1, 2"
            return {
                "identity": who[0] if who else {},
                "learning": {
                    "quiz_attempts": _rows(
                        conn,
                        f"SELECT quiz_key, wrong, missed, last_wrong_at FROM quiz_attempts {by}",
                        visitor_id,
                    ),
                    "answers": _rows(
                        conn,
                        "SELECT at, quiz_key, choice, correct, awarded FROM answers "
                        "WHERE visitor_id = ? ORDER BY at, quiz_key",
                        visitor_id,
                    ),
                    "awards": _rows(
                        conn, f"SELECT award_key, amount, at FROM awards {by}", visitor_id
                    ),
                    "earnings": _rows(
                        conn, f"SELECT period, tokens, quests FROM earnings {by}", visitor_id
                    ),
                },
                "events": {
                    "attended": _rows(
                        conn, f"SELECT event_id, at FROM event_attendees {by}", visitor_id
                    )
                },
                "statements": [
                    json.loads(body)
                    for (body,) in conn.execute(
                        "SELECT body FROM statements "
                        "WHERE json_extract(body, '$.actor.account.name') = ? ORDER BY seq",
                        (visitor_id,),
                    )
                ],
            }

        return await self._call(run, write=False)

    async def erase_visitor(self, visitor_id: str, tomb: str, now: float) -> dict[str, int]:
        def run(conn: sqlite3.Connection) -> dict[str, int]:
            conn.execute("PRAGMA defer_foreign_keys = ON")
            conn.execute(
                "INSERT INTO visitors (id, secret_hash, nickname, created_at) "
                "VALUES (?, '!erased', NULL, ?)",
                (tomb, now),
            )
            counts = {name: eraser(conn, visitor_id, tomb, now) for name, eraser in ERASERS}
            kept = conn.execute(
                "SELECT (SELECT count(*) FROM coupons WHERE visitor_id = ?1) + "
                "(SELECT count(*) FROM event_attendees WHERE visitor_id = ?1)",
                (tomb,),
            ).fetchone()[0]
            if not kept:
                conn.execute("DELETE FROM visitors WHERE id = ?", (tomb,))
            return counts

        return await self._call(run, write=True)

    async def purge_raw(
        self, statements_before: float | None, reports_before: float | None
    ) -> dict[str, int]:
        def run(conn: sqlite3.Connection) -> dict[str, int]:
            statements = reports = 0
            if statements_before is not None:
                statements = conn.execute(
                    "DELETE FROM statements WHERE stored < ?", (statements_before,)
                ).rowcount
            if reports_before is not None:
                reports = conn.execute(
                    "DELETE FROM reports WHERE status = 'closed' "
                    "AND json_extract(body, '$.at') < ?",
                    (reports_before,),
                ).rowcount
            return {"statements": statements, "reports": reports}

        return await self._call(run, write=True)
