"""Calendar periods in Khon Kaen time (Asia/Bangkok, UTC+7, no daylight saving).

The daily earning cap resets and the weekly leaderboard turns over at local midnight, not UTC
midnight, so a visitor on Sri Chan Road sees days and weeks start when theirs do. Thailand has
kept UTC+7 without daylight saving since 1920, so a fixed offset is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")


def local_time(now: float) -> datetime:
    """``now`` (Unix seconds) as an aware datetime in Bangkok time."""
    return datetime.fromtimestamp(now, BANGKOK)


def day_of(now: float) -> str:
    """The Bangkok calendar day, e.g. ``"2026-05-09"``."""
    return local_time(now).date().isoformat()


def next_day_at(now: float) -> float:
    """Unix seconds of the next Bangkok midnight after ``now``: when daily limits reset."""
    local = local_time(now)
    midnight = datetime(local.year, local.month, local.day, tzinfo=BANGKOK)
    return (midnight + timedelta(days=1)).timestamp()


def week_of(now: float) -> str:
    """The ISO week in Bangkok time, e.g. ``"2026-W19"`` (weeks start on Monday)."""
    year, week, _ = local_time(now).isocalendar()
    return f"{year:04d}-W{week:02d}"


def iso_timestamp(now: float) -> str:
    """UTC ISO 8601 with milliseconds and ``Z``, the form xAPI expects."""
    stamp = datetime.fromtimestamp(now, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
