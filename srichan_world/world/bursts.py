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


class RedemptionBursts:
    def __init__(self, slots: Iterable[str]) -> None:
        self._minutes: dict[str, deque[list[int]]] = {slot: deque() for slot in slots}
        """Slot → ``[minute, redemptions]`` of the last hour's busy minutes, oldest first."""

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(self._minutes)

    def record(self, slot: str, now: float) -> bool:
        """One coupon sold at ``slot``; False (not counted) for a slot the scene did not have
        at start, so a label can never be made up."""
        minutes = self._minutes.get(slot)
        if minutes is None:
            return False
        minute = int(now // 60)
        if minutes and minutes[-1][0] == minute:
            minutes[-1][1] += 1
        else:
            minutes.append([minute, 1])
        self._trim(minutes, minute)
        return True

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
