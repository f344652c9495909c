"""Leaderboards of learners: this week (ISO week, Bangkok time) and all time.

A learner ranks by tokens earned *by learning* (quiz rewards and quest bonuses; spending does
not lower a rank), then by quests completed, then by who got there first. Awards can come many
times a second on a busy street, while a leaderboard is worth re-sending at most once a second:
:class:`ChangeThrottle` says when.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from srichan_world.world.periods import day_of, week_of

BOARD_MAX = 100
PUSH_INTERVAL_S = 1.0


class Board(StrEnum):
    WEEK = "week"
    ALL = "all"


def period_key(board: Board, now: float) -> str:
    """The earnings period a board reads: ``"all"`` or the current week ``"W:2026-W19"``."""
    return "all" if board is Board.ALL else f"W:{week_of(now)}"


def earning_periods(now: float) -> tuple[str, str, str]:
    """Every period an award made at ``now`` counts in: the day (for the cap), week, all time."""
    return (f"D:{day_of(now)}", f"W:{week_of(now)}", "all")


def day_key(now: float) -> str:
    return f"D:{day_of(now)}"


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    visitor_id: str
    name: str
    """The nickname, or a short stable tag for a visitor without one."""
    tokens: int
    quests: int


class ChangeThrottle:
    """Collects "the leaderboard changed" and lets it out at most once per ``interval``."""

    def __init__(self, interval: float = PUSH_INTERVAL_S) -> None:
        self.interval = interval
        self._dirty = False
        self._last: float | None = None

    def mark(self) -> None:
        self._dirty = True

    def poll(self, now: float) -> bool:
        """True when a push is due: something changed and the last push is ``interval`` old."""
        if not self._dirty or (self._last is not None and now - self._last < self.interval):
            return False
        self._dirty = False
        self._last = now
        return True
