"""Redemption bursts per booth slot: the operator's signal that a farm is emptying a shop.

A farm of identities redeems in bursts an honest street never makes (a queue at one booth is a
few a minute). Per slot of the scene (a bounded set: the ``/metrics`` labels cannot grow with
traffic), this keeps the redemptions of each minute over the last hour (at most 60 numbers a
slot) and answers the busiest minute. The clock is passed in (Unix seconds).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

WINDOW_MINUTES = 60
BUYERS_MAX = 10_000
"""Distinct buyers remembered per slot over the hour (in memory, never stored); past it a new
buyer is not remembered (the count stays at the cap, far above any group the console hides)."""


class RedemptionBursts:
    def __init__(self, slots: Iterable[str]) -> None:
        self._minutes: dict[str, deque[list[int]]] = {slot: deque() for slot in slots}
        """Slot → ``[minute, redemptions]`` of the last hour's busy minutes, oldest first."""
        self._buyers: dict[str, dict[str, int]] = {slot: {} for slot in self._minutes}
        """Slot → visitor → the minute of their last coupon there, oldest first: how many
        people are behind a slot's hour (the console hides one visitor's coupons)."""

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(self._minutes)

    def record(self, slot: str, now: float, visitor_id: str | None = None) -> bool:
        """One coupon sold at ``slot`` (to ``visitor_id``); False (not counted) for a slot the
        scene did not have at start, so a label can never be made up."""
        minutes = self._minutes.get(slot)
        if minutes is None:
            return False
        minute = int(now // 60)
        if minutes and minutes[-1][0] == minute:
            minutes[-1][1] += 1
        else:
            minutes.append([minute, 1])
        self._trim(minutes, minute)
        buyers = self._buyers[slot]
        if visitor_id is not None and (
            buyers.pop(visitor_id, None) is not None or (len(buyers) < BUYERS_MAX)
        ):
            buyers[visitor_id] = minute  # last, as the newest
        return True

    def coupons(self, slot: str, now: float) -> int:
        """The coupons sold at ``slot`` over the last hour."""
        minutes = self._minutes.get(slot)
        if not minutes:
            return 0
        self._trim(minutes, int(now // 60))
        return sum(count for _, count in minutes)

    def buyers(self, slot: str, now: float) -> int:
        """The distinct visitors who bought at ``slot`` over the last hour."""
        buyers = self._buyers.get(slot)
        if not buyers:
            return 0
        oldest = int(now // 60) - WINDOW_MINUTES
        for visitor_id, minute in list(buyers.items()):
            if minute > oldest:
                break
            del buyers[visitor_id]
        return len(buyers)

    def peak(self, slot: str, now: float) -> int:
        """The most redemptions at ``slot`` in one minute over the last hour."""
        minutes = self._minutes.get(slot)
        if not minutes:
            return 0
        self._trim(minutes, int(now // 60))
        return max((count for _, count in minutes), default=0)

    @staticmethod
    def _trim(minutes: deque[list[int]], minute: int) -> None:
        while minutes and minutes[0][0] <= minute - WINDOW_MINUTES:
            minutes.popleft()
