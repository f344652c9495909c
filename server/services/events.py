"""The event calendar of one server process: operators' changes, kept and shared.

An operator's change (create, update, cancel) is checked by the rules
(:func:`srichan_world.world.events.operator_event`), kept by the store (the event's public
form, one record per id), applied to this process's street, and announced on the bus as the
calendar's new version; a process that hears of a version newer than its own reads the
operators' events from the store and applies them. After a bus outage every process reads
them again (a missed notice is caught up), and on start each reads what is kept, so a change
survives restarts. The street pushes the calendar to every session (``events``).

The scene's events stay in the manifest; the operators' records go on top by id. A manifest
swapped at run time keeps them: call :meth:`EventService.apply` again on the new street.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from server.bus import Bus
from server.store.base import EventRecords
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.events import event_from_json, event_json
from srichan_world.scene.manifest import Manifest
from srichan_world.scene.model import Event
from srichan_world.world.events import Calendar, operator_event

log = logging.getLogger(__name__)

EVENTS_CHANNEL = "srichan:events"

Apply = Callable[[Sequence[Event]], None]
"""Hands the operators' events to the street (which pushes the calendar to its sessions)."""


class EventService:
    def __init__(self, manifest: Manifest, apply: Apply) -> None:
        self.manifest = manifest
        self._apply = apply
        self.overrides: tuple[Event, ...] = ()
        self.version = 0
        self._store: EventRecords | None = None
        self._bus: Bus | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def calendar(self) -> Calendar:
        return Calendar.of(self.manifest.events, self.overrides)

    async def start(self, store: EventRecords, bus: Bus) -> None:
        self._store, self._bus = store, bus
        await self.refresh()
        await bus.subscribe(EVENTS_CHANNEL, self.heard)
        bus.on_reconnect.append(self.refresh)

    async def refresh(self) -> None:
        """Read the operators' events from the store and apply them if they are newer."""
        assert self._store is not None
        bodies, version = await self._store.stored_events()
        if version <= self.version and self.version:
            return
        events = []
        for body in bodies:
            try:
                events.append(event_from_json(body))
            except ValueError as exc:
                log.warning("ignoring a stored event %r: %s", body.get("id"), exc)
        self.version = version
        self.apply(tuple(events))

    def apply(self, overrides: tuple[Event, ...]) -> None:
        self.overrides = overrides
        self._apply(overrides)

    async def put(self, event_id: str, body: object, now: float) -> Event:
        """Create or replace an event (``EventInvalid`` lists the problems)."""
        event = operator_event(body, event_id, self.manifest, self.calendar.events.values())
        return await self._keep(event, now)

    async def cancel(self, event_id: str, now: float) -> Event:
        """Mark an event cancelled (it stays on the calendar, as ``STATUS:CANCELLED``)."""
        event = self.calendar.events.get(event_id)
        if event is None:
            raise Refused(ErrorCode.UNKNOWN_EVENT, f"no event {event_id[:64]!r}")
        return await self._keep(replace(event, cancelled=True), now)

    async def _keep(self, event: Event, now: float) -> Event:
        assert self._store is not None and self._bus is not None
        version = await self._store.put_event(event_json(event), now)
        others = tuple(e for e in self.overrides if e.id != event.id)
        self.version = max(self.version, version)
        self.apply((*others, event))
        self._spawn(self._bus.publish(EVENTS_CHANNEL, str(version).encode()))
        return event

    def heard(self, payload: bytes) -> None:
        try:
            version = int(payload.decode())
        except ValueError:
            log.warning("ignoring a malformed events notice %r", payload[:80])
            return
        if version > self.version:
            self._spawn(self.refresh())

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("events notice work failed: %s", task.exception())
