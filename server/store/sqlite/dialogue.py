"""The dialogue space in SQLite: ``dialogue_questions`` (JSON bodies), ``dialogue_votes`` (one
row per question and visitor), ``dialogue_opinions`` (unique per question and visitor) and
``dialogue_supports`` (one row per opinion and supporter). Each call is one transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from server.store.sqlite.database import Database
from server.store.sqlite.learning import keep_statement, pay
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import dialogue
from srichan_world.world.awards import Award, Payout
from srichan_world.world.dialogue import Opinion, Part, Question, Tally

_OPINIONS = (
    "SELECT o.question_id, o.number, o.visitor_id, o.name, o.text, o.at, "
    "(SELECT count(*) FROM dialogue_supports s "
    " WHERE s.question_id = o.question_id AND s.number = o.number), o.hidden "
    "FROM dialogue_opinions o WHERE o.question_id = ?"
)


def _opinion(row: tuple[Any, ...]) -> Opinion:
    qid, number, visitor_id, name, text, at, supports, hidden = row
    return Opinion(qid, number, visitor_id, name, text, at, supports, bool(hidden))


class SQLiteDialogue(Database):
    async def put_question(self, question: Question) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO dialogue_questions (id, body) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                (question.id, dialogue.dumps(question)),
            )

        await self._call(run, write=True)

    async def questions(self) -> tuple[Question, ...]:
        def run(conn: sqlite3.Connection) -> tuple[Question, ...]:
            rows = conn.execute("SELECT body FROM dialogue_questions ORDER BY id").fetchall()
            return tuple(dialogue.loads(body) for (body,) in rows)

        return await self._call(run, write=False)

    async def dialogue_tally(self, question_id: str) -> Tally:
        def run(conn: sqlite3.Connection) -> Tally:
            votes = dict(
                conn.execute(
                    "SELECT option, count(*) FROM dialogue_votes WHERE question_id = ? "
                    "GROUP BY option",
                    (question_id,),
                ).fetchall()
            )
            rows = conn.execute(_OPINIONS + " ORDER BY o.number", (question_id,)).fetchall()
            return Tally(votes, tuple(_opinion(r) for r in rows))

        return await self._call(run, write=False)

    async def dialogue_part(self, question_id: str, visitor_id: str) -> Part:
        def run(conn: sqlite3.Connection) -> Part:
            key = (question_id, visitor_id)
            vote = conn.execute(
                "SELECT option FROM dialogue_votes WHERE question_id = ? AND visitor_id = ?", key
            ).fetchone()
            mine = conn.execute(
                "SELECT number FROM dialogue_opinions WHERE question_id = ? AND visitor_id = ?",
                key,
            ).fetchone()
            supported = conn.execute(
                "SELECT number FROM dialogue_supports WHERE question_id = ? AND visitor_id = ?",
                key,
            ).fetchall()
            return Part(
                None if vote is None else vote[0],
                None if mine is None else mine[0],
                frozenset(n for (n,) in supported),
            )

        return await self._call(run, write=False)

    async def cast_vote(
        self, question_id: str, visitor_id: str, option: int, statement: dict[str, Any], now: float
    ) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            before = conn.execute(
                "SELECT 1 FROM dialogue_votes WHERE question_id = ? AND visitor_id = ?",
                (question_id, visitor_id),
            ).fetchone()
            conn.execute(
                "INSERT INTO dialogue_votes (question_id, visitor_id, option, at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (question_id, visitor_id) "
                "DO UPDATE SET option = excluded.option, at = excluded.at",
                (question_id, visitor_id, option, now),
            )
            if before is None:
                keep_statement(conn, statement, now)
            return before is None

        return await self._call(run, write=True)

    async def post_opinion(self, opinion: Opinion, statement: dict[str, Any]) -> Opinion | None:
        def run(conn: sqlite3.Connection) -> Opinion | None:
            (number,) = conn.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM dialogue_opinions WHERE question_id = ?",
                (opinion.question_id,),
            ).fetchone()
            kept = conn.execute(
                "INSERT INTO dialogue_opinions "
                "(question_id, number, visitor_id, name, text, at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (
                    opinion.question_id,
                    number,
                    opinion.visitor_id,
                    opinion.name,
                    opinion.text,
                    opinion.at,
                ),
            ).rowcount
            if not kept:
                return None
            keep_statement(conn, statement, opinion.at)
            return Opinion(
                opinion.question_id,
                number,
                opinion.visitor_id,
                opinion.name,
                opinion.text,
                opinion.at,
            )

        return await self._call(run, write=True)

    async def support_opinion(self, question_id: str, number: int, visitor_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            return bool(
                conn.execute(
                    "INSERT INTO dialogue_supports (question_id, number, visitor_id) "
                    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (question_id, number, visitor_id),
                ).rowcount
            )

        return await self._call(run, write=True)

    async def hide_opinion(self, question_id: str, number: int, hidden: bool) -> Opinion:
        def run(conn: sqlite3.Connection) -> Opinion:
            conn.execute(
                "UPDATE dialogue_opinions SET hidden = ? WHERE question_id = ? AND number = ?",
                (int(hidden), question_id, number),
            )
            row = conn.execute(_OPINIONS + " AND o.number = ?", (question_id, number)).fetchone()
            if row is None:
                raise Refused(ErrorCode.UNKNOWN_OPINION, f"no opinion {number} in {question_id}")
            return _opinion(row)

        return await self._call(run, write=True)

    async def pay_award(self, award: Award) -> Payout:
        def run(conn: sqlite3.Connection) -> Payout:
            return pay(conn, award)

        return await self._call(run, write=True)
