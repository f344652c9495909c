"""The console's figures: anonymous usage counts, and the rules that turn them into tables.

The street counts what visitors do as :class:`Usage` (a kind, a subject such as a quiz id, a
detail, and a value to sum) with no visitor id in it: the store keeps only per-day counters and
sums them over a range of days (:class:`UsageTotal`), so the figures can never show one
visitor. Any group of fewer than :data:`MIN_GROUP` *visitors* is suppressed (:func:`shown`)
before a figure leaves the server: a count of requests is not a count of people (one visitor
making five paid answers is five payments and one person). So every figure's suppression rests
on a number of visitors:

- kinds that happen once per visitor (a first answer, a first right answer, a quest step
  reached, a visitor near a booth once a day) are that number themselves;
- kinds that one visitor can repeat (a quiz opened, tokens paid, a coupon bought or used) are
  shown only when the people behind their group (``people:<kind>``, :data:`PEOPLE`) reach
  :data:`MIN_GROUP`:
  :class:`PeopleToday` counts each visitor once a day per group (:func:`groups_of`), in memory
  and per process, as the inclusion figures do; the store keeps the counts only, never who.

Over a range of days the people add up *visitor-days* (the same visitor on two days counts
twice): a store that keeps no visitor id cannot tell more, and a range's groups are at least as
large as its days'.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from srichan_world.scene.geometry import InterestGrid, Point
from srichan_world.scene.manifest import Manifest

MIN_GROUP = 5
"""Groups smaller than this are suppressed: a count of 1–4 could point at a person."""
BANGKOK = dt.timezone(dt.timedelta(hours=7))
"""Days are Khon Kaen's days."""
MAX_DAYS = 400
"""The widest date range a figure query takes (a little over a year: the annual report)."""

QUIZ_OPEN = "quiz_open"
"""A quiz question shown (opens, not people: a visitor may open a quiz again)."""
QUIZ_FIRST = "quiz_first"
"""A visitor's first answer to a quiz; detail ``right`` or ``wrong``."""
QUIZ_SOLVED = "quiz_solved"
"""A visitor's first right answer to a quiz; value: the attempts it took."""
QUEST_STEP = "quest_step"
"""A visitor reached this many steps of a quest (detail: the number of steps done)."""
TOKENS_EARNED = "tokens_earned"
"""A request paid tokens (an answer, a quest bonus, an event); value: the tokens."""
COUPON_ISSUED = "coupon_issued"
"""A coupon bought at a booth (subject: the slot, detail: the promotion); value: its cost."""
COUPON_USED = "coupon_used"
"""A coupon shown at the counter and accepted (subject: the slot)."""
BOOTH_NEAR = "booth_near"
"""A visitor came within reach of a booth, counted once a day per visitor (subject: the slot)."""
PEOPLE = "people:"
"""The prefix of a people counter's kind: ``people:<kind>`` counts the visitors behind a group
of ``<kind>``'s figures that day, each once a day (:class:`PeopleToday`); its subject is the
group (a quiz, a booth slot, or ``""`` for the whole day)."""
EARNERS = PEOPLE + TOKENS_EARNED
"""Visitors paid tokens that day (subject ``""``)."""
BUYERS = PEOPLE + COUPON_ISSUED
"""Visitors who bought a coupon that day (subject ``""``) or at a booth (subject: the slot)."""
USERS = PEOPLE + COUPON_USED
"""Visitors whose coupon a booth accepted that day (subject: the slot)."""
OPENERS = PEOPLE + QUIZ_OPEN
"""Visitors who opened a quiz that day (subject: the quiz)."""
PEOPLE_MAX = 400_000
"""(visitor, group) pairs remembered for today: ~70 MB at most (170 bytes a pair measured,
the visitor ids included; a visitor makes a pair per quiz opened, and a few more); past it,
nobody new is counted until the next day (groups look smaller: hidden more, never less)."""
KINDS = frozenset(
    {
        EARNERS,
        BUYERS,
        USERS,
        OPENERS,
        QUIZ_OPEN,
        QUIZ_FIRST,
        QUIZ_SOLVED,
        QUEST_STEP,
        TOKENS_EARNED,
        COUPON_ISSUED,
        COUPON_USED,
        BOOTH_NEAR,
    }
)
ECONOMY_DAILY = (TOKENS_EARNED, COUPON_ISSUED, EARNERS, BUYERS)
"""The kinds :func:`economy` reads per day."""


@dataclass(frozen=True, slots=True)
class Usage:
    """One thing a visitor did, with nothing that names them."""

    kind: str
    subject: str
    detail: str = ""
    value: int = 1


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """The store's counters for one (kind, subject, detail), summed over a range of days."""

    kind: str
    subject: str
    detail: str
    count: int
    total: int
    """The sum of the usages' values."""


