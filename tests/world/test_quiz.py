"""Quiz rules without I/O: opening radius, attempts and cooldown, replays, versions, results."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from srichan_world.errors import Refusal, Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.model import Text
from srichan_world.world.awards import Payout
from srichan_world.world.quizzes import (
    ANSWER_SLACK_M,
    OPENING_TTL_S,
    Answer,
    AnswerOutcome,
    AttemptPolicy,
    AttemptState,
    QuizBook,
    QuizDesk,
    QuizPrompt,
    quiz_result,
    quiz_version,
    reward_due,
)
from tests.world.learning_fixtures import quiz

V = "visitor-aaaa"
FRESH = AttemptState()
T0 = 1_770_000_000.0


def desk(*quizzes) -> QuizDesk:  # type: ignore[no-untyped-def]
    return QuizDesk(QuizBook(quizzes or (quiz(),)))


def opened(d: QuizDesk, now: float = T0, visitor: str = V, nonce: str = "n1") -> QuizPrompt:
    prompt = d.open(visitor, "q-gate", (0.0, 0.0), now, FRESH, nonce)
    assert isinstance(prompt, QuizPrompt), prompt
    return prompt


def refused(call: Callable[[], object]) -> Refusal:
    with pytest.raises(Refused) as caught:
        call()
    return caught.value.refusal


def code(call: Callable[[], object]) -> int:
    return refused(call).code


# -- opening ----------------------------------------------------------------------------------


def test_open_gives_question_and_choices_in_thai_and_english_but_never_the_answer() -> None:
    prompt = opened(desk())
    assert prompt.question.th.startswith("ขอนแก่น") and prompt.question.en.startswith("Since")
    assert [c.en for c in prompt.choices] == ["2022", "2024", "2026"]
    assert prompt.attempts_left == 3 and prompt.reward == 10 and not prompt.already_awarded
    names = {f.name for f in dataclasses.fields(prompt)}
    assert not names & {"correct", "explanation", "answer"}


@pytest.mark.parametrize(
    ("position", "ok"),
    [
        ((0.0, 0.0), True),
        ((4.0, 0.0), True),
        ((2.9, 2.9), False),
        ((0.0, 4.01), False),
        (None, False),
    ],
)
def test_open_needs_the_server_known_position_inside_the_trigger_radius(position, ok) -> None:  # type: ignore[no-untyped-def]
    def call() -> QuizPrompt:
        return desk().open(V, "q-gate", position, T0, FRESH, "n1")

    if ok:
        assert isinstance(call(), QuizPrompt)
    else:
        assert code(call) == ErrorCode.TOO_FAR


@pytest.mark.parametrize("forged", ["q-nope", "", "x" * 5000, None, 7, ["q-gate"]])
def test_a_forged_quiz_id_is_unknown_for_open_and_answer(forged: object) -> None:
    d = desk()
    assert code(lambda: d.open(V, forged, (0.0, 0.0), T0, FRESH, "n1")) == ErrorCode.UNKNOWN_QUIZ
    assert code(lambda: d.answer(V, forged, 1, (0.0, 0.0), T0)) == ErrorCode.UNKNOWN_QUIZ


def test_open_tells_a_visitor_who_already_earned_the_quiz() -> None:
    prompt = desk().open(V, "q-gate", (0.0, 0.0), T0, AttemptState(awarded=True), "n1")
    assert isinstance(prompt, QuizPrompt) and prompt.already_awarded


# -- answering --------------------------------------------------------------------------------


def test_a_right_answer_is_graded_with_its_statement_and_a_key_per_opening() -> None:
    d = desk()
    opened(d, nonce="abc")
    answer = d.answer(V, "q-gate", 1, (1.0, 1.0), T0 + 5)
    assert isinstance(answer, Answer)
    assert answer.correct and answer.reward == 10 and answer.key == f"answer:{V}:abc"
    assert answer.quiz_key == f"q-gate@{quiz_version(quiz())}"
    assert answer.statement["result"]["success"] is True
    wrong = (opened(d, nonce="def"), d.answer(V, "q-gate", 0, (0.0, 0.0), T0 + 6))[1]
    assert isinstance(wrong, Answer) and not wrong.correct and wrong.key.endswith(":def")


def test_answering_a_quiz_never_opened_is_refused() -> None:
    d = desk(quiz(), quiz("q-other", position=(1.0, 0.0)))
    assert code(lambda: d.answer(V, "q-gate", 1, (0.0, 0.0), T0)) == ErrorCode.NO_OPEN_QUIZ
    opened(d)
    assert code(lambda: d.answer(V, "q-other", 1, (0.0, 0.0), T0)) == ErrorCode.NO_OPEN_QUIZ
    assert (
        code(lambda: d.answer("visitor-bbbb", "q-gate", 1, (0.0, 0.0), T0))
        == ErrorCode.NO_OPEN_QUIZ
    )


def test_a_replayed_or_duplicated_answer_is_refused_and_a_new_opening_is_needed() -> None:
    d = desk()
    opened(d)
    assert isinstance(d.answer(V, "q-gate", 1, (0.0, 0.0), T0), Answer)
    for _ in range(3):
        assert (
            code(lambda: d.answer(V, "q-gate", 1, (0.0, 0.0), T0 + 1)) == ErrorCode.ANSWER_REPLAYED
        )
    opened(d, now=T0 + 2, nonce="n2")
    again = d.answer(V, "q-gate", 1, (0.0, 0.0), T0 + 3)
    assert isinstance(again, Answer) and again.key.endswith(":n2")


def test_after_the_opening_lifetime_a_replay_is_simply_not_open() -> None:
    d = desk()
    opened(d)
    d.answer(V, "q-gate", 1, (0.0, 0.0), T0)
    later = T0 + OPENING_TTL_S + 1
    assert code(lambda: d.answer(V, "q-gate", 1, (0.0, 0.0), later)) == ErrorCode.NO_OPEN_QUIZ
    assert d.size == 0


def test_an_opening_expires_and_the_desk_forgets_it() -> None:
    d = desk()
    opened(d)
    assert d.size == 1
    assert code(lambda: d.answer(V, "q-gate", 1, (0.0, 0.0), T0 + OPENING_TTL_S + 0.5)) == (
        ErrorCode.NO_OPEN_QUIZ
    )
    assert d.size == 0


@pytest.mark.parametrize("choice", [-1, 3, 99, True, 1.0, "1", None])
def test_a_bad_choice_is_refused_and_keeps_the_opening(choice: object) -> None:
    d = desk()
    opened(d)
    assert code(lambda: d.answer(V, "q-gate", choice, (0.0, 0.0), T0)) == ErrorCode.BAD_VALUE
    assert isinstance(d.answer(V, "q-gate", 2, (0.0, 0.0), T0), Answer)


def test_answering_from_far_away_is_refused_and_keeps_the_opening() -> None:
    d = desk()
    opened(d)
    far = (4.0 + ANSWER_SLACK_M + 0.1, 0.0)
    assert code(lambda: d.answer(V, "q-gate", 1, far, T0)) == ErrorCode.TOO_FAR
    assert code(lambda: d.answer(V, "q-gate", 1, None, T0)) == ErrorCode.TOO_FAR
    near = (4.0 + ANSWER_SLACK_M - 0.1, 0.0)
    assert isinstance(d.answer(V, "q-gate", 1, near, T0), Answer)


def test_a_quiz_rewritten_while_open_must_be_opened_again() -> None:
    d = desk()
    opened(d)
    d.book = QuizBook([quiz(question=Text("คำถามใหม่", "A new question"))])
    assert code(lambda: d.answer(V, "q-gate", 1, (0.0, 0.0), T0)) == ErrorCode.NO_OPEN_QUIZ


def test_forget_drops_a_visitors_openings_only() -> None:
    d = desk()
    opened(d)
    opened(d, visitor="visitor-bbbb")
    d.forget(V)
    assert code(lambda: d.answer(V, "q-gate", 1, (0.0, 0.0), T0)) == ErrorCode.NO_OPEN_QUIZ
    assert isinstance(d.answer("visitor-bbbb", "q-gate", 1, (0.0, 0.0), T0), Answer)


# -- attempts and cooldown --------------------------------------------------------------------


def test_attempts_run_out_then_the_cooldown_refuses_until_it_ends() -> None:
    policy = AttemptPolicy(attempts=3, cooldown_s=30.0)
    state = FRESH
    for i in range(3):
        assert policy.left(state, T0 + i) == 3 - i
        policy.check(state, T0 + i)
        state = policy.after(state, correct=False, now=T0 + i)
    refusal = refused(lambda: policy.check(state, T0 + 10))
    assert refusal.code == ErrorCode.COOLDOWN and refusal.retry_at == T0 + 2 + 30.0
    refused(lambda: policy.check(state, T0 + 31.9))
    policy.check(state, T0 + 32)
    assert policy.left(state, T0 + 32) == 3


def test_the_desk_refuses_to_open_during_cooldown() -> None:
    d = desk(quiz(attempts=1, cooldown_s=60.0))
    state = AttemptState(wrong=1, last_wrong_at=T0)
    refusal = refused(lambda: d.open(V, "q-gate", (0.0, 0.0), T0 + 10, state, "n1"))
    assert refusal.code == ErrorCode.COOLDOWN and refusal.retry_at == T0 + 60
    assert isinstance(d.open(V, "q-gate", (0.0, 0.0), T0 + 60, state, "n2"), QuizPrompt)


def test_old_wrong_answers_are_forgiven_and_a_right_one_resets_the_count() -> None:
    policy = AttemptPolicy(attempts=3, cooldown_s=30.0)
    state = policy.after(policy.after(FRESH, False, T0), False, T0 + 1)
    assert policy.left(state, T0 + 2) == 1
    assert policy.left(state, T0 + 31) == 3, "the cooldown after the last wrong answer has passed"
    assert policy.after(state, True, T0 + 2).wrong == 0


def test_zero_cooldown_never_locks() -> None:
    policy = AttemptPolicy(attempts=1, cooldown_s=0.0)
    state = policy.after(FRESH, False, T0)
    policy.check(state, T0)


def test_scene_policy_reaches_the_rules_through_the_loader(small_scene_text: str) -> None:
    scene = load_scene_text(small_scene_text)
    book = QuizBook.from_scene(scene)
    entries = {e.quiz.id: e for e in book}
    assert set(entries) == {q.id for q in scene.quiz_points}
    for q in scene.quiz_points:
        policy = AttemptPolicy.of(q)
        assert policy.attempts >= 1 and policy.cooldown_s >= 0
        assert entries[q.id].key == f"{q.id}@{quiz_version(q)}"


# -- versions and results ---------------------------------------------------------------------


def test_the_version_follows_what_is_asked_not_the_reward_or_explanation() -> None:
    base = quiz_version(quiz())
    assert quiz_version(quiz(reward=99, radius=9.0)) == base
    assert quiz_version(quiz(explanation=Text("ใหม่", "new"))) == base
    assert quiz_version(quiz(question=Text("คำถามใหม่", "A new question"))) != base
    assert quiz_version(quiz(correct=2)) != base


def _outcome(**kw: object) -> AnswerOutcome:
    base = dict(
        awarded=10, balance=10, already_awarded=False, capped=False, attempts_left=3, retry_at=None
    )
    return AnswerOutcome(**(base | kw))  # type: ignore[arg-type]


def test_a_result_explains_right_answers_and_the_last_wrong_one_only() -> None:
    d = desk()
    opened(d)
    right = d.answer(V, "q-gate", 1, (0.0, 0.0), T0)
    opened(d, nonce="n2")
    wrong = d.answer(V, "q-gate", 0, (0.0, 0.0), T0)
    assert isinstance(right, Answer) and isinstance(wrong, Answer)
    result = quiz_result(right, _outcome())
    assert result.correct and result.explanation is not None and result.awarded == 10
    assert quiz_result(wrong, _outcome(awarded=0, attempts_left=2)).explanation is None
    last = quiz_result(wrong, _outcome(awarded=0, attempts_left=0, retry_at=T0 + 30))
    assert last.explanation is not None and last.explanation.th.startswith("ขอนแก่น")
    assert last.retry_at == T0 + 30


# -- plans --------------------------------------------------------------------------------------


def test_the_desk_hands_on_the_attempts_it_opened_with() -> None:
    d = desk()
    state = AttemptState(wrong=1, last_wrong_at=T0 - 5)
    assert isinstance(d.open(V, "q-gate", (0.0, 0.0), T0, state, "n1"), QuizPrompt)
    answer = d.answer(V, "q-gate", 1, (0.0, 0.0), T0 + 1)
    assert isinstance(answer, Answer) and answer.seen == state


def test_a_first_right_answer_plans_the_reward_clipped_by_the_store() -> None:
    d = desk(quiz(reward=25))
    opened(d)
    answer = d.answer(V, "q-gate", 1, (0.0, 0.0), T0 + 1)
    assert isinstance(answer, Answer)
    plan = answer.plan(FRESH, daily_cap=30)
    assert plan.refusal is None and plan.after == FRESH
    assert plan.award is not None and plan.award.key == f"quiz:{answer.quiz_key}"
    assert plan.award.transfer_key == f"award:{V}:quiz:{answer.quiz_key}"
    clipped = plan.award.payout(earned_today=20)
    assert (clipped.paid, clipped.capped) == (10, True)
    assert plan.outcome(clipped, balance=10).awarded == 10
    assert answer.plan(dataclasses.replace(FRESH, awarded=True), 30).award is None


def test_a_wrong_answer_plans_the_attempt_and_the_last_one_the_cooldown() -> None:
    d = desk(quiz(attempts=2, cooldown_s=30.0))
    opened(d)
    answer = d.answer(V, "q-gate", 0, (0.0, 0.0), T0)
    assert isinstance(answer, Answer)
    first = answer.plan(FRESH, 500)
    assert first.award is None and first.after == AttemptState(1, T0, missed=1)
    last = answer.plan(first.after, 500)
    outcome = last.outcome(Payout(0, False), balance=0)
    assert (outcome.attempts_left, outcome.retry_at) == (0, T0 + 30)
    locked = answer.plan(last.after, 500)
    assert locked.refusal is not None and locked.refusal.code == ErrorCode.COOLDOWN


# -- the guessing policy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reward", "missed", "attempts", "due"),
    [
        (10, 0, 2, 10),
        (10, 1, 2, 5),
        (10, 2, 2, 0),
        (10, 1, 3, 5),
        (10, 2, 3, 2),
        (10, 9, 3, 0),
        (1, 1, 3, 0),
        (5, 0, 1, 5),
        (5, 1, 1, 0),
    ],
)
def test_each_wrong_answer_halves_the_reward_and_a_shown_answer_pays_nothing(
    reward: int, missed: int, attempts: int, due: int
) -> None:
    assert reward_due(reward, missed, attempts) == due


def sweep(correct: int, choices: int = 4, attempts: int = 3) -> tuple[int, list[int]]:
    """A blind guesser answers 0, 1, 2, … waiting out each cooldown; the store holds
    ``state``. Returns the tokens the right answer paid and the reward each opening showed."""
    four = dataclasses.replace(
        quiz(attempts=attempts, cooldown_s=30.0, correct=correct),
        choices=tuple(Text(f"ข้อ {i}", f"Choice {i}") for i in range(choices)),
    )
    d = desk(four)
    state, now, shown = FRESH, T0, []
    for guess in range(choices):
        try:
            prompt = d.open(V, "q-gate", (0.0, 0.0), now, state, f"n{guess}")
        except Refused:
            now += 31.0
            prompt = d.open(V, "q-gate", (0.0, 0.0), now, state, f"n{guess}")
        shown.append(prompt.reward)
        plan = d.answer(V, "q-gate", guess, (0.0, 0.0), now).plan(state, 500)
        plan.check()
        state = plan.after
        if plan.award is not None:
            return plan.award.amount, shown
        now += 1.0
    raise AssertionError("the sweep never found the answer")


def test_blind_guessing_does_not_pay_the_full_reward() -> None:
    paid = [sweep(correct)[0] for correct in range(4)]
    assert paid == [10, 5, 2, 0]  # the answer shown after the third miss pays nothing
    assert sum(paid) / 4 < 10 / 2  # a guesser earns under half on average
    assert sweep(3)[1] == [10, 5, 2, 0]  # each opening shows what a right answer pays now


def test_a_cooldown_forgives_attempts_but_not_misses() -> None:
    policy = AttemptPolicy(attempts=2, cooldown_s=30.0)
    state = policy.after(FRESH, False, T0)
    later = policy.current(state, T0 + 60)
    assert (later.wrong, later.missed) == (0, 1)
    assert policy.after(later, True, T0 + 60).missed == 1
