"""Learning records in Redis: attempts, answers, awards, quest progress and earnings in the
visitor's slot; statements and leaderboards in the sequencer's, reached through the outbox."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from server.store.base import StatementPage, page
from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import (
    ANS,
    ANSWERS,
    ATT,
    AWD,
    EARN,
    HASH,
    LEGS,
    QST,
    ST,
    ST_SEQ,
    ST_TIME,
    board_keys,
    movement,
    statement_item,
    visitor_keys,
)
from server.store.redis.slots import View, VisitorSlots, Writes
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import ledger, xapi
from srichan_world.world import quests as quest_rules
from srichan_world.world.leaderboard import BOARD_MAX, Board, LeaderRow, day_key, earning_periods
from srichan_world.world.leaderboard import period_key as board_period
from srichan_world.world.ledger import CITY_POOL, Transfer
from srichan_world.world.quests import QuestEntry, QuestFact, QuestState, QuestUpdate
from srichan_world.world.quizzes import Answer, AnswerOutcome, AttemptState
from srichan_world.world.visitors import display_name

TOKENS_TOP = 10**15
QUESTS_TOP = 10**9


def board_member(visitor_id: str, tokens: int, quests: int, updated_at: float) -> str:
    """A leaderboard row as a string whose byte order is the ranking: more tokens, then more
    quests, then earlier, then visitor id (Redis sorts equal-score members lexically)."""
    tokens_left = TOKENS_TOP - min(tokens, TOKENS_TOP)
    quests_left = QUESTS_TOP - min(quests, QUESTS_TOP)
    return f"{tokens_left:016d}|{quests_left:010d}|{max(updated_at, 0.0):020.6f}|{visitor_id}"


def _board_row(member: str) -> tuple[str, int, int]:
    tokens_left, quests_left, _, visitor_id = member.split("|", 3)
    return visitor_id, TOKENS_TOP - int(tokens_left), QUESTS_TOP - int(quests_left)


class _Earnings:
    """A visitor's earnings rows (tokens, quests, updated_at) for the periods of ``now``."""

    def __init__(self, view: View, now: float) -> None:
        self.rows: dict[str, tuple[int, int, float]] = {}
        for period in earning_periods(now):
            raw = view.get(EARN, period)
            self.rows[period] = tuple(json.loads(raw)) if raw else (0, 0, 0.0)  # type: ignore[assignment]

    @staticmethod
    def fields(now: float) -> list[tuple[int, str]]:
        return [(EARN, period) for period in earning_periods(now)]


