"""Learning records in SQLite: quiz attempts and answers, awards and earnings, quest progress,
xAPI statements. Answers and quest facts arrive as plans; a transaction applies one."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from server.store.base import StatementPage, board_limit, page, statement_cursor
from server.store.sqlite.database import Database
from server.store.sqlite.ledger import balance_of, move, require_visitor
from srichan_world.world.awards import UNPAID, Award, Payout
from srichan_world.world.leaderboard import Board, LeaderRow
from srichan_world.world.leaderboard import period_key as board_period
from srichan_world.world.ledger import visitor_account
from srichan_world.world.quests import ProgressChanged, QuestPlan, QuestState, QuestUpdate
from srichan_world.world.quizzes import (
    AnswerOutcome,
    AnswerPlan,
    AttemptsChanged,
    AttemptState,
    replayed,
)
from srichan_world.world.visitors import display_name


class SQLiteLearning(Database):
    """What visitors learned."""

    async def quiz_attempts(self, visitor_id: str, quiz_key: str) -> AttemptState:
        return await self._call(lambda c: attempts_of(c, visitor_id, quiz_key), write=False)

    async def record_answer(self, plan: AnswerPlan) -> AnswerOutcome | AttemptsChanged:
        answer = plan.answer

        def run(conn: sqlite3.Connection) -> AnswerOutcome | AttemptsChanged:
            if conn.execute("SELECT 1 FROM answers WHERE key = ?", (answer.key,)).fetchone():
                raise replayed()
            require_visitor(conn, answer.visitor_id)
            held = attempts_of(conn, answer.visitor_id, answer.quiz_key)
            if held != plan.seen:
                return AttemptsChanged(held)
            plan.check()
            conn.execute(
                "INSERT INTO quiz_attempts (visitor_id, quiz_key, wrong, last_wrong_at, missed) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (visitor_id, quiz_key) "
                "DO UPDATE SET wrong = excluded.wrong, last_wrong_at = excluded.last_wrong_at, "
                "missed = excluded.missed",
                (
                    answer.visitor_id,
                    answer.quiz_key,
                    plan.after.wrong,
                    plan.after.last_wrong_at,
                    plan.after.missed,
                ),
            )
            payout = UNPAID if plan.award is None else pay(conn, plan.award)
            conn.execute(
                "INSERT INTO answers (key, visitor_id, quiz_key, choice, correct, awarded, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    answer.key,
                    answer.visitor_id,
                    answer.quiz_key,
                    answer.choice,
                    int(answer.correct),
                    payout.paid,
                    answer.now,
                ),
            )
            keep_statement(conn, answer.statement, answer.now)
            return plan.outcome(payout, balance_of(conn, visitor_account(answer.visitor_id)))

        return await self._call(run, write=True)

    async def advance_quests(self, plan: QuestPlan) -> tuple[QuestUpdate, ...] | ProgressChanged:
        visitor_id = plan.visitor_id

        def run(conn: sqlite3.Connection) -> tuple[QuestUpdate, ...] | ProgressChanged:
            require_visitor(conn, visitor_id)
            held = {key: quest_state_of(conn, visitor_id, key) for key in plan.seen}
            if held != plan.seen:
                return ProgressChanged(held)
            payouts = []
            for change in plan.changes:
                after = change.after
                conn.execute(
                    "INSERT INTO quest_progress (visitor_id, quest_key, done, completed_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (visitor_id, quest_key) "
                    "DO UPDATE SET done = excluded.done, completed_at = excluded.completed_at",
                    (
                        visitor_id,
                        change.entry.key,
                        json.dumps(sorted(after.done)),
                        after.completed_at,
                    ),
                )
                payouts.append(UNPAID if change.award is None else pay(conn, change.award))
                if change.statement is not None:
                    keep_statement(conn, change.statement, plan.now)
            return plan.updates(payouts)

        return await self._call(run, write=True)

    async def quest_progress(self, visitor_id: str) -> dict[str, QuestState]:
        def run(conn: sqlite3.Connection) -> dict[str, QuestState]:
            rows = conn.execute(
                "SELECT quest_key, done, completed_at FROM quest_progress WHERE visitor_id = ?",
                (visitor_id,),
            )
            return {key: QuestState(frozenset(json.loads(done)), at) for key, done, at in rows}

        return await self._call(run, write=False)

    async def leaderboard(self, board: Board, now: float, limit: int = 10) -> tuple[LeaderRow, ...]:
        limit = board_limit(limit)
        period = board_period(Board(board), now)

        def run(conn: sqlite3.Connection) -> tuple[LeaderRow, ...]:
            rows = conn.execute(
                "SELECT e.visitor_id, v.nickname, e.tokens, e.quests FROM earnings AS e "
                "JOIN visitors AS v ON v.id = e.visitor_id "
                "WHERE e.period = ? AND (e.tokens > 0 OR e.quests > 0) "
                "ORDER BY e.tokens DESC, e.quests DESC, e.updated_at, e.visitor_id LIMIT ?",
                (period, limit),
            )
            return tuple(
                LeaderRow(rank, vid, display_name(vid, nick), tokens, done)
                for rank, (vid, nick, tokens, done) in enumerate(rows, start=1)
            )

        return await self._call(run, write=False)

    async def statements_since(
        self, since: float, *, after: str | None = None, limit: int = 100
    ) -> StatementPage:
        limit = page(limit)
        cursor = statement_cursor(after)

        def run(conn: sqlite3.Connection) -> StatementPage:
            rows = conn.execute(
                "SELECT seq, body FROM statements WHERE seq > ? AND stored >= ? "
                "ORDER BY seq LIMIT ?",
                (cursor, since, limit + 1),
            ).fetchall()
            more = len(rows) > limit
            rows = rows[:limit]
            statements = tuple(json.loads(body) for _, body in rows)
            return StatementPage(statements, str(rows[-1][0]) if more else None)

        return await self._call(run, write=False)


def attempts_of(conn: sqlite3.Connection, visitor_id: str, quiz_key: str) -> AttemptState:
    row = conn.execute(
        "SELECT wrong, last_wrong_at, missed FROM quiz_attempts "
        "WHERE visitor_id = ? AND quiz_key = ?",
        (visitor_id, quiz_key),
    ).fetchone()
    awarded = conn.execute(
        "SELECT 1 FROM awards WHERE visitor_id = ? AND award_key = ?",
        (visitor_id, f"quiz:{quiz_key}"),
    ).fetchone()
    wrong, last, missed = row if row is not None else (0, 0.0, 0)
    return AttemptState(wrong, last, awarded=awarded is not None, missed=missed)


def quest_state_of(conn: sqlite3.Connection, visitor_id: str, quest_key: str) -> QuestState:
    row = conn.execute(
        "SELECT done, completed_at FROM quest_progress WHERE visitor_id = ? AND quest_key = ?",
        (visitor_id, quest_key),
    ).fetchone()
    return QuestState() if row is None else QuestState(frozenset(json.loads(row[0])), row[1])


def pay(conn: sqlite3.Connection, award: Award) -> Payout:
    """Pay an award once per key, clipped to what the day still allows; count its earnings."""
    visitor_id = award.visitor_id
    if conn.execute(
        "SELECT 1 FROM awards WHERE visitor_id = ? AND award_key = ?", (visitor_id, award.key)
    ).fetchone():
        return UNPAID
    row = conn.execute(
        "SELECT tokens FROM earnings WHERE visitor_id = ? AND period = ?", (visitor_id, award.day)
    ).fetchone()
    payout = award.payout(row[0] if row else 0)
    transfer_key = None
    if payout.paid > 0:
        transfer_key = move(conn, award.transfer(payout.paid)).transfer.key
    conn.execute(
        "INSERT INTO awards (visitor_id, award_key, amount, transfer_key, at) "
        "VALUES (?, ?, ?, ?, ?)",
        (visitor_id, award.key, payout.paid, transfer_key, award.at),
    )
    earned = award.earned(payout)
    if earned is not None:
        for period in award.periods:
            conn.execute(
                "INSERT INTO earnings (visitor_id, period, tokens, quests, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (visitor_id, period) DO UPDATE SET "
                "tokens = tokens + excluded.tokens, quests = quests + excluded.quests, "
                "updated_at = excluded.updated_at",
                (visitor_id, period, *earned, award.at),
            )
    return payout


def keep_statement(conn: sqlite3.Connection, statement: dict[str, Any], now: float) -> None:
    conn.execute(
        "INSERT INTO statements (id, stored, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (statement["id"], now, json.dumps(statement, ensure_ascii=False, sort_keys=True)),
    )
