"""The learning side of one server process: the pure rules joined to the store.

Each method is one visitor request (or one observation of an avatar) and does the rules' and
the store's steps in the right order, so the WebSocket handlers stay thin: they decode, call
one method with the session's server-known position, and encode the result or the refusal.

A session must :meth:`Learning.enter` (its hello's visitor id and secret, checked against the
store) before anything else; a visitor may have several sessions (tabs): their quiz openings
last until the last one leaves, while visits are tracked per session (two tabs in two places
must not report the same landmark again and again).

Every xAPI statement the store keeps is also handed to ``on_statement`` (e.g. the LRS
forwarder's queue) once it is durable; the hook must not block.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.store.base import Store, StoreError, Visitor
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.geometry import Point
from srichan_world.world import xapi
from srichan_world.world.leaderboard import Board, ChangeThrottle, LeaderRow
from srichan_world.world.learning import LearningContent
from srichan_world.world.ledger import visitor_account
from srichan_world.world.quests import (
    QuestBook,
    QuestFact,
    QuestState,
    QuestUpdate,
    VisitTracker,
    progress,
)
from srichan_world.world.quizzes import (
    AttemptState,
    QuizBook,
    QuizDesk,
    QuizPrompt,
    QuizResult,
    quiz_result,
)
from srichan_world.world.refusals import Refusal, Refused


def _nonce() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Entered:
    """What a visitor learns on entering: who they are, their balance, their quests."""

    visitor: Visitor
    balance: int
    quests: tuple[QuestUpdate, ...]


StatementHook = Callable[[dict[str, Any]], object]


class Learning:
    def __init__(
        self,
        content: LearningContent,
        store: Store,
        nonce: Callable[[], str] = _nonce,
        on_statement: StatementHook | None = None,
    ) -> None:
        self.store = store
        self.on_statement = on_statement
        self.cap = content.policy.daily_earn_cap
        self.desk = QuizDesk(QuizBook(content.quiz_points))
        self.quests = QuestBook(content.quests)
        self.visits = VisitTracker(content.footprints)
        self.board = ChangeThrottle()
        self._nonce = nonce
        self._visitor_of: dict[int, str] = {}
        self._sessions_of: dict[str, set[int]] = {}
        self._unsent: dict[str, tuple[QuestFact, ...]] = {}
        """Quest facts the store could not take (unreachable), by visitor: tried again first
        on their next move, so a visit made while Redis was away still counts."""

    # -- sessions ---------------------------------------------------------------------------

    async def enter(
        self, session: int, visitor_id: str | None, secret: str | None, now: float
    ) -> Entered | Refusal:
        """Register a new visitor or recognise a returning one; a wrong secret is refused."""
        if not visitor_id or not secret:
            return Refusal(ErrorCode.NO_IDENTITY, "hello needs visitor_id and visitor_secret")
        try:
            visitor = await self.store.register_visitor(visitor_id, secret, now)
        except Refused as exc:
            return exc.refusal
        self.leave(session)
        self._visitor_of[session] = visitor.id
        self._sessions_of.setdefault(visitor.id, set()).add(session)
        states = await self.store.quest_progress(visitor.id)
        standing = tuple(progress(e, states.get(e.key, QuestState())) for e in self.quests)
        balance = await self.store.balance(visitor_account(visitor.id))
        return Entered(visitor, balance, standing)

    def leave(self, session: int) -> None:
        """The session closed; forget the visitor's openings when it was their last."""
        visitor_id = self._visitor_of.pop(session, None)
        if visitor_id is None:
            return
        self.visits.forget(str(session))
        sessions = self._sessions_of[visitor_id]
        sessions.discard(session)
        if not sessions:
            del self._sessions_of[visitor_id]
            self._unsent.pop(visitor_id, None)
            self.desk.forget(visitor_id)

    def sessions_of(self, visitor_id: str) -> frozenset[int]:
        """The visitor's entered sessions in this process (to tell every tab of a change)."""
        return frozenset(self._sessions_of.get(visitor_id, ()))

    def entered(self, session: int) -> str | None:
        """The session's visitor id, or ``None`` before a successful :meth:`enter`."""
        return self._visitor_of.get(session)

    def visitor_of(self, session: int) -> str | Refusal:
        visitor_id = self._visitor_of.get(session)
        if visitor_id is None:
            return Refusal(ErrorCode.NO_IDENTITY, "enter with a visitor id and secret first")
        return visitor_id

    # -- requests ---------------------------------------------------------------------------

    async def open_quiz(
        self, session: int, quiz_id: str, position: Point | None, now: float
    ) -> QuizPrompt | Refusal:
        visitor_id = self.visitor_of(session)
        if isinstance(visitor_id, Refusal):
            return visitor_id
        entry = self.desk.book.get(quiz_id)
        state = await self.store.quiz_attempts(visitor_id, entry.key) if entry else AttemptState()
        return self.desk.open(visitor_id, quiz_id, position, now, state, self._nonce())

    async def answer_quiz(
        self, session: int, quiz_id: str, choice: int, position: Point | None, now: float
    ) -> QuizResult | Refusal:
        """Grade, record (awarding at most once), then advance the quests a right answer does.

        Should the store fail between the two steps, the answer stands and the quest step is
        done by answering again (which earns nothing twice).
        """
        visitor_id = self.visitor_of(session)
        if isinstance(visitor_id, Refusal):
            return visitor_id
        answer = self.desk.answer(visitor_id, quiz_id, choice, position, now)
        if isinstance(answer, Refusal):
            return answer
        try:
            outcome = await self.store.record_answer(answer, self.cap)
        except Refused as exc:
            return exc.refusal
        except StoreError:
            self.desk.reopen(answer)  # the same answer again has the same key: counted once
            raise
        self._emit(answer.statement)
        updates: tuple[QuestUpdate, ...] = ()
        if answer.correct:
            fact = QuestFact("quiz", answer.quiz_id)
            updates = await self._apply(visitor_id, (fact,), now, keep=True)
        if outcome.awarded:
            self.board.mark()
        return quiz_result(answer, outcome, updates)

    async def moved(self, session: int, position: Point, now: float) -> tuple[QuestUpdate, ...]:
        """Call with each new server-known position; touches the store only on a new visit."""
        visitor_id = self._visitor_of.get(session)
        if visitor_id is None:
            return ()
        facts = self._unsent.pop(visitor_id, ()) + self.visits.observe(str(session), position)
        return await self._apply(visitor_id, facts, now)

    async def set_nickname(self, session: int, name: str) -> Visitor | Refusal:
        visitor_id = self.visitor_of(session)
        if isinstance(visitor_id, Refusal):
            return visitor_id
        try:
            visitor = await self.store.set_nickname(visitor_id, name)
        except Refused as exc:
            return exc.refusal
        self.board.mark()
        return visitor

    async def balance(self, session: int) -> int | Refusal:
        visitor_id = self.visitor_of(session)
        if isinstance(visitor_id, Refusal):
            return visitor_id
        return await self.store.balance(visitor_account(visitor_id))

    async def leaderboard(self, board: Board, now: float, limit: int = 10) -> tuple[LeaderRow, ...]:
        return await self.store.leaderboard(board, now, limit)

    def leaderboard_due(self, now: float) -> bool:
        """True at most once a second after a change: time to push the boards to everyone."""
        return self.board.poll(now)

    async def _apply(
        self, visitor_id: str, facts: tuple[QuestFact, ...], now: float, *, keep: bool = False
    ) -> tuple[QuestUpdate, ...]:
        """Advance the quests by each fact in turn. Should the store be unreachable, the facts
        not yet applied wait for the visitor's next move (advancing is idempotent), and the
        error goes on (or, with ``keep``, what was done so far is returned)."""
        updates: tuple[QuestUpdate, ...] = ()
        for i, fact in enumerate(facts):
            try:
                updates += await self._advance(visitor_id, fact, now)
            except StoreError:
                if visitor_id in self._sessions_of:
                    self._unsent[visitor_id] = facts[i:] + self._unsent.get(visitor_id, ())
                if keep:
                    return updates
                raise
        return updates

    async def _advance(
        self, visitor_id: str, fact: QuestFact, now: float
    ) -> tuple[QuestUpdate, ...]:
        affected = self.quests.affected_by(fact)
        if not affected:
            return ()
        updates = await self.store.advance_quests(visitor_id, fact, affected, now, self.cap)
        for update in updates:
            if update.just_completed:
                self.board.mark()
                entry = next(e for e in affected if e.quest.id == update.quest_id)
                # the statement the store kept (same key, same id): see Store.advance_quests
                key = f"quest:{visitor_id}:{entry.key}"
                self._emit(
                    xapi.completed_statement(key, visitor_id, entry.quest, entry.version, now)
                )
        return updates

    def _emit(self, statement: dict[str, Any]) -> None:
        if self.on_statement is not None:
            self.on_statement(statement)
