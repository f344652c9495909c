"""The event calendar as iCalendar (RFC 5545), for visitors' calendar apps.

Made with the ``icalendar`` package: times carry ``TZID=Asia/Bangkok`` and the calendar its
``VTIMEZONE`` (built from the tz database by the library), each event's ``UID`` is its id at
our domain (stable across changes, so an app updates the entry it has), ``SEQUENCE`` is the
calendar's version (it grows with every operator's change), and a cancelled event is
``STATUS:CANCELLED``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import icalendar

from srichan_world.scene.events import BANGKOK
from srichan_world.scene.model import Event

PRODID = "-//Sri Chan World//Events//TH"
UID_DOMAIN = "events.srichan.world"


def calendar_ics(
    events: Iterable[Event],
    *,
    base_url: str,
    places: dict[str, str],
    sequence: int = 0,
    stamp: float,
) -> bytes:
    """Every event in one VCALENDAR; ``places`` names each landmark (Thai · English)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "ศรีจันทร์ · Sri Chan events")
    cal.add("x-wr-timezone", "Asia/Bangkok")
    for event in sorted(events, key=lambda e: e.starts):
        cal.add_component(_vevent(event, base_url, places, sequence, stamp))
    cal.add_missing_timezones()
    ical: bytes = cal.to_ical()
    return ical


def _vevent(
    event: Event, base_url: str, places: dict[str, str], sequence: int, stamp: float
) -> icalendar.Event:
    item = icalendar.Event()
    item.add("uid", f"{event.id}@{UID_DOMAIN}")
    item.add("dtstamp", datetime.fromtimestamp(stamp, UTC))
    item.add("dtstart", datetime.fromtimestamp(event.starts, BANGKOK))
    item.add("dtend", datetime.fromtimestamp(event.ends, BANGKOK))
    item.add("summary", f"{event.title.th} · {event.title.en}")
    text = f"{event.description.th}\n\n{event.description.en}\n\n{event.host.th} · {event.host.en}"
    item.add("description", text)
    item.add("location", places.get(event.landmark, event.landmark))
    item.add("categories", [event.host.en])
    item.add("url", f"{base_url}/events/{event.id}.ics")
    item.add("sequence", sequence)
    item.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    return item
