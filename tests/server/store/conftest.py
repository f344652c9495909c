"""Store factories for the contract suite: one param per implementation.

A factory opens the *same* underlying storage each time it is called, so a test can close a
store and open it again to check durability. Adding the Redis store is one more param here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from server.store import Store, open_store
from srichan_world.scene.model import QuizPoint
from srichan_world.world import xapi
from srichan_world.world.quizzes import Answer, AttemptPolicy, quiz_version
from tests.world.learning_fixtures import quiz

StoreFactory = Callable[[], Awaitable[Store]]

SECRET = "s3cret-Token_0123456789abcdef"
T0 = 1_778_300_000.0  # Saturday 9 May 2026, 11:13 in Bangkok


@pytest.fixture(params=["sqlite"])
async def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StoreFactory]:
    url = f"sqlite:///{tmp_path}/store.db"
    opened: list[Store] = []

    async def make() -> Store:
        store = await open_store(url)
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


@pytest.fixture
async def store(store_factory: StoreFactory) -> Store:
    return await store_factory()


def make_answer(
    visitor_id: str,
    key: str,
    *,
    correct: bool = True,
    now: float = T0,
    q: QuizPoint | None = None,
) -> Answer:
    """An answer as the quiz desk would grade it."""
    q = q or quiz()
    version = quiz_version(q)
    choice = q.correct if correct else (q.correct + 1) % len(q.choices)
    return Answer(
        key=key,
        visitor_id=visitor_id,
        quiz_id=q.id,
        quiz_key=f"{q.id}@{version}",
        choice=choice,
        correct=correct,
        reward=q.reward,
        policy=AttemptPolicy.of(q),
        explanation=q.explanation,
        statement=xapi.answered_statement(key, visitor_id, q, version, choice, correct, now),
        now=now,
    )
