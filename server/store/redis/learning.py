"""Learning records in Redis: attempts, answers, awards, quest progress and earnings in the
visitor's slot; statements and leaderboards in the sequencer's, reached through the outbox.
Answers and quest facts arrive as plans; one compare-and-set commit of the visitor's slot
applies one (see :mod:`server.store.redis.slots`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from server.store.base import StatementPage, board_limit, page, statement_cursor
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
from srichan_world.world.awards import UNPAID, Award, Payout
from srichan_world.world.leaderboard import Board, LeaderRow, earning_periods
from srichan_world.world.leaderboard import period_key as board_period
from srichan_world.world.quests import ProgressChanged, QuestPlan, QuestState, QuestUpdate
from srichan_world.world.quizzes import (
    AnswerOutcome,
    AnswerPlan,
    AttemptsChanged,
    AttemptState,
    replayed,
)
from srichan_world.world.visitors import display_name, unknown_visitor

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


def _earning_fields(now: float) -> list[tuple[int, str]]:
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
    async def record_answer(self, plan: AnswerPlan) -> AnswerOutcome | AttemptsChanged:
        answer = plan.answer
        visitor_id, quiz_key = answer.visitor_id, answer.quiz_key
        await self._claim_answer_key(answer.key, visitor_id)
        fields = [(ANS, answer.key), (ATT, quiz_key), (AWD, f"quiz:{quiz_key}")]
        fields += _earning_fields(answer.now)

        def decide(view: View) -> tuple[Writes, Callable[[int], AnswerOutcome | AttemptsChanged]]:
            if view.get(ANS, answer.key) is not None:
                raise replayed()
            _require_registered(view)
            held = _attempts(view, quiz_key)
            if held != plan.seen:
                return Writes(), lambda _balance: AttemptsChanged(held)
            plan.check()
            writes = Writes()
            after = plan.after
            writes.put(ATT, quiz_key, [after.wrong, after.last_wrong_at, after.missed])
            payout = UNPAID if plan.award is None else _pay(writes, view, plan.award)
            row = {
                "quiz_key": quiz_key,
                "choice": answer.choice,
                "correct": answer.correct,
                "awarded": payout.paid,
                "at": answer.now,
            }
            writes.put(ANS, answer.key, row)
            writes.queue(
                f"s:{answer.statement['id']}", statement_item(answer.statement, answer.now)
            )
            return writes, lambda balance: plan.outcome(payout, balance)

        return await self._slots.update(visitor_id, fields, decide)

    @guarded
    async def advance_quests(self, plan: QuestPlan) -> tuple[QuestUpdate, ...] | ProgressChanged:
        fields = [(QST, key) for key in plan.seen]
        fields += [(AWD, c.award.key) for c in plan.changes if c.award is not None]
        fields += _earning_fields(plan.now)

        def decide(
            view: View,
        ) -> tuple[Writes, Callable[[int], tuple[QuestUpdate, ...] | ProgressChanged]]:
            _require_registered(view)
            held = {key: _quest_state(view.get(QST, key)) for key in plan.seen}
            if held != plan.seen:
                return Writes(), lambda _balance: ProgressChanged(held)
            writes = Writes()
            payouts = []
            for change in plan.changes:
                writes.put(QST, change.entry.key, _quest_json(change.after))
                payouts.append(UNPAID if change.award is None else _pay(writes, view, change.award))
                if change.statement is not None:
                    item = statement_item(change.statement, plan.now)
                    writes.queue(f"s:{change.statement['id']}", item)
            return writes, lambda _balance: plan.updates(payouts)

        return await self._slots.update(plan.visitor_id, fields, decide)

    @guarded
    async def quest_progress(self, visitor_id: str) -> dict[str, QuestState]:
        rows = await self._conn.redis.hgetall(visitor_keys(visitor_id)[QST - 1])
        return {key: _quest_state(raw) for key, raw in rows.items()}

    @guarded
    async def leaderboard(self, board: Board, now: float, limit: int = 10) -> tuple[LeaderRow, ...]:
        limit = board_limit(limit)
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
        cursor = statement_cursor(after)
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
            raise replayed()


def _require_registered(view: View) -> None:
    if not view.registered:
        raise unknown_visitor()


def _attempts(view: View, quiz_key: str) -> AttemptState:
    raw = view.get(ATT, quiz_key)
    wrong, last, *rest = json.loads(raw) if raw else (0, 0.0)
    missed = rest[0] if rest else wrong  # before the guessing policy: the round's misses
    awarded = view.get(AWD, f"quiz:{quiz_key}") is not None
    return AttemptState(wrong, last, awarded=awarded, missed=missed)


def _quest_state(raw: str | None) -> QuestState:
    if raw is None:
        return QuestState()
    held = json.loads(raw)
    return QuestState(frozenset(held["done"]), held["completed_at"])


def _quest_json(state: QuestState) -> dict[str, Any]:
    return {"done": sorted(state.done), "completed_at": state.completed_at}


def _pay(writes: Writes, view: View, award: Award) -> Payout:
    """Write an award not yet given, clipped to what the day still allows (as this commit
    leaves the day's earnings): credit the visitor, queue the pool's side, count earnings and
    leaderboard rows."""
    if view.get(AWD, award.key) is not None:
        return UNPAID
    rows = {period: _earnings(writes, view, period) for period in award.periods}
    payout = award.payout(rows[award.day][0])
    transfer_key = None
    if payout.paid > 0:
        transfer_key = award.transfer_key
        writes.delta += payout.paid
        writes.put(LEGS, f"cr:{transfer_key}", "")
        item = movement(award.transfer(payout.paid), debit_here=True, leg=f"cr:{transfer_key}")
        writes.queue(f"m:{transfer_key}", item)
    writes.put(
        AWD, award.key, {"amount": payout.paid, "transfer_key": transfer_key, "at": award.at}
    )
    earned = award.earned(payout)
    if earned is not None:
        version = view.next_version
        for period, (tokens, quests, _) in rows.items():
            tokens, quests = tokens + earned[0], quests + earned[1]
            writes.put(EARN, period, [tokens, quests, award.at])
            if not period.startswith("D:"):
                member = board_member(award.visitor_id, tokens, quests, award.at)
                board_row = {"kind": "B", "period": period, "visitor": award.visitor_id}
                writes.queue(
                    f"b:{period}:{version}", board_row | {"member": member, "ver": version}
                )
    return payout


def _earnings(writes: Writes, view: View, period: str) -> tuple[int, int, float]:
    """The visitor's earnings row for ``period`` (tokens, quests, updated at), as ``writes``
    leave it: a plan may pay several awards in one commit."""
    raw = writes.value(EARN, period) or view.get(EARN, period)
    tokens, quests, at = json.loads(raw) if raw else (0, 0, 0.0)
    return tokens, quests, at
