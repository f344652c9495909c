"""The contract every Store implementation must pass (parametrized by ``store_factory``)."""

from __future__ import annotations

import asyncio

import pytest

from server.store import Store, StoreError
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.leaderboard import Board
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from srichan_world.world.quests import (
    ProgressChanged,
    QuestBook,
    QuestFact,
    QuestState,
    plan_quests,
)
from srichan_world.world.quizzes import AnswerOutcome, AttemptsChanged, AttemptState
from srichan_world.world.visitors import default_name
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
CAROL = "carol-0000003"
SHOP = shop_account("B01")
CAP = 500
DAY = 86_400.0


async def registered(store: Store, *visitors: str) -> None:
    for v in visitors:
        await store.register_visitor(v, SECRET, T0)


async def credit(store: Store, visitor_id: str, amount: int, key: str) -> None:
    await store.transfer(Transfer(key, CITY_POOL, visitor_account(visitor_id), amount, "gift", T0))


async def refused(code: int, call) -> Refused:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


# -- visitors ---------------------------------------------------------------------------------


async def test_a_visitor_registers_once_and_authenticates_with_its_secret(store: Store) -> None:
    first = await store.register_visitor(ALICE, SECRET, T0)
    assert (first.id, first.nickname, first.created_at) == (ALICE, None, T0)
    again = await store.register_visitor(ALICE, SECRET, T0 + 50)
    assert again.created_at == T0, "registering again with the same secret is a no-op"
    assert (await store.authenticate_visitor(ALICE, SECRET)).id == ALICE


async def test_a_wrong_secret_is_refused(store: Store) -> None:
    await registered(store, ALICE)
    wrong = SECRET[:-1] + "X"
    await refused(ErrorCode.BAD_IDENTITY, store.authenticate_visitor(ALICE, wrong))
    await refused(ErrorCode.BAD_IDENTITY, store.register_visitor(ALICE, wrong, T0))
    await refused(ErrorCode.BAD_IDENTITY, store.authenticate_visitor(BOB, SECRET))
    await refused(ErrorCode.BAD_IDENTITY, store.register_visitor("bad id!", SECRET, T0))
    await refused(ErrorCode.BAD_IDENTITY, store.authenticate_visitor(ALICE, "short"))
    assert (await store.authenticate_visitor(ALICE, SECRET)).id == ALICE


async def test_nicknames_are_validated_and_kept_in_thai(store: Store) -> None:
    await registered(store, ALICE)
    visitor = await store.set_nickname(ALICE, "  น้องแก่น ขอนแก่น  ")
    assert visitor.nickname == "น้องแก่น ขอนแก่น"
    for bad in ["", "   ", "ก" * 25, "a\x00b", "line\nbreak", "\u202eevil"]:
        await refused(ErrorCode.BAD_NAME, store.set_nickname(ALICE, bad))
    assert (await store.authenticate_visitor(ALICE, SECRET)).nickname == "น้องแก่น ขอนแก่น"
    await refused(ErrorCode.BAD_IDENTITY, store.set_nickname(BOB, "Bob"))


# -- ledger -----------------------------------------------------------------------------------


async def test_a_transfer_is_idempotent_by_key(store: Store) -> None:
    t = Transfer("gift-1", CITY_POOL, visitor_account(ALICE), 40, "gift", T0)
    first = await store.transfer(t)
    retry = await store.transfer(
        Transfer("gift-1", CITY_POOL, visitor_account(ALICE), 40, "gift", T0 + 9)
    )
    assert retry == first
    results = await asyncio.gather(*(store.transfer(t) for _ in range(20)))
    assert {r.seq for r in results} == {first.seq}
    assert await store.balance(visitor_account(ALICE)) == 40
    assert len(await store.entries()) == 1


async def test_a_key_reused_for_another_movement_is_a_conflict(store: Store) -> None:
    await credit(store, ALICE, 40, "k1")
    other = Transfer("k1", CITY_POOL, visitor_account(ALICE), 41, "gift", T0)
    await refused(ErrorCode.KEY_CONFLICT, store.transfer(other))
    assert await store.balance(visitor_account(ALICE)) == 40


async def test_balances_never_go_negative_except_the_pool(store: Store) -> None:
    await credit(store, ALICE, 30, "k1")
    spend = Transfer("r1", visitor_account(ALICE), SHOP, 31, "redeem", T0)
    await refused(ErrorCode.INSUFFICIENT_TOKENS, store.transfer(spend))
    assert await store.balance(visitor_account(ALICE)) == 30
    await refused(
        ErrorCode.INSUFFICIENT_TOKENS,
        store.transfer(Transfer("r2", visitor_account(BOB), SHOP, 1, "redeem", T0)),
    )
    ok = await store.transfer(Transfer("r3", visitor_account(ALICE), SHOP, 30, "redeem", T0))
    assert ok.transfer.amount == 30
    assert await store.balance(visitor_account(ALICE)) == 0
    assert await store.balance(SHOP) == 30
    assert await store.balance(CITY_POOL) == -30


