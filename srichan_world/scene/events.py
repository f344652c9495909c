"""Events in the scene description and the manifest: times, checks, and the public form.

An event is authored in Bangkok local time (a TOML local date-time, or an ISO 8601 string from
an operator's request: without an offset it is Bangkok time, with one it is that instant) and
kept as a UTC instant (Unix seconds), which is what the rules compare with ``now``. The zone
comes from ``zoneinfo`` rather than a fixed +07:00 so that the conversion is the tz database's.

What no single value can show is checked here, for the scene's cross-checks and for the
operators' API alike: a known landmark and quest, quiz points that exist, stand near the
event's place and belong to no other event at the same time, and a window that ends after it
starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from srichan_world.scene.geometry import Point, Polygon, distance_to_polygon
from srichan_world.scene.model import Event, Text
from srichan_world.scene.problems import nearest

BANGKOK = ZoneInfo("Asia/Bangkok")
EVENT_QUIZ_MAX_M = 40.0
"""An event's quiz point stands within this many metres of the event's place (its ``point``,
or else its landmark's footprint)."""
MAX_EVENT_S = 14 * 86400
"""The longest window: an event is an occasion, not a season."""
EVENT_KEYS = {
    "id",
    "title",
    "description",
    "host",
    "starts",
    "ends",
    "landmark",
    "point",
    "quiz_points",
    "quest",
    "bonus",
    "capacity",
    "cancelled",
}
EVENT_REQUIRED = EVENT_KEYS - {"point", "quest", "cancelled"}

Report = Callable[[str, str, str], None]
"""``(path, message, did_you_mean)``."""


def instant(value: object) -> float | None:
    """Unix seconds of a date-time authored in Bangkok time, or ``None`` if it is not one."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=BANGKOK)
    return value.timestamp()


def local_time(at: float) -> str:
    """``at`` as Bangkok time with its offset, e.g. ``2027-03-13T09:00:00+07:00``."""
    return datetime.fromtimestamp(at, BANGKOK).isoformat(timespec="seconds")


def check_events(
    events: Sequence[Event],
    footprints: Mapping[str, Sequence[Polygon]],
    quiz_points: Mapping[str, Point],
    quests: Collection[str],
    report: Report,
    prefix: str = "events",
) -> None:
    """Report what is wrong between ``events`` and the scene (paths ``<prefix>[i].…``)."""
    owner: dict[str, list[Event]] = {}
    for i, ev in enumerate(events):
        path = f"{prefix}[{i}]" if prefix else ""
        at = f"{path}." if path else ""
        if ev.ends <= ev.starts:
            report(f"{at}ends", "must be after starts", "")
        elif ev.ends - ev.starts > MAX_EVENT_S:
            report(f"{at}ends", f"the window is longer than {MAX_EVENT_S // 86400} days", "")
        feet = footprints.get(ev.landmark)
        if feet is None:
            report(
                f"{at}landmark",
                f"unknown landmark {ev.landmark!r}",
                nearest(ev.landmark, footprints),
            )
        if ev.quest and ev.quest not in quests:
            report(f"{at}quest", f"unknown quest {ev.quest!r}", nearest(ev.quest, quests))
        if not ev.quiz_points:
            report(f"{at}quiz_points", "needs at least one quiz point", "")
        for j, quiz in enumerate(ev.quiz_points):
            where = f"{at}quiz_points[{j}]"
            position = quiz_points.get(quiz)
            if position is None:
                report(where, f"unknown quiz point {quiz!r}", nearest(quiz, quiz_points))
                continue
            for other in owner.get(quiz, ()):
                if other.starts < ev.ends and ev.starts < other.ends:
                    report(where, f"{quiz!r} is in {other.id} at the same time", "")
            owner.setdefault(quiz, []).append(ev)
            gap = _gap(position, ev, feet)
            if gap is not None and gap > EVENT_QUIZ_MAX_M:
                report(
                    where,
                    f"{quiz!r} is {gap:.0f} m from the event's place; "
                    f"must be within {EVENT_QUIZ_MAX_M:g} m",
                    "",
                )


def _gap(position: Point, ev: Event, feet: Sequence[Polygon] | None) -> float | None:
    if ev.point is not None:
        return math.dist(position, ev.point)
    if feet:
        return min(distance_to_polygon(position, f) for f in feet)
    return None


def event_json(ev: Event) -> dict[str, Any]:
    """The public form, in the manifest and the ``events`` message: times as Unix seconds
    (what clocks compare) and as Bangkok time (what people read)."""
    return {
        "id": ev.id,
        "title": ev.title.to_json(),
        "description": ev.description.to_json(),
        "host": ev.host.to_json(),
        "starts": int(ev.starts),
        "ends": int(ev.ends),
        "starts_local": local_time(ev.starts),
        "ends_local": local_time(ev.ends),
        "landmark": ev.landmark,
        "position": [round(ev.position[0], 2) + 0.0, round(ev.position[1], 2) + 0.0],
        "quiz_points": list(ev.quiz_points),
        "quest": ev.quest,
        "bonus": ev.bonus,
        "capacity": ev.capacity,
        "cancelled": ev.cancelled,
    }


def event_from_json(value: object) -> Event:
    """An event in its public form read back; ``ValueError`` names the first bad field."""
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    try:
        position = value["position"]
        point = (float(position[0]), float(position[1]))
        ev = Event(
            id=_typed(value, "id", str),
            title=_text(value["title"]),
            description=_text(value["description"]),
            host=_text(value["host"]),
            starts=float(_typed(value, "starts", int)),
            ends=float(_typed(value, "ends", int)),
            landmark=_typed(value, "landmark", str),
            quiz_points=tuple(_typed({"q": q}, "q", str) for q in value["quiz_points"]),
            bonus=_typed(value, "bonus", int),
            capacity=_typed(value, "capacity", int),
            quest=_typed(value, "quest", str),
            cancelled=_typed(value, "cancelled", bool),
            position=point,
        )
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"bad event field: {exc!r}") from None
    if not all(math.isfinite(v) for v in point):
        raise ValueError("position must be finite")
    return ev


def _typed(value: Mapping[str, Any], key: str, kind: type[Any]) -> Any:
    item = value[key]
    if (kind is int and isinstance(item, bool)) or not isinstance(item, kind):
        raise TypeError(f"{key} must be {kind.__name__}")
    return item


def _text(value: object) -> Text:
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in ("th", "en")):
        raise TypeError("text must be {th, en}")
    return Text(value["th"], value["en"])