def groups_of(u: Usage) -> tuple[Usage, ...]:
    """The people counters a usage counts its visitor toward: a payment toward the day's
    :data:`EARNERS`; a coupon bought toward the day's :data:`BUYERS` and the booth's; a coupon
    used toward the booth's :data:`USERS`; a quiz opened toward its :data:`OPENERS`. A kind
    that happens once per visitor anyway (a first answer, a quest step, a visit near a booth)
    needs none."""
    if u.kind == TOKENS_EARNED:
        return (Usage(EARNERS, ""),)
    if u.kind == COUPON_ISSUED:
        return (Usage(BUYERS, ""), Usage(BUYERS, u.subject))
    if u.kind in (COUPON_USED, QUIZ_OPEN):
        return (Usage(PEOPLE + u.kind, u.subject),)
    return ()


class PeopleToday:
    """Who was counted toward which group today, on this process (in memory, never stored).

    A visitor who comes back through another process that day is counted there too (as the
    inclusion figures and the visitors near a booth are): the store holds no visitor id to
    tell them apart."""

    def __init__(self, limit: int = PEOPLE_MAX) -> None:
        self.limit = limit
        self._day = ""
        self._seen: set[tuple[str, str, str]] = set()

    def count(self, visitor_id: str | None, usage: Iterable[Usage], now: float) -> list[Usage]:
        """A people usage (:func:`groups_of`) for each group of ``usage`` this visitor was not
        yet counted toward today. With no visitor (``None``) nobody is counted: a group looks
        smaller, which only hides more."""
        if not visitor_id:
            return []
        day = day_of(now)
        if day != self._day:
            self._day, self._seen = day, set()
        people: list[Usage] = []
        for u in usage:
            for person in groups_of(u):
                key = (visitor_id, person.kind, person.subject)
                if key in self._seen:
                    continue
                if len(self._seen) >= self.limit:
                    return people
                self._seen.add(key)
                people.append(person)
        return people


def day_of(now: float) -> str:
    """The Bangkok day of a Unix time, as the store files counters."""
    return dt.datetime.fromtimestamp(now, BANGKOK).date().isoformat()


def day_range(first: str, last: str) -> tuple[str, str]:
    """A checked ``(first, last)`` pair of ``YYYY-MM-DD`` days, or ``ValueError`` saying why."""
    try:
        a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except (TypeError, ValueError):
        raise ValueError("from and to must be days written YYYY-MM-DD") from None
    if len(first) != 10 or len(last) != 10:
        raise ValueError("from and to must be days written YYYY-MM-DD")
    if b < a:
        raise ValueError("to must not be before from")
    if (b - a).days >= MAX_DAYS:
        raise ValueError(f"a range of at most {MAX_DAYS} days")
    return first, last


