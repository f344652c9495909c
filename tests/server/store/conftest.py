"""Store factories for the contract suite: one param per implementation.

A factory opens the *same* underlying storage each time it is called, so a test can close a
store and open it again to check durability. The Redis params start real ``redis-server``
processes once per session (a standalone server and a 3-master cluster on free loopback ports)
and flush them before each test; they are skipped only when redis-server is not installed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import pytest

from server.store import Store, open_store
from server.store.base import Coupons
from server.ws.steps import StoreSteps
from srichan_world.scene.model import QuizPoint
from srichan_world.street import learning as programs
from srichan_world.world import xapi
from srichan_world.world.coupons import CouponRecord, Redemption
from srichan_world.world.quests import QuestEntry, QuestFact, QuestUpdate
from srichan_world.world.quizzes import Answer, AnswerOutcome, AttemptPolicy, quiz_version
from tests.world.learning_fixtures import quiz
from tools import redis_servers

StoreFactory = Callable[[], Awaitable[Store]]

SECRET = "s3cret-Token_0123456789abcdef"
T0 = 1_778_300_000.0  # Saturday 9 May 2026, 11:13 in Bangkok


STORE_KINDS = [
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster", marks=pytest.mark.redis),
]


def _need_redis() -> None:
    reason = redis_servers.available()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_standalone(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[redis_servers.RedisServer]:
    """One redis-server for the session, no persistence."""
    _need_redis()
    server = redis_servers.start_server(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[redis_servers.RedisClusterNodes]:
    """A 3-master Redis Cluster for the session, no replicas, no persistence."""
    _need_redis()
    cluster = redis_servers.start_cluster(tmp_path_factory.mktemp("redis-cluster"))
    yield cluster
    cluster.stop()


def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store of the kind ``request.param`` names."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    name = "redis_standalone" if request.param == "redis" else "redis_cluster"
    servers = request.getfixturevalue(name)
    servers.flush()
    return servers.url


@pytest.fixture(params=STORE_KINDS)
async def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[StoreFactory]:
    url = store_url(request, tmp_path)
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


async def record_answer(store: Store, answer: Answer, daily_cap: int) -> AnswerOutcome:
    """Record an answer as the street does: plan it, have the store apply the plan, plan again
    on what the store holds if it changed. Raises ``Refused``."""
    outcome: AnswerOutcome = await StoreSteps(store).run(programs.record_answer(answer, daily_cap))
    return outcome


async def advance_quests(
    store: Store,
    visitor_id: str,
    fact: QuestFact,
    entries: Sequence[QuestEntry],
    now: float,
    daily_cap: int,
) -> tuple[QuestUpdate, ...]:
    """Advance quests as the street does, knowing nothing of the visitor's progress first."""
    program = programs.advance_quests(visitor_id, fact, entries, {}, now, daily_cap)
    updates: tuple[QuestUpdate, ...] = await StoreSteps(store).run(program)
    return updates


async def buy(store: Coupons, redemption: Redemption, secret: str = SECRET) -> CouponRecord:
    """Redeem as the visitor registered with ``secret``; the coupon."""
    return (await store.redeem(redemption, secret)).coupon
