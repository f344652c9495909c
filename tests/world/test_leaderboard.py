"""Leaderboard periods in Bangkok time, and the at-most-once-a-second push throttle."""

from __future__ import annotations

from datetime import UTC, datetime

from srichan_world.world.leaderboard import (
    Board,
    ChangeThrottle,
    day_key,
    earning_periods,
    period_key,
)


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_the_day_turns_at_bangkok_midnight_which_is_17_00_utc() -> None:
    assert day_key(utc(2026, 5, 8, 16, 59, 59)) == "D:2026-05-08"
    assert day_key(utc(2026, 5, 8, 17, 0, 0)) == "D:2026-05-09"


def test_the_week_is_the_iso_week_in_bangkok() -> None:
    # Sunday 10 May 2026, 23:59 in Bangkok is still ISO week 19; Monday 00:00 is week 20.
    sunday_night = utc(2026, 5, 10, 16, 59)
    monday = utc(2026, 5, 10, 17, 0)
    assert period_key(Board.WEEK, sunday_night) == "W:2026-W19"
    assert period_key(Board.WEEK, monday) == "W:2026-W20"
    assert period_key(Board.ALL, monday) == "all"
    # ISO years: 1 Jan 2027 (Friday) belongs to 2026-W53.
    assert period_key(Board.WEEK, utc(2027, 1, 1, 5, 0)) == "W:2026-W53"


def test_an_award_counts_in_its_day_week_and_all_time() -> None:
    assert earning_periods(utc(2026, 5, 10, 17, 0)) == ("D:2026-05-11", "W:2026-W20", "all")


def test_the_throttle_lets_changes_out_at_most_once_a_second() -> None:
    throttle = ChangeThrottle(interval=1.0)
    assert not throttle.poll(0.0), "nothing changed"
    throttle.mark()
    assert throttle.poll(0.0)
    throttle.mark()
    throttle.mark()
    assert not throttle.poll(0.5)
    assert throttle.poll(1.0)
    assert not throttle.poll(5.0), "already pushed"
    pushes = 0
    for tick in range(100):  # 10 s of changes at 10 Hz
        throttle.mark()
        pushes += throttle.poll(10.0 + tick / 10)
    assert pushes == 10
