"""Pending balances in the Store contract: every store keeps whether a visitor is a newcomer and
counts the distinct quizzes it passed, so the pending rule reads the same standing from SQLite,
Redis and a Redis Cluster (srichan_world/world/pending.py)."""

from __future__ import annotations

from server.store import Store
from srichan_world.world.pending import PendingRule, Standing
from srichan_world.world.quests import QuestBook, QuestFact
from tests.server.store.conftest import (
    SECRET,
    T0,
    StoreFactory,
    advance_quests,
    make_answer,
    record_answer,
)
from tests.world.learning_fixtures import quest, quiz

ALICE = "alice-0000001"
BOB = "bob-000000002"
CAP = 500


async def test_a_newcomer_is_kept_as_one_and_an_older_visitor_is_not(store: Store) -> None:
    await store.register_visitor(ALICE, SECRET, T0, newcomer=True)
    await store.register_visitor(BOB, SECRET, T0 + 5)
    assert await store.standing(ALICE) == Standing(True, T0, 0)
    assert await store.standing(BOB) == Standing(False, T0 + 5, 0)
    assert await store.standing("nobody-000000") is None
    again = await store.register_visitor(BOB, SECRET, T0 + 99, newcomer=True)
    assert again.created_at == T0 + 5
    assert await store.standing(BOB) == Standing(False, T0 + 5, 0), "an existing visitor stays"


async def test_distinct_quizzes_passed_are_counted_once_each(store: Store) -> None:
    await store.register_visitor(ALICE, SECRET, T0, newcomer=True)
    quizzes = [quiz(f"q{i}", reward=10) for i in range(3)]
    await record_answer(store, make_answer(ALICE, "w0", q=quizzes[0], correct=False), CAP)
    assert (await store.standing(ALICE)).quizzes == 0, "a wrong answer passes nothing"  # type: ignore[union-attr]
    await record_answer(store, make_answer(ALICE, "a0", q=quizzes[0]), CAP)
    await record_answer(store, make_answer(ALICE, "a1", q=quizzes[0], now=T0 + 60), CAP)
    assert (await store.standing(ALICE)).quizzes == 1, "the same quiz again counts once"  # type: ignore[union-attr]
    await record_answer(store, make_answer(ALICE, "a2", q=quizzes[1]), CAP)
    await record_answer(store, make_answer(ALICE, "a3", q=quizzes[2]), 20)  # clipped to 0
    standing = await store.standing(ALICE)
    assert standing == Standing(True, T0, 3), "a quiz clipped by the daily cap is still passed"
    rule = PendingRule()
    assert not rule.hold(standing, T0 + 599).spendable
    assert rule.hold(standing, T0 + 600).spendable


async def test_quest_and_other_awards_are_not_quizzes(store: Store) -> None:
    await store.register_visitor(ALICE, SECRET, T0, newcomer=True)
    fact = QuestFact("visit", "gate")
    entries = QuestBook([quest("walk", "ordered", (("visit", "gate"),), bonus=20)])
    updates = await advance_quests(store, ALICE, fact, entries.affected_by(fact), T0, CAP)
    assert updates and updates[0].bonus_awarded == 20
    assert await store.standing(ALICE) == Standing(True, T0, 0)


async def test_the_standing_outlives_a_restart(store_factory: StoreFactory) -> None:
    store = await store_factory()
    await store.register_visitor(ALICE, SECRET, T0, newcomer=True)
    await record_answer(store, make_answer(ALICE, "a0", q=quiz("q0")), CAP)
    await store.close()
    again = await store_factory()
    assert await again.standing(ALICE) == Standing(True, T0, 1)


async def test_a_visitors_export_says_whether_the_pending_rule_applies(store: Store) -> None:
    await store.register_visitor(ALICE, SECRET, T0, newcomer=True)
    await store.register_visitor(BOB, SECRET, T0)
    assert (await store.personal_records(ALICE))["identity"]["newcomer"] == 1
    assert (await store.personal_records(BOB))["identity"]["newcomer"] == 0
