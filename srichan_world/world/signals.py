"""The abuse signals of ``/metrics`` as the console's economy section shows them.

Two signals tell an operator that a farm of identities is at work (docs/security.md): new
visitor identities per client address (the most that one address registered this clock hour,
:meth:`~srichan_world.world.admission.NewIdentities.busiest`: one number, never the address)
and redemption bursts per booth slot (the coupons sold at each slot over the last hour and its
busiest minute, :class:`~srichan_world.world.bursts.RedemptionBursts`). Each server process
keeps its own in memory and shares them in its *now* snapshot (server/now_board.py) as
:class:`Signals`; :func:`signals` puts the processes together for the console: the busiest
address of any process, a slot's coupons summed, and its busiest minute on any one process
(an address or a minute split over two processes is counted on each: both are lower bounds).

Like every figure, a signal names no address and no visitor, and a small group is hidden
(:data:`~srichan_world.world.figures.MIN_GROUP`): the busiest address's identities under 5
(a family's phones), and a slot's hour unless at least 5 distinct visitors bought there (one
visitor's coupons are that visitor's activity, not a burst). A farm is far above both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from srichan_world.world.bursts import WINDOW_MINUTES, RedemptionBursts
from srichan_world.world.figures import MIN_GROUP, shown


@dataclass(frozen=True, slots=True)
class Signals:
    """One process's signals now, nothing hidden yet (what a process shares, never what the
    console shows)."""

    busiest_new_identities: int
    slots: tuple[tuple[str, int, int, int], ...]
    """``(slot, coupons over the last hour, distinct buyers, busiest minute)``."""

    def to_json(self) -> dict[str, Any]:
        return {"busiest_new_identities": self.busiest_new_identities, "slots": self.slots}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Signals:
        slots = tuple((str(s), int(c), int(b), int(p)) for s, c, b, p in data["slots"])
        return cls(int(data["busiest_new_identities"]), slots)


def process_signals(busiest: int, bursts: RedemptionBursts, now: float) -> Signals:
    """This process's signals at ``now``."""
    return Signals(
        busiest,
        tuple(
            (slot, bursts.coupons(slot, now), bursts.buyers(slot, now), bursts.peak(slot, now))
            for slot in bursts.slots
        ),
    )


def signals(processes: Iterable[tuple[str, float, Signals]]) -> dict[str, Any]:
    """The console's JSON from each live process's ``(name, age in s, signals)``."""
    busiest = 0
    coupons: dict[str, int] = defaultdict(int)
    buyers: dict[str, int] = defaultdict(int)
    peak: dict[str, int] = defaultdict(int)
    rows = []
    for name, age, s in sorted(processes, key=lambda p: p[0]):
        busiest = max(busiest, s.busiest_new_identities)
        rows.append(
            {
                "process": name,
                "age_s": round(age, 1),
                "busiest_new_identities": shown(s.busiest_new_identities),
            }
        )
        for slot, sold, people, top in s.slots:
            coupons[slot] += sold
            buyers[slot] += people
            peak[slot] = max(peak[slot], top)
    booths = []
    for slot in sorted(coupons):
        enough = shown(buyers[slot]) is not None
        booths.append(
            {
                "slot": slot,
                "coupons": coupons[slot] if enough else None,
                "busiest_minute": peak[slot] if enough else None,
            }
        )
    return {
        "min_group": MIN_GROUP,
        "window_minutes": WINDOW_MINUTES,
        "busiest_new_identities": shown(busiest),
        "processes": rows,
        "booths": booths,
    }