class RedisLearning:
    """What visitors learned."""

    _conn: Connection
    _slots: VisitorSlots

    @guarded
    async def quiz_attempts(self, visitor_id: str, quiz_key: str) -> AttemptState:
        view = await self._slots.view(visitor_id, [(ATT, quiz_key), (AWD, f"quiz:{quiz_key}")])
        return _attempts(view, quiz_key)

    @guarded
    async def record_answer(self, answer: Answer, daily_cap: int) -> AnswerOutcome:
        visitor_id, quiz_key, now = answer.visitor_id, answer.quiz_key, answer.now
        await self._claim_answer_key(answer.key, visitor_id)
        award_key = f"quiz:{quiz_key}"
        fields = [(ANS, answer.key), (ATT, quiz_key), (AWD, award_key), *_Earnings.fields(now)]

        def decide(view: View) -> tuple[Writes, Callable[[int], AnswerOutcome]]:
            if view.get(ANS, answer.key) is not None:
                raise Refused(ErrorCode.ANSWER_REPLAYED, "this answer was already graded")
            if not view.registered:
                raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")
            state = _attempts(view, quiz_key)
            answer.policy.check(state, now)
            after = answer.policy.after(state, answer.correct, now)
            plan = Writes()
            plan.put(ATT, quiz_key, [after.wrong, after.last_wrong_at])
            paid, capped = 0, False
            if answer.correct and not state.awarded:
                paid, capped = _award(
                    plan,
                    _Earnings(view, now),
                    view.next_version,
                    visitor_id,
                    award_key,
                    answer.reward,
                    f"quiz {quiz_key}",
                    now,
                    daily_cap,
                    quests_completed=0,
                )
            plan.put(
                ANS,
                answer.key,
                {
                    "quiz_key": quiz_key,
                    "choice": answer.choice,
                    "correct": answer.correct,
                    "awarded": paid,
                    "at": now,
                },
            )
            plan.queue(f"s:{answer.statement['id']}", statement_item(answer.statement, now))
            left = answer.policy.left(after, now)

            def outcome(balance: int) -> AnswerOutcome:
                return AnswerOutcome(
                    awarded=paid,
                    balance=balance,
                    already_awarded=state.awarded,
                    capped=capped,
                    attempts_left=left,
                    retry_at=after.last_wrong_at + answer.policy.cooldown_s if left == 0 else None,
                )

            return plan, outcome

        return await self._slots.update(visitor_id, fields, decide)

    @guarded
    async def advance_quests(
        self,
        visitor_id: str,
        fact: QuestFact,
        quests: Sequence[QuestEntry],
        now: float,
        daily_cap: int,
    ) -> tuple[QuestUpdate, ...]:
        fields = [(QST, e.key) for e in quests] + [(AWD, f"quest:{e.key}") for e in quests]
        fields += _Earnings.fields(now)

        def decide(view: View) -> tuple[Writes, Callable[[int], tuple[QuestUpdate, ...]]]:
            if not view.registered:
                raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")
            plan, earnings = Writes(), _Earnings(view, now)
            states: dict[str, QuestState] = {}
            awarded: set[str] = set()
            updates: list[QuestUpdate] = []
            for entry in quests:
                if entry.key in states:
                    state = states[entry.key]
                else:
                    state = _quest_state(view.get(QST, entry.key))
                after = quest_rules.advance(entry.quest, state, fact, now)
                if after == state:
                    continue
                states[entry.key] = after
                plan.put(QST, entry.key, _quest_json(after))
                update = quest_rules.progress(entry, after)
                if after.completed_at is not None:
                    award_key = f"quest:{entry.key}"
                    already = award_key in awarded or view.get(AWD, award_key) is not None
                    awarded.add(award_key)
                    paid, capped = (0, False)
                    if not already:
                        paid, capped = _award(
                            plan,
                            earnings,
                            view.next_version,
                            visitor_id,
                            award_key,
                            entry.quest.bonus,
                            f"quest {entry.key}",
                            now,
                            daily_cap,
                            quests_completed=1,
                        )
                    statement = xapi.completed_statement(
                        f"quest:{visitor_id}:{entry.key}",
                        visitor_id,
                        entry.quest,
                        entry.version,
                        now,
                    )
                    plan.queue(f"s:{statement['id']}", statement_item(statement, now))
                    update = replace(update, just_completed=True, bonus_awarded=paid, capped=capped)
                updates.append(update)
            return plan, lambda _balance: tuple(updates)

        return await self._slots.update(visitor_id, fields, decide)

    @guarded
    async def quest_progress(self, visitor_id: str) -> dict[str, QuestState]:
        rows = await self._conn.redis.hgetall(visitor_keys(visitor_id)[QST - 1])
        return {key: _quest_state(raw) for key, raw in rows.items()}

    @guarded
    async def leaderboard(self, board: Board, now: float, limit: int = 10) -> tuple[LeaderRow, ...]:
        if not 1 <= limit <= BOARD_MAX:
            raise ValueError(f"limit must be 1..{BOARD_MAX}")
        board_key = board_keys(board_period(Board(board), now))[0]
        members = await self._conn.redis.zrange(board_key, 0, limit - 1)
        rows = [_board_row(m) for m in members]
        pipe = self._conn.redis.pipeline(transaction=False)
        for visitor_id, _, _ in rows:
            pipe.hget(visitor_keys(visitor_id)[HASH - 1], "nick")
        nicks = await pipe.execute() if rows else []
        return tuple(
            LeaderRow(rank, vid, display_name(vid, nick), tokens, done)
            for rank, ((vid, tokens, done), nick) in enumerate(
                zip(rows, nicks, strict=True), start=1
            )
        )

    @guarded
    async def statements_since(
        self, since: float, *, after: str | None = None, limit: int = 100
    ) -> StatementPage:
        limit = page(limit)
        try:
            cursor = int(after) if after is not None else 0
        except ValueError:
            raise ValueError(f"after {after!r} is not a cursor this store returned") from None
        since = float(since)
        if since != since:
            raise ValueError("since must be a number, not NaN")
        reply = await self._conn.scripts.statements(
            [ST_SEQ, ST, ST_TIME], [repr(since), max(cursor, 0), limit]
        )
        more, bodies = reply[0], reply[1]
        statements = tuple(json.loads(b) for b in bodies if b is not None)
        return StatementPage(statements, str(reply[2]) if more else None)

    async def _claim_answer_key(self, key: str, visitor_id: str) -> None:
        """Answer keys are unique across visitors, as in SQLite. The quiz desk's keys name their
        visitor (``answer:<visitor id>:<nonce>``): such a key is that visitor's alone, anyone
        else using it replays it, and the visitor's own slot checks it atomically. Any other
        key is first claimed for its visitor in the sequencer (one more round trip)."""
        kind, _, rest = key.partition(":")
        owner, sep, _ = rest.partition(":")
        if kind == "answer" and sep:
            if owner != visitor_id:
                raise Refused(ErrorCode.ANSWER_REPLAYED, "this answer key is another visitor's")
            return
        claimed = await self._conn.redis.hsetnx(ANSWERS, key, visitor_id)
        if not claimed and await self._conn.redis.hget(ANSWERS, key) != visitor_id:
            raise Refused(ErrorCode.ANSWER_REPLAYED, "this answer was already graded")


