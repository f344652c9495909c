"""Learning on the WebSocket: request handlers, landmark visits, leaderboard pushes, xAPI out.

:class:`LearningSocket` joins :class:`server.services.learning.Learning` to the pump. Handlers
are thin: they take the session's *server-known* position from the pump (never a position the
client claims), call one service method and turn its result or refusal into messages. What the
protocol promises is in ``docs/protocol.md`` (*Learning rules*).

Moves are the presence world's business and do not reach handlers, so a watcher looks at every
entered session's server-known position a few times a second (only after it moved) to turn
landmark visits into quest steps, and re-reads the leaderboards for the sessions that follow
them. Statements go to an LRS through :class:`server.integrations.lrs.LrsForwarder` when one
is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence

from prometheus_client import CollectorRegistry, Counter

from server.health import FailureStreak
from server.integrations.lrs import LrsConfig, LrsForwarder
from server.services.learning import Learning
from server.store import Store
from server.ws.pump import Handler, Pump, RequestContext
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.limits import MAX_ARRAY
from srichan_world.protocol.messages import (
    Coupon,
    Error,
    Leaderboard,
    LeaderboardEntry,
    LeaderboardGet,
    Message,
    Nickname,
    QuestProgress,
    QuizAnswer,
    QuizOpen,
    QuizQuestion,
    QuizResult,
    SetNickname,
    Wallet,
)
from srichan_world.world.leaderboard import PUSH_INTERVAL_S, Board, LeaderRow
from srichan_world.world.learning import LearningContent
from srichan_world.world.periods import week_of
from srichan_world.world.quests import QuestUpdate
from srichan_world.world.refusals import Refusal

log = logging.getLogger(__name__)

WATCH_S = 0.5
"""How often positions are checked for visits (an avatar moves at most 4 m meanwhile, well
inside the 15 m that counts as a visit) and the boards for a due push."""
VISIT_STEP_M = 1.0
"""A session's position is looked at again once it moved this far (visits count within 15 m)."""
BOARD_REFRESH_S = 5.0
"""Followed boards are re-read this often even without a local award: other server processes
sharing a Redis store award too."""
BOARD_SIZE = 10

Boards = tuple[tuple[LeaderRow, ...], tuple[LeaderRow, ...], str]
"""This week's rows, all-time rows, and the week they are for."""


