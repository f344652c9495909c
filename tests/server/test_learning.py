"""The learning service: rules and a real SQLite store together, as the WebSocket will use them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.services.learning import Entered, Learning
from server.store import Store, open_store
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import answers, public_manifest
from srichan_world.world.leaderboard import Board
from srichan_world.world.learning import LearningContent
from srichan_world.world.quizzes import QuizPrompt, QuizResult
from srichan_world.world.refusals import Refusal

VISITOR = "visitor-learner-01"
SECRET = "Zk3_vq9-XbT0pLw8RmY2sA"
T0 = 1_778_300_000.0
FAR = (0.0, 0.0)


@pytest.fixture
def content(small_scene_text: str) -> LearningContent:
    scene = load_scene_text(small_scene_text)
    return LearningContent.from_compiled(public_manifest(scene), answers(scene))


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


async def entered(learning: Learning, session: int = 1, visitor: str = VISITOR) -> Entered:
    result = await learning.enter(session, visitor, SECRET, T0)
    assert isinstance(result, Entered), result
    return result


async def test_a_visitor_learns_walks_and_completes_a_quest(
    content: LearningContent, store: Store
) -> None:
    learning = Learning(content, store)
    first = await entered(learning)
    assert first.balance == 0 and [(q.quest_id, q.done) for q in first.quests] == [("walk", ())]
    museum = at(content, "q-museum-1")

    far = await learning.open_quiz(1, "q-museum-1", FAR, T0)
    assert isinstance(far, Refusal) and far.code == ErrorCode.TOO_FAR
    prompt = await learning.open_quiz(1, "q-museum-1", museum, T0)
    assert isinstance(prompt, QuizPrompt) and prompt.attempts_left == 2
    wrong = await learning.answer_quiz(1, "q-museum-1", 1, museum, T0 + 1)
    assert isinstance(wrong, QuizResult) and not wrong.correct and wrong.explanation is None
    assert wrong.attempts_left == 1 and wrong.quests == ()

    assert await learning.moved(1, gate_side(content), T0 + 2) != ()
    await learning.open_quiz(1, "q-museum-1", museum, T0 + 3)
    right = await learning.answer_quiz(1, "q-museum-1", 0, museum, T0 + 4)
    assert isinstance(right, QuizResult) and right.correct and right.awarded == 10
    (walk,) = right.quests
    assert walk.just_completed and walk.bonus_awarded == 20
    assert await learning.balance(1) == 30
    assert learning.leaderboard_due(T0 + 4) and not learning.leaderboard_due(T0 + 4.5)
    board = await learning.leaderboard(Board.WEEK, T0 + 5)
    assert [(r.visitor_id, r.tokens, r.quests) for r in board] == [(VISITOR, 30, 1)]


async def test_requests_before_entering_or_with_a_wrong_secret_are_refused(
    content: LearningContent, store: Store
) -> None:
    learning = Learning(content, store)
    museum = at(content, "q-museum-1")
    for refused in (
        await learning.open_quiz(1, "q-museum-1", museum, T0),
        await learning.answer_quiz(1, "q-museum-1", 0, museum, T0),
        await learning.set_nickname(1, "แก่น"),
        await learning.balance(1),
        await learning.enter(1, None, None, T0),
    ):
        assert isinstance(refused, Refusal) and refused.code == ErrorCode.NO_IDENTITY
    assert await learning.moved(1, museum, T0) == ()
    await entered(learning)
    stolen = await learning.enter(2, VISITOR, SECRET[:-1] + "X", T0)
    assert isinstance(stolen, Refusal) and stolen.code == ErrorCode.BAD_IDENTITY
    assert isinstance(await learning.balance(2), Refusal)


async def test_replays_and_concurrent_answers_earn_once(
    content: LearningContent, store: Store
) -> None:
    learning = Learning(content, store)
    await entered(learning, 1)
    await entered(learning, 2)  # a second tab of the same visitor
    museum = at(content, "q-museum-2")
    await learning.open_quiz(1, "q-museum-2", museum, T0)
    results = await asyncio.gather(
        *(learning.answer_quiz(s, "q-museum-2", 0, museum, T0 + 1) for s in (1, 2) * 10)
    )
    graded = [r for r in results if isinstance(r, QuizResult)]
    assert len(graded) == 1 and graded[0].awarded == 10
    assert all(r.code == ErrorCode.ANSWER_REPLAYED for r in results if isinstance(r, Refusal))
    await learning.open_quiz(2, "q-museum-2", museum, T0 + 2)
    again = await learning.answer_quiz(2, "q-museum-2", 0, museum, T0 + 3)
    assert isinstance(again, QuizResult) and again.awarded == 0 and again.already_awarded
    assert await learning.balance(1) == 10


async def test_openings_last_until_the_visitors_last_session_leaves(
    content: LearningContent, store: Store
) -> None:
    learning = Learning(content, store)
    await entered(learning, 1)
    await entered(learning, 2)
    museum = at(content, "q-museum-2")
    await learning.open_quiz(1, "q-museum-2", museum, T0)
    learning.leave(1)
    assert isinstance(await learning.answer_quiz(2, "q-museum-2", 0, museum, T0), QuizResult)
    await learning.open_quiz(2, "q-museum-2", museum, T0)
    learning.leave(2)
    await entered(learning, 3)
    refused = await learning.answer_quiz(3, "q-museum-2", 0, museum, T0)
    assert isinstance(refused, Refusal) and refused.code == ErrorCode.NO_OPEN_QUIZ
    assert learning.desk.size == 0


async def test_progress_and_balance_survive_a_server_restart(
    content: LearningContent, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/restart.db"
    store = await open_store(url)
    learning = Learning(content, store)
    await entered(learning)
    await learning.moved(1, gate_side(content), T0)
    nick = await learning.set_nickname(1, "  น้องแก่น  ")
    assert not isinstance(nick, Refusal) and nick.nickname == "น้องแก่น"
    bad = await learning.set_nickname(1, "x" * 25)
    assert isinstance(bad, Refusal) and bad.code == ErrorCode.BAD_NAME
    museum = at(content, "q-museum-2")
    await learning.open_quiz(1, "q-museum-2", museum, T0)
    await learning.answer_quiz(1, "q-museum-2", 0, museum, T0)
    await store.close()

    store = await open_store(url)
    try:
        restarted = Learning(content, store)
        back = await entered(restarted, 7)
        assert back.balance == 10 and back.visitor.nickname == "น้องแก่น"
        assert [(q.quest_id, q.done) for q in back.quests] == [("walk", (0,))]
        board = await restarted.leaderboard(Board.ALL, T0)
        assert board[0].name == "น้องแก่น"
    finally:
        await store.close()


async def test_every_statement_the_store_keeps_is_handed_on(
    content: LearningContent, store: Store
) -> None:
    handed: list[dict] = []
    learning = Learning(content, store, on_statement=handed.append)
    await entered(learning)
    museum = at(content, "q-museum-1")
    await learning.moved(1, gate_side(content), T0)
    for choice in (1, 0):
        await learning.open_quiz(1, "q-museum-1", museum, T0)
        await learning.answer_quiz(1, "q-museum-1", choice, museum, T0 + 1)
    await learning.open_quiz(1, "q-museum-1", museum, T0 + 2)
    await learning.answer_quiz(1, "q-museum-1", 0, museum, T0 + 2)  # graded, nothing new
    replayed = await learning.answer_quiz(1, "q-museum-1", 0, museum, T0 + 3)
    assert isinstance(replayed, Refusal)
    kept = (await store.statements_since(0.0)).statements
    assert handed == list(kept), "the same statements, ids and all, in the same order"
    verbs = [s["verb"]["display"]["en-US"] for s in handed]
    assert verbs == ["answered", "answered", "completed", "answered"]


async def test_visits_are_tracked_per_tab(content: LearningContent, store: Store) -> None:
    counting = CountingStore(store)
    learning = Learning(content, counting)  # type: ignore[arg-type]
    await entered(learning, 1)
    await entered(learning, 2)
    gate, away = gate_side(content), (150.0, 0.0)
    assert [u.done for u in await learning.moved(1, gate, T0)] == [(0,)]
    for _ in range(3):  # one tab at the gate, another far away: no repeated visits
        assert await learning.moved(2, away, T0) == ()
        assert await learning.moved(1, gate, T0) == ()
    assert counting.advances == 1, "the store heard of the visit once"
    learning.leave(1)
    assert learning.sessions_of(VISITOR) == {2} and learning.entered(1) is None


class CountingStore:
    """The real store, counting quest steps offered to it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.advances = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def advance_quests(self, *args: object, **kwargs: object) -> object:
        self.advances += 1
        return await self._store.advance_quests(*args, **kwargs)  # type: ignore[arg-type]
