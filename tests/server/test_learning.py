"""The learning desk's programs run against a real SQLite store, as the pump runs them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.store import Store, open_store
from server.ws.steps import StoreSteps
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import (
    Error,
    Message,
    Nickname,
    QuestProgress,
    QuizQuestion,
    QuizResult,
    Wallet,
)
from srichan_world.scene.geometry import Point
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, answers, public_manifest
from srichan_world.street.learning import Asker, LearningDesk
from srichan_world.street.steps import AdvanceQuests, Outcome, Step
from srichan_world.world.learning import LearningContent

VISITOR = "visitor-learner-01"
SECRET = "Zk3_vq9-XbT0pLw8RmY2sA"
T0 = 1_778_300_000.0
FAR = (0.0, 0.0)


@pytest.fixture
def content(small_scene_text: str) -> LearningContent:
    scene = load_scene_text(small_scene_text)
    return LearningContent.from_compiled(Manifest.parse(public_manifest(scene)), answers(scene))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_store(f"sqlite:///{tmp_path}/learning.db")
    yield store
    await store.close()


def at(content: LearningContent, quiz_id: str) -> tuple[float, float]:
    return next(q.position for q in content.quiz_points if q.id == quiz_id)


def gate_side(content: LearningContent) -> tuple[float, float]:
    (x, z), *_ = content.footprints["gate"][0]
    return (x, z)


class Desk:
    """One process's learning desk, its programs driven against the store step by step."""

    def __init__(self, content: LearningContent, store: Store) -> None:
        self.rules = LearningDesk(content)
        self.steps = CountingSteps(store)
        self.statements: list[dict[str, Any]] = []

    async def run(self, program: Any) -> Outcome:
        outcome: Outcome = await self.steps.run(program)
        self.statements += outcome.statements
        return outcome

    async def enter(
        self, session: int = 1, visitor: str | None = VISITOR, secret: str | None = SECRET
    ) -> list[Message]:
        return (await self.run(self.rules.hello(Asker(session, FAR, visitor, secret), T0))).replies

    async def open_quiz(self, session: int, quiz_id: str, where: Point, now: float) -> Message:
        (reply,) = (
            await self.run(self.rules.open_quiz(_asker(session, where), quiz_id, now))
        ).replies
        return reply

    async def answer(
        self, session: int, quiz_id: str, choice: int, where: Point, now: float
    ) -> Outcome:
        return await self.run(self.rules.answer_quiz(_asker(session, where), quiz_id, choice, now))

    async def moved(self, session: int, where: Point, now: float) -> list[QuestProgress]:
        outcome = await self.run(self.rules.moved(session, where, now))
        return [m for _, m in outcome.tell if isinstance(m, QuestProgress)]

    async def wallet(self, session: int) -> Message:
        (reply,) = (await self.run(self.rules.wallet(_asker(session, FAR), T0))).replies
        return reply

    async def nickname(self, session: int, name: str) -> Message:
        (reply,) = (await self.run(self.rules.set_nickname(_asker(session, FAR), name, T0))).replies
        return reply


def _asker(session: int, where: Point) -> Asker:
    return Asker(session, where, None, None)