class LearningSocket:
    """The learning handlers of one app; :meth:`start` on the open store before serving."""

    def __init__(
        self,
        content: LearningContent,
        pump: Pump,
        lrs: LrsConfig | None = None,
        clock: Callable[[], float] = time.time,
        watch_s: float = WATCH_S,
    ) -> None:
        self.content = content
        self.pump = pump
        self.lrs = lrs
        self.clock = clock
        self.watch_s = watch_s
        self.forwarder: LrsForwarder | None = None
        self.followers: set[int] = set()
        """Sessions that asked for leaderboard pushes."""
        self.pushes = 0
        self._learning: Learning | None = None
        self._seen_at: dict[int, tuple[float, float]] = {}
        self._boards: Boards | None = None
        self._last_push = -math.inf
        self._next_refresh = 0.0
        self._lrs_counter: Counter | None = None
        self._tokens_counter: Counter | None = None
        self._push_counter: Counter | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def learning(self) -> Learning:
        if self._learning is None:
            raise RuntimeError("the learning service runs only while the app is started")
        return self._learning

    # -- lifecycle --------------------------------------------------------------------------

    def register_metrics(self, registry: CollectorRegistry) -> None:
        self._lrs_counter = Counter(
            "srichan_lrs_statements",
            "xAPI statements offered to the LRS forwarder, by outcome (retries: POSTs retried)",
            ["outcome"],
            registry=registry,
        )
        self._tokens_counter = Counter(
            "srichan_tokens_awarded",
            "Learning tokens paid for answers and quests",
            registry=registry,
        )
        self._push_counter = Counter(
            "srichan_leaderboard_pushes",
            "Leaderboard messages pushed to followers",
            registry=registry,
        )

    async def start(self, store: Store) -> None:
        """Open the service on the store; start the LRS forwarder and the watcher."""
        on_statement = None
        if self.lrs is not None:
            self.forwarder = LrsForwarder(self.lrs, self._count_lrs)
            self.forwarder.start()
            on_statement = self.forwarder.offer
        self._learning = Learning(self.content, store, on_statement=on_statement)
        self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self.forwarder is not None:
            await self.forwarder.close()

    def handlers(self) -> dict[MsgType, Handler]:
        """The requests this serves, for the pump."""
        return {
            MsgType.HELLO: self.on_hello,
            MsgType.SET_NICKNAME: self.on_set_nickname,
            MsgType.QUIZ_OPEN: self.on_quiz_open,
            MsgType.QUIZ_ANSWER: self.on_quiz_answer,
            MsgType.WALLET_GET: self.on_wallet_get,
            MsgType.LEADERBOARD_GET: self.on_leaderboard_get,
        }

    async def on_leave(self, session: int) -> None:
        self.followers.discard(session)
        self._seen_at.pop(session, None)
        if self._learning is not None:
            self._learning.leave(session)

    # -- handlers ---------------------------------------------------------------------------

    async def on_hello(self, ctx: RequestContext, _msg: Message) -> Sequence[Message]:
        """After each welcome: recognise the visitor, then their wallet and quest standing."""
        view = ctx.view
        if view.visitor_id is None and view.visitor_secret is None:
            return ()  # presence only (a bot): its learning requests will get no_identity
        entered = await self.learning.enter(
            view.session, view.visitor_id, view.visitor_secret, self.clock()
        )
        if isinstance(entered, Refusal):
            return [_error(entered, self.clock())]
        wallet = Wallet(entered.balance, await self._coupons(entered.visitor.id))
        return [wallet, *(_progress(q) for q in entered.quests)]

    async def on_quiz_open(self, ctx: RequestContext, msg: Message) -> Sequence[Message]:
        assert isinstance(msg, QuizOpen)
        view = ctx.view
        now = self.clock()
        prompt = await self.learning.open_quiz(view.session, msg.quiz_id, (view.x, view.z), now)
        if isinstance(prompt, Refusal):
            return [_error(prompt, now)]
        return [
            QuizQuestion(
                quiz_id=prompt.quiz_id,
                question=prompt.question,
                choices=prompt.choices,
                attempts_left=prompt.attempts_left,
                reward=prompt.reward,
                already_awarded=prompt.already_awarded,
            )
        ]

    async def on_quiz_answer(self, ctx: RequestContext, msg: Message) -> Sequence[Message]:
        assert isinstance(msg, QuizAnswer)
        view = ctx.view
        now = self.clock()
        learning = self.learning
        result = await learning.answer_quiz(
            view.session, msg.quiz_id, msg.choice, (view.x, view.z), now
        )
        if isinstance(result, Refusal):
            return [_error(result, now)]
        cooldown = max(0.0, result.retry_at - now) if result.retry_at is not None else 0.0
        balance = result.balance
        if any(u.bonus_awarded for u in result.quests):  # the answer completed a quest
            read = await learning.balance(view.session)
            balance = read if isinstance(read, int) else balance
        reply = QuizResult(
            quiz_id=result.quiz_id,
            correct=result.correct,
            reward=result.awarded,
            attempts_left=result.attempts_left,
            cooldown_s=cooldown,
            balance=balance,
            explanation=result.explanation,
            capped=result.capped,
            already_awarded=result.already_awarded,
        )
        self._count_tokens(result.awarded, result.quests)
        progress = [_progress(u) for u in result.quests]
        visitor_id = learning.entered(view.session)
        if visitor_id is not None and progress:
            self._tell(visitor_id, progress, skip=view.session)
        return [reply, *progress]

    async def on_set_nickname(self, ctx: RequestContext, msg: Message) -> Sequence[Message]:
        assert isinstance(msg, SetNickname)
        visitor = await self.learning.set_nickname(ctx.view.session, msg.name)
        if isinstance(visitor, Refusal):
            return [_error(visitor, self.clock())]
        return [Nickname(visitor.nickname or "")]

    async def on_wallet_get(self, ctx: RequestContext, _msg: Message) -> Sequence[Message]:
        learning = self.learning
        balance = await learning.balance(ctx.view.session)
        if isinstance(balance, Refusal):
            return [_error(balance, self.clock())]
        visitor_id = learning.entered(ctx.view.session)
        assert visitor_id is not None
        return [Wallet(balance, await self._coupons(visitor_id))]

    async def on_leaderboard_get(self, ctx: RequestContext, msg: Message) -> Sequence[Message]:
        """Anyone may look; ``you`` needs an identity. Following is per session."""
        assert isinstance(msg, LeaderboardGet)
        session = ctx.view.session
        if msg.follow is False:
            self.followers.discard(session)
        else:
            self.followers.add(session)
        boards = await self.read_boards(self.clock())
        return [_board_message(boards, self.learning.entered(session))]

    # -- the watcher ------------------------------------------------------------------------

    async def _watch(self) -> None:
        streak = FailureStreak(log, "learning watcher")
        while True:
            await asyncio.sleep(self.watch_s)
            try:
                await self.check_visits()
                await self.push_boards()
            except Exception:  # a store hiccup must not end visits or pushes for good
                streak.failed()
            else:
                streak.succeeded()

    async def check_visits(self) -> int:
        """Turn the server-known positions of entered sessions into visits; returns how many
        sessions were looked at."""
        learning = self.learning
        now = self.clock()
        looked = 0
        for view in self.pump.views():
            session = view.session
            visitor_id = learning.entered(session)
            if visitor_id is None:
                continue
            last = self._seen_at.get(session)
            if last is not None and math.dist(last, (view.x, view.z)) < VISIT_STEP_M:
                continue
            self._seen_at[session] = (view.x, view.z)
            looked += 1
            updates = await learning.moved(session, (view.x, view.z), now)
            if updates:
                self._count_tokens(0, updates)
                self._tell(visitor_id, [_progress(u) for u in updates])
        return looked

    async def push_boards(self) -> bool:
        """Push the boards to followers when they changed: at most once a second, and only
        when a follower exists. Returns whether a push went out."""
        now = self.clock()
        due = self.learning.leaderboard_due(now)
        if not self.followers or not (due or now >= self._next_refresh):
            return False
        self._next_refresh = now + BOARD_REFRESH_S
        boards = await self.read_boards(now)
        if boards == self._boards:
            return False
        if now - self._last_push < PUSH_INTERVAL_S:
            self.learning.board.mark()  # changed too soon after the last push: next time
            return False
        self._boards, self._last_push = boards, now
        self.send_boards(boards)
        return True

    def send_boards(self, boards: Boards) -> None:
        """Queue the boards for every follower, never waiting for one (a follower gets its own
        ranks; those on neither board share one message)."""
        week, all_time, _label = boards
        ranked = {r.visitor_id for r in week} | {r.visitor_id for r in all_time}
        shared = _board_message(boards, None)
        for session in list(self.followers):
            visitor_id = self.learning.entered(session)
            message = _board_message(boards, visitor_id) if visitor_id in ranked else shared
            if not self.pump.send(session, message):
                self.followers.discard(session)
        self.pushes += 1
        if self._push_counter is not None:
            self._push_counter.inc()

    # -- helpers ----------------------------------------------------------------------------

    async def read_boards(self, now: float) -> Boards:
        learning = self.learning
        week = await learning.leaderboard(Board.WEEK, now, BOARD_SIZE)
        all_time = await learning.leaderboard(Board.ALL, now, BOARD_SIZE)
        return week, all_time, week_of(now)

    async def _coupons(self, visitor_id: str) -> tuple[Coupon, ...]:
        records = await self.learning.store.coupons_of(visitor_id)
        return tuple(r.to_message() for r in records[:MAX_ARRAY])

    def _tell(self, visitor_id: str, messages: Sequence[Message], skip: int | None = None) -> None:
        """Push to every session of the visitor (other tabs see progress too)."""
        for session in self.learning.sessions_of(visitor_id):
            if session != skip:
                for message in messages:
                    self.pump.send(session, message)

    def _count_lrs(self, outcome: str, n: int) -> None:
        if self._lrs_counter is not None:
            self._lrs_counter.labels(outcome).inc(n)

    def _count_tokens(self, awarded: int, updates: Sequence[QuestUpdate]) -> None:
        if self._tokens_counter is not None:
            self._tokens_counter.inc(awarded + sum(u.bonus_awarded for u in updates))


def _error(refusal: Refusal, now: float) -> Error:
    detail = refusal.detail
    if refusal.retry_at is not None:
        detail += f" (retry in {max(0, math.ceil(refusal.retry_at - now))} s)"
    return Error(int(refusal.code), detail)


def _progress(update: QuestUpdate) -> QuestProgress:
    return QuestProgress(
        quest_id=update.quest_id,
        done=len(update.done),
        total=update.total,
        completed=update.completed,
        bonus=update.bonus_awarded,
        steps=update.done,
        capped=update.capped,
    )


def _entries(rows: Sequence[LeaderRow]) -> tuple[LeaderboardEntry, ...]:
    return tuple(LeaderboardEntry(r.rank, r.name, r.tokens, r.quests) for r in rows)


def _rank(rows: Sequence[LeaderRow], visitor_id: str | None) -> int | None:
    return next((r.rank for r in rows if r.visitor_id == visitor_id), None)


def _board_message(boards: Boards, visitor_id: str | None) -> Leaderboard:
    week, all_time, label = boards
    return Leaderboard(
        entries=_entries(week),
        you=_rank(week, visitor_id),
        all_time=_entries(all_time),
        you_all_time=_rank(all_time, visitor_id),
        week=label,
    )
