"""Degraded mode without sockets: the health state, the request guard and the learning
service over a store that can be switched off (or made to lose its replies)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.health import StoreHealth
from server.store import Store, StoreError, open_store
from server.ws.steps import StoreSteps
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Error, QuestProgress, QuizResult, Wallet
from srichan_world.scene.geometry import Point
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, answers, public_manifest
from srichan_world.street.learning import Asker, LearningDesk
from srichan_world.street.steps import StoreUnavailable
from srichan_world.world.learning import LearningContent
from srichan_world.world.ledger import visitor_account
from srichan_world.world.quizzes import Answer, AttemptState, QuizBook, QuizDesk
from tests.world.learning_fixtures import quiz

VISITOR = "visitor-outage-01"
SECRET = "Zk3_vq9-XbT0pLw8RmY2sA"
T0 = 1_778_300_000.0


class FlakyStore:
    """The real store behind a switch: ``down`` refuses every call as an unreachable Redis
    would; ``lose_replies`` does the call, then fails as if the reply never came back."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.down = False
        self.lose_replies = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreError("redis: Error 111 connecting to 127.0.0.1:6390")
            result = await method(*args, **kwargs)
            if self.lose_replies:
                raise StoreError("redis: Connection reset by peer")
            return result

        return call


@pytest.fixture
def content(small_scene_text: str) -> LearningContent:
    scene = load_scene_text(small_scene_text)
    return LearningContent.from_compiled(Manifest.parse(public_manifest(scene)), answers(scene))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[FlakyStore]:
    inner = await open_store(f"sqlite:///{tmp_path}/outage.db")
    yield FlakyStore(inner)
    await inner.close()


def at(content: LearningContent, quiz_id: str) -> tuple[float, float]:
    return next(q.position for q in content.quiz_points if q.id == quiz_id)


def asker(position: Point = (0.0, 0.0)) -> Asker:
    return Asker(1, position, VISITOR, SECRET)


async def test_an_answer_the_store_missed_can_be_sent_again_and_counts_once(
    content: LearningContent, store: FlakyStore
) -> None:
    desk, steps = LearningDesk(content), StoreSteps(store)  # type: ignore[arg-type]
    (wallet, *_) = (await steps.run(desk.hello(asker(), T0))).replies
    assert isinstance(wallet, Wallet)
    museum = at(content, "q-museum-1")
    await steps.run(desk.open_quiz(asker(museum), "q-museum-1", T0))
    store.down = True
    with pytest.raises(StoreUnavailable):
        await steps.run(desk.answer_quiz(asker(museum), "q-museum-1", 0, T0 + 1))
    store.down = False
    (again, *_) = (
        await steps.run(desk.answer_quiz(asker(museum), "q-museum-1", 0, T0 + 2))
    ).replies
    assert isinstance(again, QuizResult) and again.reward == 10 and again.balance == 10

    second = at(content, "q-museum-2")
    await steps.run(desk.open_quiz(asker(second), "q-museum-2", T0 + 3))
    store.lose_replies = True  # recorded, but the reply was lost on the way back
    with pytest.raises(StoreUnavailable):
        await steps.run(desk.answer_quiz(asker(second), "q-museum-2", 0, T0 + 4))
    store.lose_replies = False
    (replayed,) = (
        await steps.run(desk.answer_quiz(asker(second), "q-museum-2", 0, T0 + 5))
    ).replies
    assert isinstance(replayed, Error) and replayed.code == ErrorCode.ANSWER_REPLAYED
    entries = await store.inner.entries(visitor_account(VISITOR))
    assert sorted(e.transfer.amount for e in entries) == [10, 10], "each award paid once"


def test_a_failed_answer_does_not_replace_a_newer_opening() -> None:
    desk = QuizDesk(QuizBook([quiz("q-gate")]))
    desk.open("v1", "q-gate", (0.0, 0.0), T0, AttemptState(), "nonce-one")
    failed = desk.answer("v1", "q-gate", 0, (0.0, 0.0), T0 + 1)
    assert isinstance(failed, Answer) and failed.key.endswith(":nonce-one")
    desk.reopen(failed)
    again = desk.answer("v1", "q-gate", 0, (0.0, 0.0), T0 + 2)
    assert isinstance(again, Answer) and again.key == failed.key, "same opening, same key"
    desk.open("v1", "q-gate", (0.0, 0.0), T0 + 3, AttemptState(), "nonce-two")
    desk.reopen(again)  # a late failure of the older answer
    newer = desk.answer("v1", "q-gate", 0, (0.0, 0.0), T0 + 4)
    assert isinstance(newer, Answer) and newer.key.endswith(":nonce-two")


async def test_a_visit_made_while_the_store_was_away_still_counts(
    content: LearningContent, store: FlakyStore
) -> None:
    desk, steps = LearningDesk(content), StoreSteps(store)  # type: ignore[arg-type]
    await steps.run(desk.hello(asker(), T0))
    (gate, *_), *_ = content.footprints["gate"]
    store.down = True
    with pytest.raises(StoreUnavailable):
        await steps.run(desk.moved(1, gate, T0 + 1))
    with pytest.raises(StoreUnavailable):  # still down: still kept
        await steps.run(desk.moved(1, (gate[0] + 2.0, gate[1]), T0 + 2))
    store.down = False
    told = (await steps.run(desk.moved(1, (gate[0] + 3.0, gate[1]), T0 + 3))).tell
    (walk,) = [m for _, m in told]
    assert isinstance(walk, QuestProgress) and walk.quest_id == "walk" and walk.steps == (0,)
    assert (await steps.run(desk.moved(1, (gate[0] + 4.0, gate[1]), T0 + 4))).tell == []


async def test_health_goes_down_on_a_failed_probe_and_calls_back_when_it_returns() -> None:
    answers_ok = [True]
    recovered: list[str] = []
    changes: list[bool] = []

    async def probe() -> object:
        if not answers_ok[0]:
            raise StoreError("redis: Error 111")
        return {}

    health = StoreHealth(probe, up_s=60.0, down_s=60.0, clock=lambda: 100.0)
    health.on_change.append(changes.append)

    async def back() -> None:
        recovered.append("back")

    health.on_recovered.append(back)
    assert await health.check() and health.report() == {"store": "ok"}
    answers_ok[0] = False
    watcher = asyncio.create_task(health.run_forever())
    try:
        health.suspect(StoreError("redis: Connection reset by peer"))  # wakes it at once
        async with asyncio.timeout(2):
            while health.up:
                await asyncio.sleep(0.01)
        report = health.report()
        assert report["status"] == "degraded" and report["store"] == "unavailable"
        assert "Error 111" in str(report["store_error"])
        answers_ok[0] = True
        health.suspect(StoreError("a request failed"))
        async with asyncio.timeout(2):
            while not health.up:
                await asyncio.sleep(0.01)
    finally:
        watcher.cancel()
    assert recovered == ["back"] and changes == [False, True]


async def test_a_slow_store_counts_as_down() -> None:
    async def hangs() -> object:
        await asyncio.sleep(10)
        return {}

    health = StoreHealth(hangs, timeout_s=0.05)
    assert not await health.check() and not health.up
