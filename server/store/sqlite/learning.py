"""Learning records in SQLite: quiz attempts and answers, awards and earnings, quest progress,
xAPI statements."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from server.store.base import StatementPage, page
from server.store.sqlite.database import Database
from server.store.sqlite.ledger import balance_of, move, require_visitor
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import ledger, xapi
from srichan_world.world import quests as quest_rules
from srichan_world.world.leaderboard import BOARD_MAX, Board, LeaderRow, day_key, earning_periods
from srichan_world.world.leaderboard import period_key as board_period
from srichan_world.world.ledger import Transfer
from srichan_world.world.quests import QuestEntry, QuestFact, QuestState, QuestUpdate
from srichan_world.world.quizzes import Answer, AnswerOutcome, AttemptState
from srichan_world.world.visitors import display_name


class SQLiteLearning(Database):
    """What visitors learned."""

    async def quiz_attempts(self, visitor_id: str, quiz_key: str) -> AttemptState:
        return await self._call(lambda c: attempts_of(c, visitor_id, quiz_key), write=False)

    async def record_answer(self, answer: Answer, daily_cap: int) -> AnswerOutcome:
        def run(conn: sqlite3.Connection) -> AnswerOutcome:
            if conn.execute("SELECT 1 FROM answers WHERE key = ?", (answer.key,)).fetchone():
                raise Refused(ErrorCode.ANSWER_REPLAYED, "this answer was already graded")
            require_visitor(conn, answer.visitor_id)
            state = attempts_of(conn, answer.visitor_id, answer.quiz_key)
            answer.policy.check(state, answer.now)
            after = answer.policy.after(state, answer.correct, answer.now)
            conn.execute(
                "INSERT INTO quiz_attempts (visitor_id, quiz_key, wrong, last_wrong_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (visitor_id, quiz_key) "
                "DO UPDATE SET wrong = excluded.wrong, last_wrong_at = excluded.last_wrong_at",
                (answer.visitor_id, answer.quiz_key, after.wrong, after.last_wrong_at),
            )
            paid, capped = 0, False
            if answer.correct and not state.awarded:
                paid, capped = pay_award(
                    conn,
                    answer.visitor_id,
                    f"quiz:{answer.quiz_key}",
                    answer.reward,
                    f"quiz {answer.quiz_key}",
                    answer.now,
                    daily_cap,
                    quests_completed=0,
                )
            conn.execute(
                "INSERT INTO answers (key, visitor_id, quiz_key, choice, correct, awarded, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    answer.key,
                    answer.visitor_id,
                    answer.quiz_key,
                    answer.choice,
                    int(answer.correct),
                    paid,
                    answer.now,
                ),
            )
            keep_statement(conn, answer.statement, answer.now)
            left = answer.policy.left(after, answer.now)
            return AnswerOutcome(
                awarded=paid,
                balance=balance_of(conn, ledger.visitor_account(answer.visitor_id)),
                already_awarded=state.awarded,
                capped=capped,
                attempts_left=left,
                retry_at=after.last_wrong_at + answer.policy.cooldown_s if left == 0 else None,
            )

        return await self._call(run, write=True)

    async def advance_quests(
        self,
        visitor_id: str,
        fact: QuestFact,
        quests: Sequence[QuestEntry],
        now: float,
        daily_cap: int,
    ) -> tuple[QuestUpdate, ...]:
        def run(conn: sqlite3.Connection) -> tuple[QuestUpdate, ...]:
            require_visitor(conn, visitor_id)
            updates = []
            for entry in quests:
                state = quest_state_of(conn, visitor_id, entry.key)
                after = quest_rules.advance(entry.quest, state, fact, now)
                if after == state:
                    continue
                conn.execute(
                    "INSERT INTO quest_progress (visitor_id, quest_key, done, completed_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (visitor_id, quest_key) "
                    "DO UPDATE SET done = excluded.done, completed_at = excluded.completed_at",
                    (visitor_id, entry.key, json.dumps(sorted(after.done)), after.completed_at),
                )
                update = quest_rules.progress(entry, after)
                if after.completed_at is not None:
                    paid, capped = pay_award(
                        conn,
                        visitor_id,
                        f"quest:{entry.key}",
                        entry.quest.bonus,
                        f"quest {entry.key}",
                        now,
                        daily_cap,
                        quests_completed=1,
                    )
                    key = f"quest:{visitor_id}:{entry.key}"
                    statement = xapi.completed_statement(
                        key, visitor_id, entry.quest, entry.version, now
                    )
                    keep_statement(conn, statement, now)
                    update = replace(update, just_completed=True, bonus_awarded=paid, capped=capped)
                updates.append(update)
            return tuple(updates)

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
        if not 1 <= limit <= BOARD_MAX:
            raise ValueError(f"limit must be 1..{BOARD_MAX}")
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
        try:
            cursor = int(after) if after is not None else 0
        except ValueError:
            raise ValueError(f"after {after!r} is not a cursor this store returned") from None

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
        "SELECT wrong, last_wrong_at FROM quiz_attempts WHERE visitor_id = ? AND quiz_key = ?",
        (visitor_id, quiz_key),
    ).fetchone()
    awarded = conn.execute(
        "SELECT 1 FROM awards WHERE visitor_id = ? AND award_key = ?",
        (visitor_id, f"quiz:{quiz_key}"),
    ).fetchone()
    wrong, last = row if row is not None else (0, 0.0)
    return AttemptState(wrong=wrong, last_wrong_at=last, awarded=awarded is not None)


def quest_state_of(conn: sqlite3.Connection, visitor_id: str, quest_key: str) -> QuestState:
    row = conn.execute(
        "SELECT done, completed_at FROM quest_progress WHERE visitor_id = ? AND quest_key = ?",
        (visitor_id, quest_key),
    ).fetchone()
    return QuestState() if row is None else QuestState(frozenset(json.loads(row[0])), row[1])


def pay_award(
    conn: sqlite3.Connection,
    visitor_id: str,
    award_key: str,
    amount: int,
    reason: str,
    now: float,
    daily_cap: int,
    *,
    quests_completed: int,
) -> tuple[int, bool]:
    """Pay an award once, clipped to the day's allowance; returns ``(paid, capped)``."""
    if conn.execute(
        "SELECT 1 FROM awards WHERE visitor_id = ? AND award_key = ?", (visitor_id, award_key)
    ).fetchone():
        return 0, False
    row = conn.execute(
        "SELECT tokens FROM earnings WHERE visitor_id = ? AND period = ?",
        (visitor_id, day_key(now)),
    ).fetchone()
    paid = ledger.allowance(amount, row[0] if row else 0, daily_cap)
    transfer_key = None
    if paid > 0:
        transfer_key = f"award:{visitor_id}:{award_key}"
        move(
            conn,
            Transfer(
                transfer_key,
                ledger.CITY_POOL,
                ledger.visitor_account(visitor_id),
                paid,
                reason,
                now,
            ),
        )
    conn.execute(
        "INSERT INTO awards (visitor_id, award_key, amount, transfer_key, at) "
        "VALUES (?, ?, ?, ?, ?)",
        (visitor_id, award_key, paid, transfer_key, now),
    )
    if paid > 0 or quests_completed:
        for period in earning_periods(now):
            conn.execute(
                "INSERT INTO earnings (visitor_id, period, tokens, quests, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (visitor_id, period) DO UPDATE SET "
                "tokens = tokens + excluded.tokens, quests = quests + excluded.quests, "
                "updated_at = excluded.updated_at",
                (visitor_id, period, paid, quests_completed, now),
            )
    return paid, paid < amount


def keep_statement(conn: sqlite3.Connection, statement: dict[str, Any], now: float) -> None:
    conn.execute(
        "INSERT INTO statements (id, stored, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (statement["id"], now, json.dumps(statement, ensure_ascii=False, sort_keys=True)),
    )