async def test_concurrent_spending_cannot_overdraw(store: Store) -> None:
    await credit(store, ALICE, 50, "k1")
    spends = [Transfer(f"r{i}", visitor_account(ALICE), SHOP, 20, "redeem", T0) for i in range(10)]
    results = await asyncio.gather(*(store.transfer(s) for s in spends), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 2
    assert all(
        isinstance(r, Refused) and r.code == ErrorCode.INSUFFICIENT_TOKENS
        for r in results
        if isinstance(r, BaseException)
    )
    assert await store.balance(visitor_account(ALICE)) == 10


async def test_a_malformed_transfer_raises_before_touching_the_ledger(store: Store) -> None:
    with pytest.raises(ValueError, match="amount"):
        await store.transfer(Transfer("k", CITY_POOL, visitor_account(ALICE), 0, "gift", T0))
    with pytest.raises(ValueError, match="same account"):
        await store.transfer(Transfer("k", SHOP, SHOP, 5, "gift", T0))
    assert await store.entries() == ()


async def test_the_ledger_sums_to_zero_and_the_audit_agrees(store: Store) -> None:
    await registered(store, ALICE, BOB)
    await credit(store, ALICE, 70, "k1")
    await credit(store, BOB, 20, "k2")
    await record_answer(store, make_answer(ALICE, "a1"), CAP)
    await store.transfer(Transfer("r1", visitor_account(ALICE), SHOP, 55, "redeem", T0))
    balances = [
        await store.balance(a)
        for a in (CITY_POOL, visitor_account(ALICE), visitor_account(BOB), SHOP)
    ]
    assert balances == [-100, 25, 20, 55]
    assert sum(balances) == 0
    report = await store.audit()
    assert report.ok, report.problems
    assert report.transfers == 4
    assert "OK" in report.table()


async def test_entries_page_by_seq_and_filter_by_account(store: Store) -> None:
    for i in range(5):
        await credit(store, ALICE if i % 2 == 0 else BOB, i + 1, f"k{i}")
    everything = await store.entries()
    assert [e.transfer.key for e in everything] == ["k0", "k1", "k2", "k3", "k4"]
    first = await store.entries(limit=2)
    rest = await store.entries(after=first[-1].seq, limit=100)
    assert first + rest == everything
    alice = await store.entries(visitor_account(ALICE))
    assert [e.transfer.amount for e in alice] == [1, 3, 5]
    with pytest.raises(ValueError):
        await store.entries(limit=0)


# -- quizzes ----------------------------------------------------------------------------------


async def test_the_first_correct_answer_awards_once_per_quiz_version(store: Store) -> None:
    await registered(store, ALICE)
    first = await record_answer(store, make_answer(ALICE, "a1"), CAP)
    assert (first.awarded, first.balance, first.already_awarded) == (10, 10, False)
    second = await record_answer(store, make_answer(ALICE, "a2", now=T0 + 60), CAP)
    assert (second.awarded, second.balance, second.already_awarded) == (0, 10, True)
    state = await store.quiz_attempts(ALICE, make_answer(ALICE, "x").quiz_key)
    assert state.awarded
    rewritten = quiz(question=quiz().question.__class__("ถามใหม่", "Asked anew"))
    third = await record_answer(store, make_answer(ALICE, "a3", q=rewritten), CAP)
    assert third.awarded == 10, "a rewritten question is a new version"
    assert len(await store.entries(visitor_account(ALICE))) == 2


async def test_a_replayed_answer_key_is_refused_and_earns_nothing(store: Store) -> None:
    await registered(store, ALICE)
    await record_answer(store, make_answer(ALICE, "a1", correct=False), CAP)
    await refused(ErrorCode.ANSWER_REPLAYED, record_answer(store, make_answer(ALICE, "a1"), CAP))
    assert await store.balance(visitor_account(ALICE)) == 0
    state = await store.quiz_attempts(ALICE, make_answer(ALICE, "x").quiz_key)
    assert state.wrong == 1, "the replay did not count as an attempt"


async def test_wrong_answers_use_attempts_then_the_cooldown_refuses(store: Store) -> None:
    await registered(store, ALICE)
    outcomes = [
        await record_answer(store, make_answer(ALICE, f"w{i}", correct=False, now=T0 + i), CAP)
        for i in range(3)
    ]
    assert [o.attempts_left for o in outcomes] == [2, 1, 0]
    assert outcomes[-1].retry_at == T0 + 2 + 30
    late = make_answer(ALICE, "w3", now=T0 + 10)
    refusal = await refused(ErrorCode.COOLDOWN, record_answer(store, late, CAP))
    assert refusal.refusal.retry_at == T0 + 32
    after = await record_answer(store, make_answer(ALICE, "w4", now=T0 + 32), CAP)
    assert after.attempts_left == 3, "the cooldown gave the attempts back"
    assert after.awarded == 0, "but three misses showed the answer: it pays nothing"
    state = await store.quiz_attempts(ALICE, make_answer(ALICE, "x").quiz_key)
    assert (state.wrong, state.missed, state.awarded) == (0, 3, True)


async def test_misses_are_kept_across_cooldowns_and_halve_the_reward(store: Store) -> None:
    """The guessing policy (docs/security.md): a miss is never forgiven, even when the
    cooldown gives the attempts back, so waiting it out cannot restore the full reward."""
    await registered(store, ALICE)
    await record_answer(store, make_answer(ALICE, "w1", correct=False), CAP)
    state = await store.quiz_attempts(ALICE, make_answer(ALICE, "x").quiz_key)
    assert (state.wrong, state.missed) == (1, 1)
    later = await record_answer(store, make_answer(ALICE, "r1", now=T0 + 3600), CAP)
    assert (later.awarded, later.balance) == (5, 5)


async def test_a_plan_on_attempts_no_longer_held_is_stale_and_changes_nothing(
    store: Store,
) -> None:
    await registered(store, ALICE)
    answer = make_answer(ALICE, "a1")
    stale = await store.record_answer(answer.plan(AttemptState(wrong=1, last_wrong_at=T0), CAP))
    assert stale == AttemptsChanged(AttemptState()), "what the store holds, to plan again on"
    assert await store.quiz_attempts(ALICE, answer.quiz_key) == AttemptState()
    assert (await store.statements_since(0.0)).statements == ()
    outcome = await store.record_answer(answer.plan(stale.held, CAP))
    assert isinstance(outcome, AnswerOutcome)
    assert outcome.awarded == 10, "the stale plan did not use up the answer key"
    with pytest.raises(Refused):
        await store.record_answer(answer.plan(AttemptState(), CAP))


async def test_answers_need_a_registered_visitor(store: Store) -> None:
    await refused(ErrorCode.BAD_IDENTITY, record_answer(store, make_answer(ALICE, "a1"), CAP))
    assert await store.entries() == ()


async def test_the_daily_cap_clips_and_resets_at_bangkok_midnight(store: Store) -> None:
    await registered(store, ALICE)
    quizzes = [quiz(f"q{i}", reward=10) for i in range(4)]
    paid = [
        await record_answer(store, make_answer(ALICE, f"a{i}", q=q), 25)
        for i, q in enumerate(quizzes[:3])
    ]
    assert [(o.awarded, o.capped) for o in paid] == [(10, False), (10, False), (5, True)]
    # Saturday 11:13 + 13 h is Sunday 00:13 in Bangkok: a new day.
    tomorrow = await record_answer(
        store, make_answer(ALICE, "a3", q=quizzes[3], now=T0 + 13 * 3600), 25
    )
    assert (tomorrow.awarded, tomorrow.capped, tomorrow.balance) == (10, False, 35)
    again = await record_answer(store, make_answer(ALICE, "a4", q=quizzes[2], now=T0 + DAY), 25)
    assert again.awarded == 0 and again.already_awarded, "a clipped award is still the award"


async def test_many_simultaneous_answers_and_retries_award_exactly_once(store: Store) -> None:
    await registered(store, ALICE)
    distinct = [make_answer(ALICE, f"a{i}") for i in range(40)]
    retries = [make_answer(ALICE, "a0") for _ in range(20)]
    results = await asyncio.gather(
        *(record_answer(store, a, CAP) for a in distinct + retries), return_exceptions=True
    )
    outcomes = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(outcomes) == 40 and len(errors) == 20
    assert all(isinstance(e, Refused) and e.code == ErrorCode.ANSWER_REPLAYED for e in errors)
    assert sum(o.awarded for o in outcomes) == 10
    assert await store.balance(visitor_account(ALICE)) == 10
    assert len(await store.entries(visitor_account(ALICE))) == 1
    assert (await store.audit()).ok


# -- quests -----------------------------------------------------------------------------------

BOOK = QuestBook(
    [
        quest("walk", "ordered", (("visit", "city-gate"), ("quiz", "q-gate")), bonus=50),
        quest("free", "free", (("quiz", "q-gate"), ("visit", "museum")), bonus=0),
    ]
)


async def advance(store: Store, visitor: str, fact: QuestFact, now: float = T0, cap: int = CAP):  # type: ignore[no-untyped-def]
    return await advance_quests(store, visitor, fact, BOOK.affected_by(fact), now, cap)


async def test_quest_steps_advance_and_the_bonus_is_paid_once(store: Store) -> None:
    await registered(store, ALICE)
    gate, q_gate = QuestFact("visit", "city-gate"), QuestFact("quiz", "q-gate")
    assert [(u.quest_id, u.done) for u in await advance(store, ALICE, gate)] == [("walk", (0,))]
    updates = await advance(store, ALICE, q_gate, T0 + 5)
    by_id = {u.quest_id: u for u in updates}
    assert by_id["walk"].completed and by_id["walk"].just_completed
    assert by_id["walk"].bonus_awarded == 50
    assert by_id["free"].done == (0,) and not by_id["free"].completed
    assert await advance(store, ALICE, q_gate, T0 + 6) == (), "nothing changed"
    assert await advance(store, ALICE, gate, T0 + 7) == ()
    assert await store.balance(visitor_account(ALICE)) == 50
    done = await advance(store, ALICE, QuestFact("visit", "museum"), T0 + 8)
    assert [(u.quest_id, u.just_completed, u.bonus_awarded) for u in done] == [("free", True, 0)]
    progress = await store.quest_progress(ALICE)
    walk_key = next(e.key for e in BOOK if e.quest.id == "walk")
    assert progress[walk_key].completed_at == T0 + 5
    assert (await store.audit()).ok


async def test_an_ordered_quest_ignores_steps_out_of_order(store: Store) -> None:
    await registered(store, ALICE)
    updates = await advance(store, ALICE, QuestFact("quiz", "q-gate"))
    assert [u.quest_id for u in updates] == ["free"], "walk must start at the gate"


async def test_quest_bonuses_respect_the_daily_cap(store: Store) -> None:
    await registered(store, ALICE)
    await record_answer(store, make_answer(ALICE, "a1", q=quiz(reward=20)), 30)
    await advance(store, ALICE, QuestFact("visit", "city-gate"), cap=30)
    (walk,) = [
        u
        for u in await advance(store, ALICE, QuestFact("quiz", "q-gate"), cap=30)
        if u.quest_id == "walk"
    ]
    assert (walk.bonus_awarded, walk.capped) == (10, True)
    assert await store.balance(visitor_account(ALICE)) == 30


async def test_a_quest_plan_on_progress_no_longer_held_is_stale_and_changes_nothing(
    store: Store,
) -> None:
    await registered(store, ALICE)
    gate, q_gate = QuestFact("visit", "city-gate"), QuestFact("quiz", "q-gate")
    first = plan_quests(ALICE, gate, BOOK.affected_by(gate), {}, T0, CAP)
    await store.advance_quests(first)
    walk, free = (e.key for e in BOOK)
    wrong_about_free = {walk: QuestState(frozenset({0})), free: QuestState(frozenset({1}))}
    completes_walk = plan_quests(ALICE, q_gate, BOOK.affected_by(q_gate), wrong_about_free, T0, CAP)
    walked = {walk: QuestState(frozenset({0}))}
    assert await store.advance_quests(first) == ProgressChanged(walked)
    stale = await store.advance_quests(completes_walk)
    assert stale == ProgressChanged(walked | {free: QuestState()}), "every quest planned on"
    assert await store.quest_progress(ALICE) == {walk: QuestState(frozenset({0}))}
    assert await store.balance(visitor_account(ALICE)) == 0, "no bonus from a stale plan"
    assert (await store.statements_since(0.0)).statements == ()


async def test_quests_need_a_registered_visitor(store: Store) -> None:
    await refused(ErrorCode.BAD_IDENTITY, advance(store, ALICE, QuestFact("visit", "city-gate")))


# -- leaderboards -----------------------------------------------------------------------------


async def test_leaderboards_rank_by_tokens_then_quests_then_who_was_first(store: Store) -> None:
    await registered(store, ALICE, BOB, CAROL)
    await store.set_nickname(BOB, "บ๊อบ")
    await record_answer(store, make_answer(ALICE, "a1", q=quiz("q1", reward=30), now=T0 + 1), CAP)
    await record_answer(store, make_answer(BOB, "b1", q=quiz("q1", reward=30), now=T0 + 2), CAP)
    await record_answer(store, make_answer(CAROL, "c1", q=quiz("q2", reward=40), now=T0 + 3), CAP)
    await credit(store, BOB, 1000, "gift")  # not earned by learning: does not count
    board = await store.leaderboard(Board.ALL, T0 + 10)
    assert [(r.rank, r.visitor_id, r.tokens) for r in board] == [
        (1, CAROL, 40),
        (2, ALICE, 30),
        (3, BOB, 30),
    ]
    assert board[2].name == "บ๊อบ" and board[1].name == default_name(ALICE)
    # A quest completed lifts Bob above Alice at equal tokens.
    await advance(store, BOB, QuestFact("quiz", "q-gate"), T0 + 4)
    await advance(store, BOB, QuestFact("visit", "museum"), T0 + 5)
    board = await store.leaderboard(Board.ALL, T0 + 10, limit=2)
    assert [(r.visitor_id, r.quests) for r in board] == [(CAROL, 0), (BOB, 1)]


async def test_the_weekly_board_only_counts_this_bangkok_week(store: Store) -> None:
    await registered(store, ALICE, BOB)
    await record_answer(store, make_answer(ALICE, "a1", now=T0), CAP)  # Saturday, week 19
    next_week = T0 + 2 * DAY  # Monday 11 May, week 20
    await record_answer(store, make_answer(BOB, "b1", now=next_week), CAP)
    assert [r.visitor_id for r in await store.leaderboard(Board.WEEK, T0)] == [ALICE]
    assert [r.visitor_id for r in await store.leaderboard(Board.WEEK, next_week)] == [BOB]
    assert {r.visitor_id for r in await store.leaderboard(Board.ALL, next_week)} == {ALICE, BOB}
    with pytest.raises(ValueError):
        await store.leaderboard(Board.ALL, T0, limit=0)


# -- xAPI statements --------------------------------------------------------------------------


async def test_statements_page_since_a_time_without_gaps_or_duplicates(store: Store) -> None:
    await registered(store, ALICE)
    for i in range(7):
        await record_answer(
            store, make_answer(ALICE, f"a{i}", correct=i == 6, now=T0 + 100 * i), CAP
        )
    await advance(store, ALICE, QuestFact("visit", "city-gate"), T0 + 700)
    await advance(store, ALICE, QuestFact("quiz", "q-gate"), T0 + 701)  # completes "walk"
    seen: list[dict] = []
    page = await store.statements_since(T0 + 150, limit=2)
    while True:
        seen.extend(page.statements)
        if page.next is None:
            break
        page = await store.statements_since(T0 + 150, after=page.next, limit=2)
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in seen]
    assert verbs == ["answered"] * 5 + ["completed"]
    assert len({s["id"] for s in seen}) == len(seen)
    assert seen[0]["result"]["success"] is False and seen[4]["result"]["success"] is True
    assert seen[0]["actor"]["account"]["name"] == ALICE
    assert seen[0]["object"]["definition"]["choices"][0]["description"]["th-TH"] == "พ.ศ. 2565"
    everything = await store.statements_since(0.0, limit=1000)
    assert len(everything.statements) == 8 and everything.next is None
    with pytest.raises(ValueError):
        await store.statements_since(0.0, after="not-a-cursor")