def _attempts(view: View, quiz_key: str) -> AttemptState:
    raw = view.get(ATT, quiz_key)
    wrong, last = json.loads(raw) if raw else (0, 0.0)
    return AttemptState(wrong, last, awarded=view.get(AWD, f"quiz:{quiz_key}") is not None)


def _quest_state(raw: str | None) -> QuestState:
    if raw is None:
        return QuestState()
    held = json.loads(raw)
    return QuestState(frozenset(held["done"]), held["completed_at"])


def _quest_json(state: QuestState) -> dict[str, Any]:
    return {"done": sorted(state.done), "completed_at": state.completed_at}


def _award(
    plan: Writes,
    earnings: _Earnings,
    version: int,
    visitor_id: str,
    award_key: str,
    amount: int,
    reason: str,
    now: float,
    daily_cap: int,
    *,
    quests_completed: int,
) -> tuple[int, bool]:
    """Plan an award not yet given, clipped to the day's allowance: credit the visitor, queue
    the pool's side, record earnings and leaderboard rows. Returns ``(paid, capped)``."""
    paid = ledger.allowance(amount, earnings.rows[day_key(now)][0], daily_cap)
    transfer_key = None
    if paid > 0:
        transfer_key = f"award:{visitor_id}:{award_key}"
        t = Transfer(transfer_key, CITY_POOL, ledger.visitor_account(visitor_id), paid, reason, now)
        plan.delta += paid
        plan.put(LEGS, f"cr:{transfer_key}", "")
        plan.queue(f"m:{transfer_key}", movement(t, debit_here=True, leg=f"cr:{transfer_key}"))
    plan.put(AWD, award_key, {"amount": paid, "transfer_key": transfer_key, "at": now})
    if paid > 0 or quests_completed:
        for period, (tokens, quests, _) in list(earnings.rows.items()):
            row = (tokens + paid, quests + quests_completed, now)
            earnings.rows[period] = row
            plan.put(EARN, period, list(row))
            if not period.startswith("D:"):
                member = board_member(visitor_id, row[0], row[1], now)
                plan.queue(
                    f"b:{period}:{version}",
                    {
                        "kind": "B",
                        "period": period,
                        "visitor": visitor_id,
                        "member": member,
                        "ver": version,
                    },
                )
    return paid, paid < amount
