"""Redis store specifics: URLs, key layout, cross-slot steps cut off halfway, races between
processes, conflicts across slots. The shared contract is in test_contract.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.store import StoreError, open_store
from server.store.redis.keys import SCHEMA_KEY
from server.store.redis.store import RedisStore
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.leaderboard import Board
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from srichan_world.world.quests import QuestBook, QuestFact
from srichan_world.world.quizzes import AttemptState
from tests.server.store.conftest import (
    SECRET,
    T0,
    advance_quests,
    buy,
    make_answer,
    record_answer,
    store_url,
)
from tests.world.booth_fixtures import config, promotion, redemption
from tests.world.learning_fixtures import quest, quiz
from tools import redis_servers

pytestmark = pytest.mark.redis

ALICE = "alice-0000001"
BOB = "bob-000000002"
SHOP = shop_account("B01")
CAP = 500


@pytest.fixture(params=["redis", "redis-cluster"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request, tmp_path)


@pytest.fixture
async def store(url: str) -> AsyncIterator[RedisStore]:
    opened = await open_store(url)
    assert isinstance(opened, RedisStore)
    yield opened
    await opened.close()


async def gift(store: RedisStore, visitor_id: str, amount: int, key: str) -> None:
    await store.transfer(Transfer(key, CITY_POOL, visitor_account(visitor_id), amount, "gift", T0))


class CutOff(Exception):
    """Stands for the process dying between two steps."""


def cut_off(store: RedisStore, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """Make the store's next cross-slot ``step`` (``post``, ``deliver``) fail, as if the process
    died."""

    async def dies(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.undo()
        raise CutOff(step)

    monkeypatch.setattr(store._slots, step, dies)


# -- URLs ---------------------------------------------------------------------------------------


async def test_the_cluster_url_opens_a_cluster_client(url: str) -> None:
    store = await open_store(url)
    try:
        assert isinstance(store, RedisStore)
        assert store.cluster == url.startswith("redis+cluster://")
    finally:
        await store.close()


@pytest.mark.parametrize("scheme", ["redis", "rediss", "redis+cluster"])
async def test_nothing_listening_is_a_store_error_without_the_password(scheme: str) -> None:
    port = redis_servers.free_port()
    with pytest.raises(StoreError, match="cannot use Redis") as caught:
        await open_store(f"{scheme}://:hunter2-secret@127.0.0.1:{port}/0")
    assert "hunter2" not in str(caught.value)
    assert "***" in str(caught.value)


async def test_tls_to_a_plain_server_fails_clearly(redis_standalone: Any) -> None:
    with pytest.raises(StoreError, match="cannot use Redis"):
        await open_store(f"rediss://127.0.0.1:{redis_standalone.port}/0")


async def test_a_unix_socket_url_works(tmp_path: Path) -> None:
    reason = redis_servers.available()
    if reason:
        pytest.skip(reason)
    socket_path = tmp_path / "redis.sock"
    server = redis_servers.start_server(
        tmp_path / "unix", (*redis_servers.EPHEMERAL, "--unixsocket", str(socket_path))
    )
    try:
        store = await open_store(f"unix://{socket_path}?db=2")
        await store.register_visitor(ALICE, SECRET, T0)
        await store.close()
        with server.client() as c:
            c.select(2)
            assert c.exists(f"srichan:{{v:{ALICE}}}")
    finally:
        server.stop()


@pytest.mark.parametrize("url", ["redis:/nohost", "http://127.0.0.1:6379", "redis+cluster:x"])
async def test_urls_that_are_not_redis_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        await RedisStore.open(url)


async def test_data_from_a_newer_program_is_refused(redis_standalone: Any) -> None:
    redis_standalone.flush()
    with redis_standalone.client() as c:
        c.set(SCHEMA_KEY, 99)
    with pytest.raises(StoreError, match="schema version 99"):
        await open_store(redis_standalone.url)
    redis_standalone.flush()


# -- key layout ---------------------------------------------------------------------------------

TAGGED = re.compile(r"^srichan:\{(g|v:[A-Za-z0-9_.@-]+|img:[0-9a-f]{32})\}")


async def test_every_key_carries_a_visitor_or_sequencer_hash_tag(store: RedisStore) -> None:
    book = QuestBook([quest("walk", "ordered", (("visit", "city-gate"), ("quiz", "q-gate")))])
    await store.register_visitor(ALICE, SECRET, T0)
    await store.set_nickname(ALICE, "แก่น")
    await record_answer(store, make_answer(ALICE, "a1"), CAP)
    fact = QuestFact("visit", "city-gate")
    await advance_quests(store, ALICE, fact, book.affected_by(fact), T0, CAP)
    await store.transfer(Transfer("r1", visitor_account(ALICE), SHOP, 3, "redeem", T0))
    await store.register_visitor(BOB, SECRET, T0)
    await gift(store, BOB, 5, "g1")
    await store.grant_slot("B01", "auntie-daeng", "ร้านป้าแดง", T0)
    await store.put_image("B01", "auntie-daeng", "ab" * 16, "image/webp", b"RIFF", T0)
    await store.save_booth_draft("B01", "auntie-daeng", config(promotion(cost=5)), T0)
    await store.publish_booth("B01", "auntie-daeng", T0)
    await buy(store, redemption(BOB, "key-00001"))
    keys = [k async for k in store._conn.redis.scan_iter(match="*")]
    assert len(keys) > 30
    assert [k for k in keys if not TAGGED.match(k)] == []
    slots = {TAGGED.match(k).group(1) for k in keys}  # type: ignore[union-attr]
    assert slots == {"g", f"v:{ALICE}", f"v:{BOB}", f"img:{'ab' * 16}"}


# -- cross-slot steps cut off halfway ------------------------------------------------------------


async def pool_and_visitor(store: RedisStore, visitor_id: str) -> tuple[int, int]:
    return await store.balance(CITY_POOL), await store.balance(visitor_account(visitor_id))


async def test_an_award_cut_off_before_the_sequencer_is_finished_by_settle(
    url: str, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.register_visitor(ALICE, SECRET, T0)
    cut_off(store, monkeypatch, "post")
    with pytest.raises(CutOff):
        await record_answer(store, make_answer(ALICE, "a1"), CAP)
    assert await pool_and_visitor(store, ALICE) == (0, 10), "half done: credited, not sequenced"
    assert await store.entries() == ()
    other = await open_store(url)  # another process finds the work left over
    try:
        assert await other.settle() >= 2  # the movement and the statement at least
        assert await other.settle() == 0
    finally:
        await other.close()
    assert await pool_and_visitor(store, ALICE) == (-10, 10)
    assert [e.transfer.amount for e in await store.entries(visitor_account(ALICE))] == [10]
    assert len((await store.statements_since(0.0)).statements) == 1
    assert [r.tokens for r in await store.leaderboard(Board.ALL, T0)] == [10]
    assert (await store.audit()).ok
    retry = await record_answer(store, make_answer(ALICE, "a2"), CAP)
    assert retry.already_awarded and retry.awarded == 0


async def test_a_visitors_next_action_finishes_their_leftovers(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.register_visitor(ALICE, SECRET, T0)
    cut_off(store, monkeypatch, "post")
    with pytest.raises(CutOff):
        await record_answer(store, make_answer(ALICE, "a1"), CAP)
    await record_answer(store, make_answer(ALICE, "a2", correct=False), CAP)
    assert await pool_and_visitor(store, ALICE) == (-10, 10)
    assert len((await store.statements_since(0.0)).statements) == 2
    assert (await store.audit()).ok


async def test_the_audit_settles_first_and_reports_nothing_left(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.register_visitor(ALICE, SECRET, T0)
    cut_off(store, monkeypatch, "post")
    with pytest.raises(CutOff):
        await record_answer(store, make_answer(ALICE, "a1"), CAP)
    report = await store.audit()
    assert report.ok, report.problems
    assert sum(a.derived for a in report.accounts) == 0


async def test_a_redemption_cut_off_after_the_debit_completes_on_retry(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await gift(store, ALICE, 30, "g1")
    redeem = Transfer("r1", visitor_account(ALICE), SHOP, 12, "redeem", T0)
    cut_off(store, monkeypatch, "post")
    with pytest.raises(CutOff):
        await store.transfer(redeem)
    assert await store.balance(visitor_account(ALICE)) == 18
    assert await store.balance(SHOP) == 0, "the shop's side waits for the sequencer"
    first = await store.transfer(redeem)
    again = await store.transfer(redeem)
    assert first == again and first.transfer == redeem
    assert (await store.balance(visitor_account(ALICE)), await store.balance(SHOP)) == (18, 12)
    assert (await store.audit()).ok


async def test_a_gift_cut_off_before_the_visitors_credit_completes_on_retry(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut_off(store, monkeypatch, "deliver")
    with pytest.raises(CutOff):
        await gift(store, ALICE, 25, "g1")
    assert await pool_and_visitor(store, ALICE) == (-25, 0)
    results = await asyncio.gather(*(gift(store, ALICE, 25, "g1") for _ in range(5)))
    assert len(results) == 5
    assert await pool_and_visitor(store, ALICE) == (-25, 25)
    assert len(await store.entries()) == 1
    assert (await store.audit()).ok


async def test_an_unsettled_gift_is_delivered_by_settle(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    cut_off(store, monkeypatch, "deliver")
    with pytest.raises(CutOff):
        await gift(store, ALICE, 25, "g1")
    assert await store.settle() == 1
    assert await pool_and_visitor(store, ALICE) == (-25, 25)
    assert await store.settle() == 0


# -- idempotency keys across slots --------------------------------------------------------------


async def test_a_key_held_by_another_visitor_refuses_and_gives_the_debit_back(
    store: RedisStore,
) -> None:
    await gift(store, ALICE, 40, "k1")
    await gift(store, BOB, 40, "k2")
    stolen = Transfer("k1", visitor_account(BOB), SHOP, 15, "redeem", T0)
    with pytest.raises(Refused) as caught:
        await store.transfer(stolen)
    assert caught.value.code == ErrorCode.KEY_CONFLICT
    assert await store.balance(visitor_account(BOB)) == 40, "the debit was given back"
    assert await store.balance(SHOP) == 0
    with pytest.raises(Refused) as caught:
        await store.transfer(Transfer("k1", visitor_account(ALICE), SHOP, 5, "redeem", T0))
    assert caught.value.code == ErrorCode.KEY_CONFLICT, "alice's own credit holds k1"
    assert await store.balance(visitor_account(ALICE)) == 40
    report = await store.audit()
    assert report.ok, report.problems
    assert report.transfers == 2


async def test_award_keys_belong_to_the_store(store: RedisStore) -> None:
    with pytest.raises(Refused) as caught:
        await gift(store, ALICE, 10, f"award:{ALICE}:quiz:q@1")
    assert caught.value.code == ErrorCode.KEY_CONFLICT
    assert await store.entries() == ()


async def test_transfers_between_two_visitors_cross_slots(store: RedisStore) -> None:
    await gift(store, ALICE, 50, "g1")
    move = Transfer("p1", visitor_account(ALICE), visitor_account(BOB), 20, "share", T0)
    entries = await asyncio.gather(*(store.transfer(move) for _ in range(8)))
    assert {e.seq for e in entries} == {2}
    assert await store.balance(visitor_account(ALICE)) == 30
    assert await store.balance(visitor_account(BOB)) == 20
    assert [e.transfer.key for e in await store.entries(visitor_account(BOB))] == ["p1"]
    with pytest.raises(Refused) as caught:
        await store.transfer(
            Transfer("p2", visitor_account(BOB), visitor_account(ALICE), 21, "x", T0)
        )
    assert caught.value.code == ErrorCode.INSUFFICIENT_TOKENS
    assert (await store.audit()).ok


async def test_a_shop_pays_only_what_it_holds(store: RedisStore) -> None:
    await gift(store, ALICE, 30, "g1")
    await store.transfer(Transfer("r1", visitor_account(ALICE), SHOP, 30, "redeem", T0))
    with pytest.raises(Refused) as caught:
        await store.transfer(Transfer("s1", SHOP, CITY_POOL, 31, "settle", T0))
    assert caught.value.code == ErrorCode.INSUFFICIENT_TOKENS
    refund = await store.transfer(Transfer("s2", SHOP, visitor_account(ALICE), 10, "refund", T0))
    assert refund.seq == 3
    assert (await store.balance(SHOP), await store.balance(visitor_account(ALICE))) == (20, 10)
    assert (await store.audit()).ok


# -- several processes --------------------------------------------------------------------------


async def test_two_processes_answering_for_one_visitor_award_once(url: str) -> None:
    first, second = await open_store(url), await open_store(url)
    try:
        await first.register_visitor(ALICE, SECRET, T0)
        answers = [make_answer(ALICE, f"a{i}") for i in range(24)]
        results = await asyncio.gather(
            *(record_answer((first if i % 2 else second), a, CAP) for i, a in enumerate(answers))
        )
        assert sum(r.awarded for r in results) == 10
        assert sum(not r.already_awarded for r in results) == 1
        wrong = [make_answer(ALICE, f"w{i}", correct=False, q=quiz("q2")) for i in range(10)]
        outcomes = await asyncio.gather(
            *(record_answer((first if i % 2 else second), a, CAP) for i, a in enumerate(wrong)),
            return_exceptions=True,
        )
        accepted = [o for o in outcomes if not isinstance(o, BaseException)]
        assert len(accepted) == 3, "three attempts, then the cooldown"
        assert all(isinstance(o, Refused) and o.code == ErrorCode.COOLDOWN for o in outcomes
                   if isinstance(o, BaseException))  # fmt: skip
        assert (await second.quiz_attempts(ALICE, wrong[0].quiz_key)).wrong == 3
        assert (await first.audit()).ok
    finally:
        await first.close()
        await second.close()


async def test_an_answer_key_cannot_be_used_by_another_visitor(store: RedisStore) -> None:
    await store.register_visitor(ALICE, SECRET, T0)
    await store.register_visitor(BOB, SECRET, T0)
    await record_answer(store, make_answer(ALICE, "shared-key", correct=False), CAP)
    with pytest.raises(Refused) as caught:
        await record_answer(store, make_answer(BOB, "shared-key"), CAP)
    assert caught.value.code == ErrorCode.ANSWER_REPLAYED
    assert await store.balance(visitor_account(BOB)) == 0
    desk_key = f"answer:{ALICE}:nonce-1"  # the quiz desk's form names its visitor
    with pytest.raises(Refused) as caught:
        await record_answer(store, make_answer(BOB, desk_key), CAP)
    assert caught.value.code == ErrorCode.ANSWER_REPLAYED
    # Alice's own key works: half the reward, after her miss (the guessing policy)
    assert (await record_answer(store, make_answer(ALICE, desk_key), CAP)).awarded == 5
    with pytest.raises(Refused) as caught:
        await record_answer(store, make_answer(ALICE, desk_key), CAP)
    assert caught.value.code == ErrorCode.ANSWER_REPLAYED
    assert await store._conn.redis.hkeys("srichan:{g}:answers") == ["shared-key"]


# -- statements ---------------------------------------------------------------------------------


async def test_a_late_statement_is_filed_at_the_latest_time_never_lost(store: RedisStore) -> None:
    await store.register_visitor(ALICE, SECRET, T0)
    await record_answer(store, make_answer(ALICE, "a1", correct=False, now=T0 + 100), CAP)
    await record_answer(store, make_answer(ALICE, "a2", correct=False, now=T0 + 50), CAP)
    page = await store.statements_since(T0 + 100)
    assert [s["timestamp"] for s in page.statements] == [
        "2026-05-09T04:15:00.000Z",
        "2026-05-09T04:14:10.000Z",
    ], "the late one keeps its own timestamp but is filed at T0 + 100"
    assert (await store.statements_since(T0 + 101)).statements == ()
    first = await store.statements_since(0.0, limit=1)
    assert first.next is not None
    rest = await store.statements_since(0.0, after=first.next, limit=1)
    assert rest.next is None
    assert first.statements + rest.statements == page.statements


# -- failures -----------------------------------------------------------------------------------


async def test_redis_going_away_is_a_store_error(tmp_path: Path) -> None:
    reason = redis_servers.available()
    if reason:
        pytest.skip(reason)
    server = redis_servers.start_server(tmp_path / "gone")
    store = await open_store(server.url)
    try:
        await store.register_visitor(ALICE, SECRET, T0)
        server.kill()
        with pytest.raises(StoreError, match="redis"):
            await store.balance(visitor_account(ALICE))
        with pytest.raises(StoreError):
            await store.record_answer(make_answer(ALICE, "a1").plan(AttemptState(), CAP))
    finally:
        await store.close()
        server.stop()