def days(first: str, last: str) -> list[str]:
    """Every day from ``first`` to ``last``, both included."""
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [(a + dt.timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


def shown(count: int) -> int | None:
    """``count`` when the group is large enough to show, else ``None`` (suppressed)."""
    return count if count >= MIN_GROUP else None


def _sums(rows: Iterable[UsageTotal]) -> dict[tuple[str, str, str], tuple[int, int]]:
    summed: dict[tuple[str, str, str], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for r in rows:  # a store sums each key once; adding again keeps the rule total
        c, t = summed[(r.kind, r.subject, r.detail)]
        summed[(r.kind, r.subject, r.detail)] = (c + r.count, t + r.total)
    return summed


def quiz_figures(rows: Iterable[UsageTotal]) -> list[dict[str, Any]]:
    """Per quiz: opens, visitors who answered, the share right on the first try, the average
    attempts to the first right answer, and the item difficulty (share wrong on the first try).

    The opens are shown when :data:`MIN_GROUP` visitors opened the quiz (:data:`OPENERS`), the
    shares when as many answered it; the average attempts needs :data:`MIN_GROUP` solvers."""
    sums = _sums(rows)
    quizzes = sorted({s for k, s, _ in sums if k in (QUIZ_OPEN, QUIZ_FIRST, QUIZ_SOLVED)})
    table = []
    for quiz in quizzes:
        opens = sums.get((QUIZ_OPEN, quiz, ""), (0, 0))[0]
        openers = sums.get((OPENERS, quiz, ""), (0, 0))[0]
        right = sums.get((QUIZ_FIRST, quiz, "right"), (0, 0))[0]
        answered = right + sums.get((QUIZ_FIRST, quiz, "wrong"), (0, 0))[0]
        solvers, attempts = sums.get((QUIZ_SOLVED, quiz, ""), (0, 0))
        visible = shown(answered) is not None
        table.append(
            {
                "quiz": quiz,
                "opens": opens if shown(openers) is not None else None,
                "answered": shown(answered),
                "first_try_right": round(right / answered, 3) if visible else None,
                "difficulty": round(1 - right / answered, 3) if visible else None,
                "average_attempts": (
                    round(attempts / solvers, 2) if shown(solvers) is not None else None
                ),
            }
        )
    return table


def quest_funnels(rows: Iterable[UsageTotal]) -> list[dict[str, Any]]:
    """Per quest: how many visitors reached each number of steps, and the drop-off from the
    step before (a share); a step reached by fewer than :data:`MIN_GROUP` is suppressed, and so
    is a drop-off next to a suppressed count."""
    reached: dict[str, dict[int, int]] = defaultdict(dict)
    for (kind, quest, detail), (count, _) in _sums(rows).items():
        if kind == QUEST_STEP and detail.isdigit():
            reached[quest][int(detail)] = count
    funnels = []
    for quest in sorted(reached):
        steps = []
        before: int | None = None
        for step in range(1, max(reached[quest]) + 1):
            here = shown(reached[quest].get(step, 0))
            drop = round(1 - here / before, 3) if here is not None and before else None
            steps.append({"step": step, "visitors": here, "drop_off": drop})
            before = here
        funnels.append({"quest": quest, "steps": steps})
    return funnels


def learning(rows: Iterable[UsageTotal], manifest: Manifest | None = None) -> dict[str, Any]:
    """The learning figures of a date range, as the console's JSON; with the street's
    ``manifest``, each quiz names its landmark and each quest its title (a quiz or quest no
    longer in the street keeps its id alone)."""
    kept = list(rows)
    quizzes, quests = quiz_figures(kept), quest_funnels(kept)
    if manifest is not None:
        landmark = {q.id: q.landmark for q in manifest.quiz_points}
        title = {q.id: q.title.to_json() for q in manifest.quests}
        quizzes = [{**q, "landmark": landmark.get(q["quiz"])} for q in quizzes]
        quests = [{**f, "title": title.get(f["quest"])} for f in quests]
    return {"min_group": MIN_GROUP, "quizzes": quizzes, "quests": quests}


def economy(
    daily: Iterable[tuple[str, UsageTotal]],
    totals: Iterable[UsageTotal],
    first: str,
    last: str,
    outstanding: int | None = None,
) -> dict[str, Any]:
    """Tokens earned and spent per day, coupons issued and used per booth, and their sums.

    ``daily`` pairs a day with a counter of :data:`ECONOMY_DAILY`'s kinds; ``totals`` are the
    range's counters. A day's tokens earned (or spent) are shown when at least
    :data:`MIN_GROUP` visitors were paid (or bought a coupon) that day, however many requests
    they made; a booth's coupons issued (or used) when at least :data:`MIN_GROUP` visitor-days
    bought (or used) them there. The sums add up the figures shown only (a sum with a hidden
    one in would give it away by difference). ``outstanding``, the tokens all visitors hold
    now (``Store.outstanding_tokens``), is shown when at least one day of the range shows its
    earnings: a street too quiet for that could have one visitor's balance."""
    per_day: dict[str, dict[str, int]] = {d: defaultdict(int) for d in days(first, last)}
    for day, r in daily:
        if day not in per_day:
            continue
        if r.kind in (TOKENS_EARNED, COUPON_ISSUED):
            per_day[day][r.kind] += r.total
        elif r.kind in (EARNERS, BUYERS) and r.subject == r.detail == "":
            per_day[day][r.kind] += r.count
    rows: list[dict[str, Any]] = []
    for day, got in per_day.items():
        earners, buyers = got[EARNERS], got[BUYERS]
        rows.append(
            {
                "day": day,
                "earned": got[TOKENS_EARNED] if shown(earners) else None,
                "redeemed": got[COUPON_ISSUED] if shown(buyers) else None,
            }
        )
    booths: dict[str, dict[str, int]] = defaultdict(
        lambda: {"issued": 0, "spent": 0, "used": 0, "buyers": 0, "users": 0}
    )
    for r in totals:
        if r.kind == COUPON_ISSUED:
            booths[r.subject]["issued"] += r.count
            booths[r.subject]["spent"] += r.total
        elif r.kind == COUPON_USED:
            booths[r.subject]["used"] += r.count
    for r in totals:  # the people of a booth that has coupons (never a booth of its own)
        if r.kind in (BUYERS, USERS) and r.subject in booths and r.detail == "":
            booths[r.subject]["buyers" if r.kind == BUYERS else "users"] += r.count
    shops: list[dict[str, Any]] = [
        {
            "slot": slot,
            "coupons_issued": b["issued"] if shown(b["buyers"]) else None,
            "tokens_redeemed": b["spent"] if shown(b["buyers"]) else None,
            "coupons_used": b["used"] if shown(b["users"]) else None,
        }
        for slot, b in sorted(booths.items())
    ]
    earned: list[int] = [r["earned"] for r in rows if r["earned"] is not None]
    redeemed: int = sum(r["redeemed"] for r in rows if r["redeemed"] is not None)
    issued: int = sum(b["coupons_issued"] or 0 for b in shops)
    used: int = sum(b["coupons_used"] or 0 for b in shops)
    sums = {
        "earned": sum(earned),
        "redeemed": redeemed,
        "net": sum(earned) - redeemed,
        "coupons_issued": issued,
        "coupons_used": used,
        "outstanding": outstanding if earned else None,
    }
    return {"min_group": MIN_GROUP, "days": rows, "booths": shops, "totals": sums}


def booth(
    daily: Iterable[tuple[str, UsageTotal]], slot: str, first: str, last: str
) -> dict[str, Any]:
    """An owner's figures for one booth: visitors near it per day (a day under
    :data:`MIN_GROUP` suppressed) and coupons bought per day and promotion (the owner's own
    sales, which their redemption list shows one by one already)."""
    near = dict.fromkeys(days(first, last), 0)
    sales: dict[str, dict[str, int]] = defaultdict(dict)
    for day, r in daily:
        if r.subject != slot or day not in near:
            continue
        if r.kind == BOOTH_NEAR:
            near[day] += r.count
        elif r.kind == COUPON_ISSUED:
            sales[r.detail][day] = sales[r.detail].get(day, 0) + r.count
    return {
        "min_group": MIN_GROUP,
        "days": list(near),
        "near": [shown(n) for n in near.values()],
        "promotions": [
            {"promotion": p, "coupons": [sales[p].get(d, 0) for d in near]} for p in sorted(sales)
        ],
    }


@dataclass(frozen=True, slots=True)
class ProcessNow:
    """One server process's visitors right now, every cell counted (nothing suppressed yet:
    this is what a process shares with the others, never what the console shows)."""

    process: str
    """``host:pid``."""
    age_s: float
    """How old the count is (0 for this process's own)."""
    visitors: int
    cells: tuple[tuple[float, float, int], ...]
    """``(x, z, visitors)``: a cell's centre in metres and the visitors in it."""

    def to_json(self) -> dict[str, Any]:
        return {"process": self.process, "visitors": self.visitors, "cells": self.cells}

    @classmethod
    def from_json(cls, data: dict[str, Any], age_s: float) -> ProcessNow:
        cells = tuple((float(x), float(z), int(n)) for x, z, n in data["cells"])
        return cls(str(data["process"]), age_s, int(data["visitors"]), cells)


def one_per_visitor(seen: Iterable[tuple[str | None, Point]]) -> list[Point]:
    """One position per visitor from ``(visitor id, position)`` per session: a visitor with
    several tabs open is one person (counted where their first session is), not several; a
    session without an identity is counted as itself."""
    places: dict[str | int, Point] = {}
    for i, (visitor_id, position) in enumerate(seen):
        places.setdefault(visitor_id or i, position)
    return list(places.values())


def now_counts(process: str, positions: Iterable[Point], grid: InterestGrid) -> ProcessNow:
    """Bin one process's visitors on the street's interest grid (its cells' centres)."""
    cells: dict[tuple[int, int], int] = defaultdict(int)
    total = 0
    for p in positions:
        cells[grid.cell_of(p)] += 1
        total += 1
    half = grid.cell / 2
    binned = tuple(
        (
            round(grid.origin[0] + col * grid.cell + half, 1),
            round(grid.origin[1] + row * grid.cell + half, 1),
            n,
        )
        for (col, row), n in sorted(cells.items())
    )
    return ProcessNow(process, 0.0, total, binned)


def now(processes: Iterable[ProcessNow], grid: InterestGrid) -> dict[str, Any]:
    """Where visitors are right now, every live process together: how many on each process and
    in all, and how many in each cell of the street's interest grid (summed over the
    processes before anything is hidden). A process, a cell or the whole with fewer than
    :data:`MIN_GROUP` shows no figure (a cell: left out)."""
    merged: dict[tuple[float, float], int] = defaultdict(int)
    total = 0
    rows = []
    for p in sorted(processes, key=lambda p: p.process):
        total += p.visitors
        rows.append(
            {"process": p.process, "visitors": shown(p.visitors), "age_s": round(p.age_s, 1)}
        )
        for x, z, n in p.cells:
            merged[(x, z)] += n
    return {
        "min_group": MIN_GROUP,
        "visitors": shown(total),
        "processes": rows,
        "cell_m": grid.cell,
        "bounds": [
            grid.origin[0],
            grid.origin[1],
            grid.origin[0] + grid.cols * grid.cell,
            grid.origin[1] + grid.rows * grid.cell,
        ],
        "cells": [
            {"x": x, "z": z, "visitors": n}
            for (x, z), n in sorted(merged.items(), key=lambda item: (item[0][1], item[0][0]))
            if shown(n) is not None
        ],
    }
