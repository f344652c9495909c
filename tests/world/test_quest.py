"""Quest rules without I/O: ordered and free progress, completion once, visits, versions."""

from __future__ import annotations

from srichan_world.world.awards import Payout
from srichan_world.world.quests import (
    QuestBook,
    QuestEntry,
    QuestFact,
    QuestState,
    VisitTracker,
    advance,
    plan_quests,
    progress,
    quest_version,
)
from tests.world.learning_fixtures import landmark, quest

STEPS = (("visit", "city-gate"), ("quiz", "q-gate"), ("quiz", "q-museum"))
GATE = QuestFact("visit", "city-gate")
Q_GATE = QuestFact("quiz", "q-gate")
Q_MUSEUM = QuestFact("quiz", "q-museum")


def run(order: str, facts: list[QuestFact]) -> QuestState:
    q = quest(order=order, steps=STEPS)
    state = QuestState()
    for i, fact in enumerate(facts):
        state = advance(q, state, fact, now=100.0 + i)
    return state


def test_an_ordered_quest_counts_a_fact_only_when_it_is_the_next_step() -> None:
    assert run("ordered", [Q_GATE]).done == frozenset()
    assert run("ordered", [GATE, Q_MUSEUM]).done == {0}
    assert run("ordered", [GATE, Q_MUSEUM, Q_GATE]).done == {0, 1}
    done = run("ordered", [Q_MUSEUM, GATE, Q_MUSEUM, Q_GATE, Q_MUSEUM])
    assert done.done == {0, 1, 2} and done.completed_at == 104.0


def test_a_free_quest_counts_steps_in_any_order() -> None:
    state = run("free", [Q_MUSEUM, Q_GATE])
    assert state.done == {1, 2} and state.completed_at is None
    state = run("free", [Q_MUSEUM, Q_GATE, GATE])
    assert state.completed_at == 102.0


def test_unrelated_and_repeated_facts_change_nothing() -> None:
    q = quest(order="free", steps=STEPS)
    state = advance(q, QuestState(), Q_GATE, 1.0)
    assert advance(q, state, Q_GATE, 2.0) is state
    assert advance(q, state, QuestFact("visit", "hug-mall"), 2.0) is state
    assert advance(q, state, QuestFact("visit", "q-gate"), 2.0) is state, "kind matters"


def test_a_completed_quest_stays_completed_at_its_first_time() -> None:
    state = run("free", [GATE, Q_GATE, Q_MUSEUM])
    q = quest(order="free", steps=STEPS)
    assert advance(q, state, GATE, 999.0) is state


def test_a_step_listed_twice_in_a_free_quest_needs_the_fact_twice() -> None:
    q = quest(order="free", steps=(("visit", "city-gate"), ("visit", "city-gate")))
    once = advance(q, QuestState(), GATE, 1.0)
    assert once.done == {0} and once.completed_at is None
    assert advance(q, once, GATE, 2.0).completed_at == 2.0


def test_progress_reports_counts_for_the_visitor() -> None:
    entry = QuestEntry(quest(order="free", steps=STEPS), "v1")
    update = progress(entry, QuestState(frozenset({2}), None))
    assert (update.done, update.total, update.completed) == ((2,), 3, False)
    assert update.title.th == "เดินเรียนรู้"
    assert progress(entry, run("free", [GATE, Q_GATE, Q_MUSEUM])).completed


def test_the_book_finds_quests_a_fact_affects_and_versions_follow_the_steps() -> None:
    a = quest("a", steps=STEPS)
    b = quest("b", steps=(("visit", "hug-mall"), ("quiz", "q-gate")))
    book = QuestBook([a, b])
    assert [e.quest.id for e in book.affected_by(Q_GATE)] == ["a", "b"]
    assert [e.quest.id for e in book.affected_by(GATE)] == ["a"]
    assert book.affected_by(QuestFact("visit", "nowhere")) == ()
    assert quest_version(a) == quest_version(quest("a", steps=STEPS, bonus=999))
    assert quest_version(a) != quest_version(quest("a", order="free", steps=STEPS))
    assert quest_version(a) != quest_version(quest("a", steps=STEPS[:2]))


def test_visits_are_reported_when_an_avatar_comes_near_a_footprint() -> None:
    museum = landmark("museum", (100.0, -20.0, 120.0, -10.0))
    tracker = VisitTracker({museum.id: museum.footprints}, distance=15.0)
    assert tracker.observe("v", (0.0, 0.0)) == ()
    assert tracker.observe("v", (110.0, 4.9)) == (QuestFact("visit", "museum"),), "14.9 m away"
    assert tracker.observe("v", (111.0, 4.0)) == (), "still near: reported once"
    assert tracker.observe("w", (110.0, -15.0)) == (QuestFact("visit", "museum"),), "inside"
    assert tracker.observe("v", (110.0, 5.1)) == (), "left the vicinity"
    assert tracker.observe("v", (110.0, 0.0)) == (QuestFact("visit", "museum"),), "came back"
    tracker.forget("w")
    assert tracker.observe("w", (110.0, -15.0)) == (QuestFact("visit", "museum"),)


def test_a_plan_moves_the_quests_a_fact_does_and_a_completion_carries_bonus_and_statement() -> None:
    walk = QuestEntry(quest("walk", order="ordered", steps=STEPS[:2], bonus=50), "v1")
    free = QuestEntry(quest("free", order="free", steps=STEPS[1:]), "v1")
    states = {walk.key: QuestState(frozenset({0}))}
    plan = plan_quests("visitor-aaaa", Q_GATE, [walk, free, walk], states, 200.0, daily_cap=500)
    by_key = {c.entry.key: c for c in plan.changes}
    assert list(by_key) == [walk.key, free.key], "each quest once, in order"
    assert plan.seen == {walk.key: states[walk.key], free.key: QuestState()}
    done = by_key[walk.key]
    assert done.seen == states[walk.key] and done.after.completed_at == 200.0
    assert done.award is not None and (done.award.amount, done.award.quests_completed) == (50, 1)
    assert done.statement is not None and done.statement["verb"]["id"].endswith("completed")
    assert by_key[free.key].award is None and by_key[free.key].statement is None
    updates = plan.updates([Payout(20, True), Payout(0, False)])
    assert (updates[0].just_completed, updates[0].bonus_awarded, updates[0].capped) == (
        True,
        20,
        True,
    )
    assert updates[1].done == (0,) and not updates[1].just_completed
    assert plan_quests("visitor-aaaa", GATE, [walk], states, 201.0, 500).changes == ()
