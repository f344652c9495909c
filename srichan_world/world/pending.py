"""Pending balances: a new identity's tokens become spendable after real learning.

A visitor identity the street registered (after its proof of work) is a *newcomer*: the tokens
it earns count in its balance and on the boards at once, but it cannot spend them at a booth
until it has

* passed :data:`QUIZZES` distinct quizzes (a right answer recorded: an award key
  ``quiz:<key>``, paid or clipped by the day's cap), and
* been known to the street for :data:`MINUTES` minutes (since its registration).

Both are read from what the stores keep anyway (the awards, the visitor's ``created_at``) plus
one flag, ``newcomer``, written when the street registers an identity; visitors registered
before this rule, or by tools and seeds, are not newcomers. The rule can only become true with
time (awards are never taken back, the clock only goes on), so a redeem may read the standing
before its atomic store step without a race: once spendable, always spendable.

Why these two: a quiz needs the avatar within reach of its point and a right answer, so three
*distinct* ones need a walk along the street (a farm that minted 1,328 identities in 10 s each
passed one quiz, next to the spawn); the holding period is the window in which an operator who
sees a burst of new identities in ``/metrics`` can ban an address before any coupon is taken. An
honest first visit passes three quizzes and spends ten minutes on the street in one visit.
docs/security.md says what this costs a farm, and what it does not stop. Pure: no clock, no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode

QUIZZES = 3
"""Distinct quizzes a newcomer must pass before its tokens can be spent."""
MINUTES = 10.0
"""Minutes from a newcomer's registration before its tokens can be spent."""
QUIZ_AWARD_PREFIX = "quiz:"
"""Award keys of quizzes (``srichan_world.world.awards.Award.key``)."""


@dataclass(frozen=True)
class Standing:
    """What the store keeps that the rule reads, for one visitor."""

    newcomer: bool
    """Registered by the street under this rule (False: older visitors, seeds, tools)."""
    since: float
    """Unix seconds of the registration."""
    quizzes: int
    """Distinct quizzes passed (award keys starting ``quiz:``)."""


@dataclass(frozen=True)
class Hold:
    """What is left before a newcomer's tokens can be spent (both zero: spendable)."""

    quizzes_left: int
    wait_s: float

    @property
    def spendable(self) -> bool:
        return self.quizzes_left == 0 and self.wait_s == 0.0


SPENDABLE = Hold(0, 0.0)


@dataclass(frozen=True)
class PendingRule:
    """The rule with its numbers (``--unlock-quizzes``, ``--unlock-minutes``; 0 and 0: off)."""

    quizzes: int = QUIZZES
    minutes: float = MINUTES

    def __post_init__(self) -> None:
        if isinstance(self.quizzes, bool) or not isinstance(self.quizzes, int):
            raise ValueError("quizzes must be a whole number")
        if not 0 <= self.quizzes <= 100:
            raise ValueError("quizzes must be 0-100")
        if not (math.isfinite(self.minutes) and 0 <= self.minutes <= 7 * 24 * 60):
            raise ValueError("minutes must be 0 to a week's worth")

    @property
    def off(self) -> bool:
        return self.quizzes == 0 and self.minutes == 0

    def hold(self, standing: Standing | None, now: float) -> Hold:
        """What ``standing`` still lacks at ``now``; an unknown visitor (``None``) or one who
        is not a newcomer lacks nothing here (the redeem step checks the identity itself)."""
        if standing is None or not standing.newcomer or self.off:
            return SPENDABLE
        left = max(0, self.quizzes - standing.quizzes)
        wait = max(0.0, standing.since + self.minutes * 60.0 - now)
        return Hold(left, round(wait, 1) if wait > 0 else 0.0)

    def check(self, standing: Standing | None, now: float) -> None:
        """Return when the tokens may be spent, else ``Refused(TOKENS_PENDING)`` saying what
        is left (and, when only time is left, when to come back)."""
        hold = self.hold(standing, now)
        if hold.spendable:
            return
        if hold.quizzes_left:
            raise Refused(
                ErrorCode.TOKENS_PENDING,
                f"ตอบคำถามอีก {hold.quizzes_left} จุด เพื่อใช้โทเค็น / "
                f"{hold.quizzes_left} more quizzes to unlock your tokens",
            )
        minutes = math.ceil(hold.wait_s / 60.0)
        raise Refused(
            ErrorCode.TOKENS_PENDING,
            f"ใช้โทเค็นได้ในอีก {minutes} นาที / tokens unlock in {minutes} min",
            retry_at=now + hold.wait_s,
        )


def quizzes_passed(award_keys: object) -> int:
    """Distinct quizzes among a visitor's award keys (for stores that hold the keys)."""
    assert isinstance(award_keys, (list, tuple, set, frozenset))
    return sum(1 for k in award_keys if isinstance(k, str) and k.startswith(QUIZ_AWARD_PREFIX))
