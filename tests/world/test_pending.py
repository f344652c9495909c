"""The pending rule alone: what a newcomer lacks, and the refusal a redeem gets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.pending import (
    MINUTES,
    QUIZZES,
    SPENDABLE,
    Hold,
    PendingRule,
    Standing,
    quizzes_passed,
)

T0 = 1_778_300_000.0
RULE = PendingRule()


def newcomer(quizzes: int = 0, since: float = T0) -> Standing:
    return Standing(True, since, quizzes)


def test_the_defaults_are_three_quizzes_and_ten_minutes() -> None:
    assert (QUIZZES, MINUTES) == (3, 10.0)
    assert (RULE.quizzes, RULE.minutes) == (3, 10.0)


def test_a_fresh_newcomer_lacks_three_quizzes_and_ten_minutes() -> None:
    assert RULE.hold(newcomer(), T0) == Hold(3, 600.0)
    assert RULE.hold(newcomer(1), T0 + 30) == Hold(2, 570.0)
    assert not RULE.hold(newcomer(2), T0 + 3600).spendable, "time alone is not enough"
    assert not RULE.hold(newcomer(3), T0 + 599.9).spendable, "quizzes alone are not enough"
    assert RULE.hold(newcomer(3), T0 + 600) == SPENDABLE
    assert RULE.hold(newcomer(7), T0 + 10_000) == SPENDABLE


def test_older_visitors_unknown_visitors_and_a_rule_turned_off_hold_nothing() -> None:
    assert RULE.hold(Standing(False, T0, 0), T0) == SPENDABLE
    assert RULE.hold(None, T0) == SPENDABLE
    off = PendingRule(0, 0)
    assert off.off and off.hold(newcomer(), T0) == SPENDABLE
    assert PendingRule(0, 10).hold(newcomer(), T0) == Hold(0, 600.0)
    assert PendingRule(2, 0).hold(newcomer(1), T0) == Hold(1, 0.0)


def test_the_refusal_says_what_is_left_in_thai_first() -> None:
    with pytest.raises(Refused) as quizzes:
        RULE.check(newcomer(1), T0)
    assert quizzes.value.code == ErrorCode.TOKENS_PENDING == 173
    assert quizzes.value.refusal.detail.startswith("ตอบคำถามอีก 2 จุด เพื่อใช้โทเค็น / 2 more")
    assert quizzes.value.refusal.retry_at is None
    with pytest.raises(Refused) as wait:
        RULE.check(newcomer(3), T0 + 500)
    assert wait.value.refusal.detail.startswith("ใช้โทเค็นได้ในอีก 2 นาที / ")
    assert wait.value.refusal.retry_at == T0 + 600
    RULE.check(newcomer(3), T0 + 600)
    RULE.check(Standing(False, T0, 0), T0)


def test_bad_numbers_are_refused() -> None:
    for quizzes, minutes in ((-1, 10), (101, 10), (3, -1), (3, float("nan")), (3, 1e9)):
        with pytest.raises(ValueError):
            PendingRule(quizzes, minutes)
    with pytest.raises(ValueError):
        PendingRule(True, 10)  # type: ignore[arg-type]


def test_quiz_award_keys_are_told_from_the_others() -> None:
    keys = ["quiz:q-gate@ab12", "quest:walk@1", "quiz:q-museum@cd34", "dialogue:q1", "event:x"]
    assert quizzes_passed(keys) == 2
    assert quizzes_passed([]) == 0


@given(
    quizzes=st.integers(0, 10),
    since=st.floats(0, 2e9),
    later=st.floats(0, 1e5),
    more=st.integers(0, 5),
)
def test_the_rule_never_turns_back(quizzes: int, since: float, later: float, more: int) -> None:
    """Once spendable, more quizzes and more time keep it spendable: a redeem may read the
    standing before its atomic step."""
    now = since + later
    first = RULE.hold(newcomer(quizzes, since), now)
    after = RULE.hold(newcomer(quizzes + more, since), now + later)
    assert after.quizzes_left <= first.quizzes_left and after.wait_s <= first.wait_s
    if first.spendable:
        assert after.spendable
