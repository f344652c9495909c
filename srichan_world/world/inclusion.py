"""The inclusion figures: which ways of using the street visitors choose, as daily shares.

A browser tells the server, with ``usage`` (docs/protocol.md), what its session uses now: the
list mode, the interface language, a larger text size, narration (text read aloud) and a
coarse device class (phone, tablet, desktop, from the viewport and the pointer: never a user
agent string). :func:`settings_of` checks the values (an unknown one is refused
``bad_usage``, naming the field and the values allowed) and turns them into
``(setting, value)`` pairs; :class:`SeenToday` counts each visitor once a day and each pair
once a day per visitor, as anonymous :class:`~srichan_world.world.figures.Usage` (no visitor id
leaves it). A visitor who switched language that day counts under both languages, so the
shares of one setting may add up to more than 1.

:func:`inclusion` turns the daily counters into shares. A share is shown only when the day's
visitors, the group using the value *and the group not using it* are each at least
:data:`~srichan_world.world.figures.MIN_GROUP` (a share of 98 % of 100 would point at the 2
others); when one value of a setting with several (language, device) is hidden, the smallest
shown one is hidden too, so the hidden one cannot be found by subtraction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from srichan_world.errors import Refused
from srichan_world.protocol.codes import DeviceClass, ErrorCode, UsageLang
from srichan_world.world.figures import MIN_GROUP, Usage, UsageTotal, day_of, days, shown

VISITORS = "incl_visitors"
"""A visitor who sent ``usage`` that day (the shares' denominator): once a day per process."""
SETTING = "incl_setting"
"""A visitor used a setting that day (subject: the setting, detail: its value)."""
KINDS = (VISITORS, SETTING)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("list_mode", "on"),
    ("larger_text", "on"),
    ("narration", "on"),
    *(("lang", v.value) for v in UsageLang),
    *(("device", v.value) for v in DeviceClass),
)
"""Every (setting, value) the figures show, in the console's order."""
SEEN_MAX = 400_000
"""(visitor, setting, value) triples remembered for today: ~40 MB at most; past it, nobody new
is counted until the next day (the visitors already counted still are)."""


def settings_of(
    list_mode: bool, lang: str, larger_text: bool, narration: bool, device: str
) -> tuple[tuple[str, str], ...]:
    """The ``(setting, value)`` pairs a ``usage`` message reports, or ``Refused(BAD_USAGE)``."""
    if lang not in {v.value for v in UsageLang}:
        allowed = ", ".join(v.value for v in UsageLang)
        raise Refused(ErrorCode.BAD_USAGE, f"lang must be one of {allowed}, not {lang!r}")
    if device not in {v.value for v in DeviceClass}:
        allowed = ", ".join(v.value for v in DeviceClass)
        raise Refused(ErrorCode.BAD_USAGE, f"device must be one of {allowed}, not {device!r}")
    pairs = [("lang", lang), ("device", device)]
    for name, on in (("list_mode", list_mode), ("larger_text", larger_text)):
        if on:
            pairs.append((name, "on"))
    if narration:
        pairs.append(("narration", "on"))
    return tuple(pairs)


class SeenToday:
    """What each visitor was counted for today, on this process (in memory, never stored)."""

    def __init__(self, limit: int = SEEN_MAX) -> None:
        self.limit = limit
        self._day = ""
        self._seen: set[tuple[str, str, str]] = set()

    def count(self, visitor_id: str, pairs: Iterable[tuple[str, str]], now: float) -> list[Usage]:
        """The usages not yet counted for this visitor today: the visitor once, each pair once."""
        day = day_of(now)
        if day != self._day:
            self._day, self._seen = day, set()
        usage: list[Usage] = []
        for setting, value in (("", ""), *pairs):
            key = (visitor_id, setting, value)
            if key in self._seen:
                continue
            if len(self._seen) >= self.limit:
                break
            self._seen.add(key)
            usage.append(Usage(VISITORS, "") if not setting else Usage(SETTING, setting, value))
        return usage


def _shares(visitors: int, counts: dict[tuple[str, str], int]) -> list[float | None]:
    shares: list[float | None] = []
    for key in COLUMNS:
        n = counts.get(key, 0)
        groups = (visitors, n, visitors - n)
        ok = all(shown(g) is not None for g in groups)
        shares.append(round(n / visitors, 3) if ok else None)
    for setting in {s for s, _ in COLUMNS}:
        at = [i for i, (s, _) in enumerate(COLUMNS) if s == setting]
        hidden = [i for i in at if shares[i] is None]
        if len(at) > 1 and len(hidden) == 1:
            rest = [i for i in at if shares[i] is not None]
            smallest = min(rest, key=lambda i: (counts.get(COLUMNS[i], 0), i))
            shares[smallest] = None
    return shares


def inclusion(daily: Iterable[tuple[str, UsageTotal]], first: str, last: str) -> dict[str, Any]:
    """Per day and for the whole range: the visitors counted and the share using each of
    :data:`COLUMNS` (``None``: suppressed). The range's figures add up visitor-days."""
    visitors: dict[str, int] = dict.fromkeys(days(first, last), 0)
    counts: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for day, r in daily:
        if day not in visitors:
            continue
        if r.kind == VISITORS:
            visitors[day] += r.count
        elif r.kind == SETTING:
            counts[day][(r.subject, r.detail)] = counts[day].get((r.subject, r.detail), 0) + r.count
    total: dict[tuple[str, str], int] = defaultdict(int)
    for per_day in counts.values():
        for key, n in per_day.items():
            total[key] += n
    all_visitors = sum(visitors.values())
    return {
        "min_group": MIN_GROUP,
        "columns": [list(c) for c in COLUMNS],
        "days": [
            {"day": day, "visitors": shown(n), "shares": _shares(n, counts.get(day, {}))}
            for day, n in visitors.items()
        ],
        "total": {"visitors": shown(all_visitors), "shares": _shares(all_visitors, dict(total))},
    }
