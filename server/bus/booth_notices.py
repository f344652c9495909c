"""Booth notices: a booth changed by one process reaches visitors on every other at once.

A change here (an owner's publish, a coupon taken, a hide) is announced on the bus as
``<slot> <version>``; a process that hears of a newer version than it knows refreshes that
booth from the store. Each process still polls the store's booth versions (a missed notice
only delays a change until the poll), and refreshes every booth after its bus reconnects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from server.bus import Bus
from server.services.booths import BoothService, BoothUpdate

log = logging.getLogger(__name__)

BOOTH_CHANNEL = "srichan:booths"


class BoothNotices:
    """Tell the other processes when a booth changed here; refresh it when they tell us.

    A notice is ``<slot> <version>``. Each process still polls the store's booth versions (a
    missed notice only delays a change until the poll), and refreshes every booth after its
    bus reconnects.
    """

    def __init__(self, service: BoothService, bus: Bus) -> None:
        self.service = service
        self.bus = bus
        self.told: dict[str, int] = {}
        """Per slot, the highest version announced by anyone: never announced again."""
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.service.subscribe(self.changed_here)
        await self.bus.subscribe(BOOTH_CHANNEL, self.heard)
        self.bus.on_reconnect.append(self.catch_up)

    def changed_here(self, update: BoothUpdate) -> None:
        version = update.message.version
        if self.told.get(update.slot, -1) >= version:
            return  # the change came from another process (or was told already)
        self.told[update.slot] = version
        self._spawn(self.bus.publish(BOOTH_CHANNEL, f"{update.slot} {version}".encode()))

    def heard(self, payload: bytes) -> None:
        try:
            slot, version_text = payload.decode().split(" ")
            version = int(version_text)
        except ValueError:
            log.warning("ignoring a malformed booth notice %r", payload[:80])
            return
        if slot not in self.service.slots or self.told.get(slot, -1) >= version:
            return
        self.told[slot] = version
        self._spawn(self.service.refresh(slot))

    async def catch_up(self) -> None:
        await self.service.refresh()

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("booth notice work failed: %s", task.exception())