class CountingSteps(StoreSteps):
    """The real store, counting quest steps offered to it."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.advances = 0

    async def apply(self, step: Step) -> object:
        if isinstance(step, AdvanceQuests):
            self.advances += 1
        return await super().apply(step)


def refused(reply: Message, code: ErrorCode) -> bool:
    return isinstance(reply, Error) and reply.code == code


async def test_a_visitor_learns_walks_and_completes_a_quest(
    content: LearningContent, store: Store
) -> None:
    desk = Desk(content, store)
    wallet, walk = await desk.enter()
    assert isinstance(wallet, Wallet) and wallet.balance == 0
    assert isinstance(walk, QuestProgress) and (walk.quest_id, walk.steps) == ("walk", ())
    museum = at(content, "q-museum-1")

    assert refused(await desk.open_quiz(1, "q-museum-1", FAR, T0), ErrorCode.TOO_FAR)
    prompt = await desk.open_quiz(1, "q-museum-1", museum, T0)
    assert isinstance(prompt, QuizQuestion) and prompt.attempts_left == 2
    (wrong,) = (await desk.answer(1, "q-museum-1", 1, museum, T0 + 1)).replies
    assert isinstance(wrong, QuizResult) and not wrong.correct and wrong.explanation is None
    assert wrong.attempts_left == 1

    assert await desk.moved(1, gate_side(content), T0 + 2) != []
    again = await desk.open_quiz(1, "q-museum-1", museum, T0 + 3)
    assert isinstance(again, QuizQuestion) and again.reward == 5, "one miss halves the reward"
    right = await desk.answer(1, "q-museum-1", 0, museum, T0 + 4)
    result, done = right.replies
    assert isinstance(result, QuizResult) and result.correct and result.reward == 5
    assert isinstance(done, QuestProgress) and done.completed and done.bonus == 20
    assert result.balance == 25 and right.tokens == 25
    assert right.tell == [(VISITOR, done)], "the visitor's other tabs hear of the quest"
    wallet = await desk.wallet(1)
    assert isinstance(wallet, Wallet) and wallet.balance == 25
    assert desk.rules.leaderboard_due(T0 + 4) and not desk.rules.leaderboard_due(T0 + 4.5)
    week, _all, _label = await desk.steps.run(desk.rules.boards(T0 + 5))
    assert [(r.visitor_id, r.tokens, r.quests) for r in week] == [(VISITOR, 25, 1)]


async def test_requests_before_entering_or_with_a_wrong_secret_are_refused(
    content: LearningContent, store: Store
) -> None:
    desk = Desk(content, store)
    museum = at(content, "q-museum-1")
    for reply in (
        await desk.open_quiz(1, "q-museum-1", museum, T0),
        (await desk.answer(1, "q-museum-1", 0, museum, T0)).replies[0],
        await desk.nickname(1, "แก่น"),
        await desk.wallet(1),
        *(await desk.enter(1, VISITOR, None)),
    ):
        assert refused(reply, ErrorCode.NO_IDENTITY), reply
    assert await desk.enter(1, None, None) == [], "no identity at all: presence only"
    assert await desk.moved(1, museum, T0) == []
    await desk.enter()
    (stolen,) = await desk.enter(2, VISITOR, SECRET[:-1] + "X")
    assert refused(stolen, ErrorCode.BAD_IDENTITY)
    assert refused(await desk.wallet(2), ErrorCode.NO_IDENTITY)


async def test_replays_and_concurrent_answers_earn_once(
    content: LearningContent, store: Store
) -> None:
    desk = Desk(content, store)
    await desk.enter(1)
    await desk.enter(2)  # a second tab of the same visitor
    museum = at(content, "q-museum-2")
    await desk.open_quiz(1, "q-museum-2", museum, T0)
    outcomes = await asyncio.gather(
        *(desk.answer(s, "q-museum-2", 0, museum, T0 + 1) for s in (1, 2) * 10)
    )
    replies = [o.replies[0] for o in outcomes]
    graded = [r for r in replies if isinstance(r, QuizResult)]
    assert len(graded) == 1 and graded[0].reward == 10
    assert all(refused(r, ErrorCode.ANSWER_REPLAYED) for r in replies if isinstance(r, Error))
    await desk.open_quiz(2, "q-museum-2", museum, T0 + 2)
    (again,) = (await desk.answer(2, "q-museum-2", 0, museum, T0 + 3)).replies
    assert isinstance(again, QuizResult) and again.reward == 0 and again.already_awarded
    wallet = await desk.wallet(1)
    assert isinstance(wallet, Wallet) and wallet.balance == 10


async def test_openings_last_until_the_visitors_last_session_leaves(
    content: LearningContent, store: Store
) -> None:
    desk = Desk(content, store)
    await desk.enter(1)
    await desk.enter(2)
    museum = at(content, "q-museum-2")
    await desk.open_quiz(1, "q-museum-2", museum, T0)
    desk.rules.leave(1)
    (graded,) = (await desk.answer(2, "q-museum-2", 0, museum, T0)).replies
    assert isinstance(graded, QuizResult)
    await desk.open_quiz(2, "q-museum-2", museum, T0)
    desk.rules.leave(2)
    await desk.enter(3)
    (reply,) = (await desk.answer(3, "q-museum-2", 0, museum, T0)).replies
    assert refused(reply, ErrorCode.NO_OPEN_QUIZ)
    assert desk.rules.desk.size == 0


async def test_progress_and_balance_survive_a_server_restart(
    content: LearningContent, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/restart.db"
    store = await open_store(url)
    desk = Desk(content, store)
    await desk.enter()
    await desk.moved(1, gate_side(content), T0)
    assert await desk.nickname(1, "  น้องแก่น  ") == Nickname("น้องแก่น")
    assert refused(await desk.nickname(1, "x" * 25), ErrorCode.BAD_NAME)
    museum = at(content, "q-museum-2")
    await desk.open_quiz(1, "q-museum-2", museum, T0)
    await desk.answer(1, "q-museum-2", 0, museum, T0)
    await store.close()

    store = await open_store(url)
    try:
        restarted = Desk(content, store)
        wallet, walk = await restarted.enter(7)
        assert isinstance(wallet, Wallet) and wallet.balance == 10
        assert isinstance(walk, QuestProgress) and (walk.quest_id, walk.steps) == ("walk", (0,))
        _week, all_time, _label = await restarted.steps.run(restarted.rules.boards(T0))
        assert all_time[0].name == "น้องแก่น"
        assert all_time[0].visitor_id == VISITOR
    finally:
        await store.close()


async def test_every_statement_the_store_keeps_is_handed_on(
    content: LearningContent, store: Store
) -> None:
    desk = Desk(content, store)
    await desk.enter()
    museum = at(content, "q-museum-1")
    await desk.moved(1, gate_side(content), T0)
    for choice in (1, 0):
        await desk.open_quiz(1, "q-museum-1", museum, T0)
        await desk.answer(1, "q-museum-1", choice, museum, T0 + 1)
    await desk.open_quiz(1, "q-museum-1", museum, T0 + 2)
    await desk.answer(1, "q-museum-1", 0, museum, T0 + 2)  # graded, nothing new
    (replayed,) = (await desk.answer(1, "q-museum-1", 0, museum, T0 + 3)).replies
    assert isinstance(replayed, Error)
    kept = (await store.statements_since(0.0)).statements
    assert desk.statements == list(kept), "the same statements, ids and all, in the same order"
    verbs = [s["verb"]["display"]["en-US"] for s in desk.statements]
    assert verbs == ["answered", "answered", "completed", "answered"]


async def test_visits_are_tracked_per_tab(content: LearningContent, store: Store) -> None:
    desk = Desk(content, store)
    await desk.enter(1)
    await desk.enter(2)
    gate, away = gate_side(content), (150.0, 0.0)
    assert [u.steps for u in await desk.moved(1, gate, T0)] == [(0,)]
    for _ in range(3):  # one tab at the gate, another far away: no repeated visits
        assert await desk.moved(2, away, T0) == []
        assert await desk.moved(1, gate, T0) == []
    assert desk.steps.advances == 1, "the store heard of the visit once"
    desk.rules.leave(1)
    assert desk.rules.sessions_of(VISITOR) == {2} and desk.rules.entered(1) is None
