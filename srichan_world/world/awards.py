"""Awards: tokens from the city pool for learning, once per visitor and award key, clipped to
the day's cap.

An award is part of a plan (a quiz answer's, a completed quest's): the rules decide that it is
due and what it is worth. How much the day still allows is known only to the store, inside its
atomic step, so an award carries the condition ("clip to cap C for day D") and
:meth:`Award.payout` is the one rule every store applies to the day's earnings it holds. A
store pays an award key at most once (recorded even when clipped to nothing, so waiting for
tomorrow cannot farm it again), and counts it in the visitor's earnings for the day, the week
and all time, which rank the leaderboards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from srichan_world.world.leaderboard import day_key, earning_periods
from srichan_world.world.ledger import CITY_POOL, Transfer, allowance, visitor_account


@dataclass(frozen=True)
class Payout:
    """What a store paid for an award."""

    paid: int
    capped: bool
    """The daily cap clipped the award."""


UNPAID = Payout(0, False)
"""What an award key already given pays again: nothing, and nothing was clipped."""


@dataclass(frozen=True)
class Award:
    """Tokens due to a visitor for learning, to be paid once under ``key``."""

    visitor_id: str
    key: str
    """``quiz:<quiz key>`` or ``quest:<quest key>``: once per quiz or quest version."""
    amount: int
    reason: str
    at: float
    daily_cap: int
    quests_completed: int = 0
    """1 for a quest's completion bonus: the leaderboards count quests too."""

    @property
    def day(self) -> str:
        """The earnings period the cap applies to (a Bangkok day)."""
        return day_key(self.at)

    @property
    def periods(self) -> tuple[str, ...]:
        """Every earnings period the award counts in: the day, the week, all time."""
        return earning_periods(self.at)

    @property
    def transfer_key(self) -> str:
        """The ledger key of the payment: the store's own, so nothing else can take it."""
        return f"award:{self.visitor_id}:{self.key}"

    def payout(self, earned_today: int) -> Payout:
        """What to pay when the visitor already earned ``earned_today`` this day."""
        paid = allowance(self.amount, earned_today, self.daily_cap)
        return Payout(paid, paid < self.amount)

    def transfer(self, paid: int) -> Transfer:
        """The payment from the city pool (only when ``paid`` is positive)."""
        return Transfer(
            self.transfer_key,
            CITY_POOL,
            visitor_account(self.visitor_id),
            paid,
            self.reason,
            self.at,
        )

    def earned(self, payout: Payout) -> tuple[int, int] | None:
        """``(tokens, quests)`` to add to each of :attr:`periods`; ``None`` when nothing counts."""
        if payout.paid == 0 and self.quests_completed == 0:
            return None
        return payout.paid, self.quests_completed


@dataclass(frozen=True)
class GivenAward:
    """An award as a store recorded it, for the audit."""

    visitor_id: str
    key: str
    amount: int
    transfer_key: str | None


def award_problems(
    awards: Iterable[GivenAward],
    transfers: Mapping[str, Transfer],
    earned_all_time: Mapping[str, int],
) -> list[str]:
    """Awards and the ledger must agree: each paid award has its transfer of that amount from
    the pool, and each visitor's all-time learning earnings are the sum of their awards."""
    problems = []
    totals: dict[str, int] = {}
    for award in awards:
        totals[award.visitor_id] = totals.get(award.visitor_id, 0) + award.amount
        if award.amount <= 0:
            continue
        t = None if award.transfer_key is None else transfers.get(award.transfer_key)
        if t is None or t.amount != award.amount or t.source != CITY_POOL:
            problems.append(f"award {award.key} of {award.visitor_id} has no matching transfer")
    for visitor_id, total in sorted(totals.items()):
        earned = earned_all_time.get(visitor_id, 0)
        if total != earned:
            problems.append(
                f"{visitor_id}: awards total {total} but learning earnings say {earned}"
            )
    return problems
