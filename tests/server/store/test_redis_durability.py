"""The Redis store across a Redis crash: with AOF ``appendfsync always`` nothing acknowledged is
lost when redis-server is killed and started again on the same directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.store import open_store
from srichan_world.world.leaderboard import Board
from srichan_world.world.ledger import Transfer, shop_account, visitor_account
from srichan_world.world.quests import QuestBook, QuestFact
from tests.server.store.conftest import SECRET, T0, advance_quests, make_answer, record_answer
from tests.server.store.credit_worker import credits_until_killed
from tests.world.learning_fixtures import quest, quiz
from tools import redis_servers

pytestmark = pytest.mark.redis

AOF_ALWAYS = ("--save", "", "--appendonly", "yes", "--appendfsync", "always")
VISITOR = "durable-visitor-1"
REPORTED_BEFORE_KILL = 60


@pytest.fixture
def server(tmp_path: Path) -> Iterator[redis_servers.RedisServer]:
    reason = redis_servers.available()
    if reason:
        pytest.skip(reason)
    started = redis_servers.start_server(tmp_path / "aof", AOF_ALWAYS)
    yield started
    started.stop()


async def test_everything_survives_a_redis_kill_and_restart(
    server: redis_servers.RedisServer,
) -> None:
    store = await open_store(server.url)
    book = QuestBook([quest("walk", "ordered", (("visit", "city-gate"), ("quiz", "q-gate")))])
    try:
        await store.register_visitor(VISITOR, SECRET, T0)
        await store.set_nickname(VISITOR, "ศรีจันทร์")
        for fact in (QuestFact("visit", "city-gate"), QuestFact("quiz", "q-gate")):
            await advance_quests(store, VISITOR, fact, book.affected_by(fact), T0, 500)
        await record_answer(store, make_answer(VISITOR, "a1", q=quiz(reward=30)), 500)
        redeem = Transfer("r1", visitor_account(VISITOR), shop_account("B01"), 45, "redeem", T0)
        await store.transfer(redeem)
        before = (
            await store.entries(),
            await store.statements_since(0.0),
            await store.quest_progress(VISITOR),
            await store.leaderboard(Board.ALL, T0),
            await store.balance(visitor_account(VISITOR)),
        )
    finally:
        await store.close()
    assert before[-1] == 35 and len(before[0]) == 3
    server.kill()
    server.start()
    reopened = await open_store(server.url)
    try:
        after = (
            await reopened.entries(),
            await reopened.statements_since(0.0),
            await reopened.quest_progress(VISITOR),
            await reopened.leaderboard(Board.ALL, T0),
            await reopened.balance(visitor_account(VISITOR)),
        )
        assert after == before
        assert (await reopened.authenticate_visitor(VISITOR, SECRET)).nickname == "ศรีจันทร์"
        assert (await reopened.transfer(redeem)).seq == before[0][-1].seq, "still idempotent"
        assert (await reopened.audit()).ok
    finally:
        await reopened.close()


async def test_credits_acknowledged_before_redis_is_killed_are_all_there(
    server: redis_servers.RedisServer,
) -> None:
    reported, _ = credits_until_killed(
        server.url, VISITOR, SECRET, REPORTED_BEFORE_KILL, lambda _worker: server.kill()
    )
    server.start()
    store = await open_store(server.url)
    try:
        await store.settle()  # a credit cut off between its two steps is finished here
        entries = await store.entries(visitor_account(VISITOR), limit=1000)
        keys = {e.transfer.key for e in entries}
        assert set(reported) <= keys, f"lost: {sorted(set(reported) - keys)}"
        assert await store.balance(visitor_account(VISITOR)) == len(entries)
        assert (await store.authenticate_visitor(VISITOR, SECRET)).id == VISITOR
        assert len((await store.statements_since(0.0, limit=1000)).statements) >= 6
        report = await store.audit()
        assert report.ok, report.problems
    finally:
        await store.close()
