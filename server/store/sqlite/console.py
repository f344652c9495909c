"""Operators and moderation in SQLite: accounts, links, sessions, reports, sanctions, words.

Each change and its audit line (``owner_actions``) are written in one transaction.
"""

from __future__ import annotations

import json
import sqlite3

from server.store.base import page
from server.store.sqlite.database import Database
from server.store.sqlite.owners import note
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import operators as rules
from srichan_world.world.moderation import ReportRecord, Sanction
from srichan_world.world.operators import Operator, OperatorSession, Role


class SQLiteConsole(Database):
    """The console's records."""

    async def add_operator(self, operator_id: str, name: str, role: str, now: float) -> Operator:
        cleaned, parsed = rules.checked_operator(operator_id, name, role)

        def run(conn: sqlite3.Connection) -> Operator:
            conn.execute(
                "INSERT INTO operators (id, name, role, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, "
                "revoked_at = NULL",
                (operator_id, cleaned, parsed.value, now),
            )
            note(conn, "admin", "operator_add", None, f"{operator_id} {parsed} {cleaned}", now)
            return _operator(conn, operator_id)

        return await self._call(run, write=True)

    async def issue_operator_link(
        self, operator_id: str, link_hash: str, expires_at: float, now: float
    ) -> None:
        def run(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT revoked_at FROM operators WHERE id = ?", (operator_id,)
            ).fetchone()
            rules.require_active(operator_id, row is not None and row[0] is None)
            conn.execute(
                "INSERT INTO operator_links (hash, operator_id, expires_at) VALUES (?, ?, ?)",
                (link_hash, operator_id, expires_at),
            )
            note(conn, "admin", "operator_link", None, operator_id, now)

        await self._call(run, write=True)

    async def operator_sign_in(
        self, link_hash: str, session_hash: str, expires_at: float, now: float
    ) -> OperatorSession:
        def run(conn: sqlite3.Connection) -> OperatorSession:
            row = conn.execute(
                "SELECT l.operator_id, l.expires_at, o.revoked_at FROM operator_links AS l "
                "JOIN operators AS o ON o.id = l.operator_id WHERE l.hash = ?",
                (link_hash,),
            ).fetchone()
            operator_id, link_expires, revoked_at = row or ("", None, None)
            rules.require_link(link_expires, revoked_at is None, now)
            conn.execute(
                "DELETE FROM operator_links WHERE hash = ? OR expires_at <= ?", (link_hash, now)
            )
            conn.execute("DELETE FROM operator_sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO operator_sessions (hash, operator_id, expires_at) VALUES (?, ?, ?)",
                (session_hash, operator_id, expires_at),
            )
            note(conn, f"operator:{operator_id}", "sign_in", None, "", now)
            return _session(conn, operator_id, expires_at)

        return await self._call(run, write=True)

    async def operator_session(self, session_hash: str, now: float) -> OperatorSession:
        def run(conn: sqlite3.Connection) -> OperatorSession:
            row = conn.execute(
                "SELECT s.operator_id, s.expires_at, o.revoked_at FROM operator_sessions AS s "
                "JOIN operators AS o ON o.id = s.operator_id WHERE s.hash = ?",
                (session_hash,),
            ).fetchone()
            operator_id, expires_at, revoked_at = row or ("", None, None)
            until = rules.require_session(expires_at, revoked_at is None, now)
            return _session(conn, operator_id, until)

        return await self._call(run, write=False)

    async def end_operator_session(self, session_hash: str) -> None:
        await self._call(
            lambda c: c.execute("DELETE FROM operator_sessions WHERE hash = ?", (session_hash,)),
            write=True,
        )

    async def revoke_operator(self, operator_id: str, now: float) -> None:
        def run(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT revoked_at FROM operators WHERE id = ?", (operator_id,)
            ).fetchone()
            if row is None:
                raise Refused(ErrorCode.UNKNOWN_OPERATOR, f"no operator {operator_id!r}")
            conn.execute("DELETE FROM operator_sessions WHERE operator_id = ?", (operator_id,))
            conn.execute("DELETE FROM operator_links WHERE operator_id = ?", (operator_id,))
            if row[0] is None:
                conn.execute("UPDATE operators SET revoked_at = ? WHERE id = ?", (now, operator_id))
                note(conn, "admin", "operator_revoke", None, operator_id, now)

        await self._call(run, write=True)

    async def operators(self) -> tuple[Operator, ...]:
        def run(conn: sqlite3.Connection) -> tuple[Operator, ...]:
            ids = [r[0] for r in conn.execute("SELECT id FROM operators ORDER BY id")]
            return tuple(_operator(conn, i) for i in ids)

        return await self._call(run, write=False)

    # -- moderation -----------------------------------------------------------------------------

    async def file_report(self, report: ReportRecord) -> int:
        body = json.dumps(report.stored(), ensure_ascii=False)

        def run(conn: sqlite3.Connection) -> int:
            cur = conn.execute("INSERT INTO reports (body, status) VALUES (?, 'open')", (body,))
            return int(cur.lastrowid or 0)

        return await self._call(run, write=True)

    async def reports(
        self, *, status: str | None = "open", after: int = 0, limit: int = 100
    ) -> tuple[ReportRecord, ...]:
        limit = page(limit)

        def run(conn: sqlite3.Connection) -> tuple[ReportRecord, ...]:
            rows = conn.execute(
                "SELECT seq, body, status FROM reports WHERE seq > ? "
                "AND (? IS NULL OR status = ?) ORDER BY seq LIMIT ?",
                (after, status, status, limit),
            )
            return tuple(ReportRecord.from_stored(json.loads(b), q, st) for q, b, st in rows)

        return await self._call(run, write=False)

    async def close_report(self, seq: int, actor: str, note_text: str, now: float) -> ReportRecord:
        def run(conn: sqlite3.Connection) -> ReportRecord:
            row = conn.execute("SELECT body, status FROM reports WHERE seq = ?", (seq,)).fetchone()
            if row is None:
                raise Refused(ErrorCode.UNKNOWN_REPORT, f"no report {seq}")
            if row[1] != "closed":
                conn.execute("UPDATE reports SET status = 'closed' WHERE seq = ?", (seq,))
                note(conn, actor, "report_close", None, f"#{seq} {note_text}".strip(), now)
            return ReportRecord.from_stored(json.loads(row[0]), seq, "closed")

        return await self._call(run, write=True)

    async def add_sanction(self, sanction: Sanction) -> None:
        body = json.dumps(sanction.to_json(), ensure_ascii=False)

        def run(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO sanctions (body) VALUES (?)", (body,))
            note(conn, sanction.actor, sanction.action, None, sanction.describe(), sanction.at)

        await self._call(run, write=True)

    async def sanctions(self) -> tuple[Sanction, ...]:
        def run(conn: sqlite3.Connection) -> tuple[Sanction, ...]:
            rows = conn.execute("SELECT body FROM sanctions ORDER BY seq")
            return tuple(Sanction(**json.loads(b)) for (b,) in rows)

        return await self._call(run, write=False)

    async def chat_words(self) -> tuple[str, ...]:
        def run(conn: sqlite3.Connection) -> tuple[str, ...]:
            return tuple(r[0] for r in conn.execute("SELECT word FROM chat_words ORDER BY word"))

        return await self._call(run, write=False)

    async def set_chat_words(self, words: tuple[str, ...], actor: str, now: float) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM chat_words")
            conn.executemany("INSERT INTO chat_words (word) VALUES (?)", [(w,) for w in words])
            note(conn, actor, "chat_words", None, f"{len(words)} words", now)

        await self._call(run, write=True)


def _operator(conn: sqlite3.Connection, operator_id: str) -> Operator:
    name, role, created_at, revoked_at = conn.execute(
        "SELECT name, role, created_at, revoked_at FROM operators WHERE id = ?", (operator_id,)
    ).fetchone()
    return Operator(operator_id, name, Role(role), created_at, revoked_at)


def _session(conn: sqlite3.Connection, operator_id: str, expires_at: float) -> OperatorSession:
    o = _operator(conn, operator_id)
    return OperatorSession(o.id, o.name, o.role, expires_at)
