"""Events on the street: when their quiz points are on, who attends, what attending pays.

An event gates its quiz points by time: from ``starts`` (inclusive) to ``ends`` (exclusive)
they open and pay like any other; before and after, opening or answering one is refused
(``EVENT_NOT_NOW``; ``EVENT_CANCELLED`` once operators cancelled it) and the browser does not
show them. A quiz point may belong to several events whose windows do not overlap (a walk held
every Saturday): it is on while any of them is.

*Attending* is opening one of the event's quiz points during its window. The first time a
visitor does, the store gives them a seat (refused with ``EVENT_FULL`` when ``capacity``
visitors already attend) and pays the event's ``bonus`` once (clipped to the daily cap like
every award), keeping an xAPI *attended* statement. The bonus is paid on attendance rather
than on answering every event question: an event is about being there together, and its
questions pay their own rewards.

The calendar is the scene's events with the operators' records on top (same id: the
operator's version wins), so a reloaded manifest and a change made at run time combine the
same way. Everything here is pure: ``now`` is Unix seconds, passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.events import check_events, event_json, local_time
from srichan_world.scene.manifest import Manifest
from srichan_world.scene.model import Event
from srichan_world.scene.problems import Problem
from srichan_world.scene.reader import Reader
from srichan_world.world import xapi
from srichan_world.world.awards import Award, Payout

SOON_S = 7 * 86400
""""Coming up" looks this far ahead."""


@dataclass(frozen=True)
class Attendance:
    """A visitor attending an event, for the store to apply atomically and once per
    ``(event_id, visitor_id)``: a seat unless ``capacity`` visitors hold one already
    (``Refused(EVENT_FULL)``), the ``award`` paid once, the statement kept."""

    event_id: str
    visitor_id: str
    capacity: int
    award: Award | None
    statement: dict[str, Any]
    now: float

    def seat(self, attendees: int, already: bool) -> None:
        """Refuse a new attendee when the seats are taken; the store calls it with the
        attendees it holds."""
        if not already and attendees >= self.capacity:
            raise Refused(ErrorCode.EVENT_FULL, "this event is full")


@dataclass(frozen=True)
class Attended:
    """What the store did: ``new`` is False when the visitor already attended."""

    new: bool
    attendees: int
    payout: Payout
    balance: int


class Calendar:
    """The events in force and the quiz points they gate."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self.events = {e.id: e for e in events}
        self._gates: dict[str, list[Event]] = {}
        for event in self.events.values():
            for quiz_id in event.quiz_points:
                self._gates.setdefault(quiz_id, []).append(event)

    @classmethod
    def of(cls, authored: Sequence[Event], overrides: Iterable[Event]) -> Calendar:
        """The scene's events with the operators' records on top, by id."""
        merged = {e.id: e for e in authored}
        merged |= {e.id: e for e in overrides}
        return cls(merged.values())

    def gate(self, quiz_id: str, now: float) -> Event | None:
        """The event on now that ``quiz_id`` belongs to, ``None`` for a quiz point of no
        event; ``Refused`` when it belongs to events none of which is on now."""
        events = self._gates.get(quiz_id)
        if not events:
            return None
        live = [e for e in events if not e.cancelled]
        for event in live:
            if event.starts <= now < event.ends:
                return event
        if not live:
            raise Refused(ErrorCode.EVENT_CANCELLED, "this event was cancelled")
        upcoming = [e.starts for e in live if e.starts > now]
        when = f"; it opens at {local_time(min(upcoming))}" if upcoming else ""
        raise Refused(ErrorCode.EVENT_NOT_NOW, f"this quiz point belongs to an event{when}")

    def attendance(self, event: Event, visitor_id: str, daily_cap: int, now: float) -> Attendance:
        """What attending ``event`` means for ``visitor_id`` now."""
        award = None
        if event.bonus > 0:
            award = Award(
                visitor_id, f"event:{event.id}", event.bonus, f"event {event.id}", now, daily_cap
            )
        return Attendance(
            event.id,
            visitor_id,
            event.capacity,
            award,
            xapi.attended_statement(visitor_id, event, now),
            now,
        )

    def public(self) -> list[dict[str, Any]]:
        """Every event in its public form, earliest first."""
        return [event_json(e) for e in sorted(self.events.values(), key=lambda e: e.starts)]

    def happening(self, now: float) -> list[Event]:
        return sorted(
            (e for e in self.events.values() if not e.cancelled and e.starts <= now < e.ends),
            key=lambda e: e.ends,
        )

    def coming(self, now: float, within: float = SOON_S) -> list[Event]:
        return sorted(
            (e for e in self.events.values() if not e.cancelled and now < e.starts <= now + within),
            key=lambda e: e.starts,
        )


class EventInvalid(ValueError):
    """An operator's event has problems; ``problems`` lists every one with its field path."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def operator_event(
    body: object, event_id: str, manifest: Manifest, others: Iterable[Event]
) -> Event:
    """An event an operator sent (the scene format's fields, as JSON, times as ISO 8601 in
    Bangkok time or with an offset), checked like the scene's own against the manifest and the
    other events in force; :class:`EventInvalid` lists every problem."""
    reader = Reader()
    if isinstance(body, dict):
        body = {"id": event_id} | body
    event = reader.event(body, "event")
    problems = list(reader.problems)
    if event.id != event_id:
        problems.append(Problem("event.id", "must be the id in the address"))
    landmarks = {lm.id: lm for lm in manifest.landmarks}
    home = landmarks.get(event.landmark)
    position = event.point or (home.position if home else (0.0, 0.0))
    event = replace(event, position=position)
    rest = [e for e in others if e.id != event_id]
    mine = f"events[{len(rest)}]"

    def report(path: str, message: str, hint: str) -> None:
        if path.startswith(mine):
            problems.append(Problem("event" + path[len(mine) :], message, did_you_mean=hint))

    if not problems:
        check_events(
            [*rest, event],
            {lm.id: lm.footprints for lm in manifest.landmarks},
            {q.id: q.position for q in manifest.quiz_points},
            {q.id for q in manifest.quests},
            report,
        )
    if problems:
        raise EventInvalid(problems)
    return event