# -- durability -------------------------------------------------------------------------------


async def test_everything_survives_close_and_reopen(store_factory: StoreFactory) -> None:
    store = await store_factory()
    await registered(store, ALICE)
    await store.set_nickname(ALICE, "แก่นใจ")
    await record_answer(store, make_answer(ALICE, "a1"), CAP)
    await advance(store, ALICE, QuestFact("visit", "city-gate"))
    await store.transfer(Transfer("r1", visitor_account(ALICE), SHOP, 4, "redeem", T0))
    before = (
        await store.entries(),
        await store.statements_since(0.0),
        await store.quest_progress(ALICE),
    )
    await store.close()
    with pytest.raises(StoreError):
        await store.balance(SHOP)
    reopened = await store_factory()
    assert (await reopened.authenticate_visitor(ALICE, SECRET)).nickname == "แก่นใจ"
    after = (
        await reopened.entries(),
        await reopened.statements_since(0.0),
        await reopened.quest_progress(ALICE),
    )
    assert after == before
    assert await reopened.balance(visitor_account(ALICE)) == 6
    await refused(ErrorCode.ANSWER_REPLAYED, record_answer(reopened, make_answer(ALICE, "a1"), CAP))
    again = await record_answer(reopened, make_answer(ALICE, "a2"), CAP)
    assert again.already_awarded and again.awarded == 0
    assert (await reopened.audit()).ok
