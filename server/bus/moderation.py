"""Moderators' actions reach every server process at once: sanctions and the word list.

A console request on any process stores the action (so a process started later reads it at
startup), applies it to this process's street and publishes it on ``srichan:moderation``;
every other process applies it when it hears it. A message is JSON, either
``{"sanction": {...}}`` (see :class:`~srichan_world.world.moderation.Sanction`) or
``{"words": [...]}`` or ``{"erased": visitor id}`` (their data was erased: close their
sessions, srichan_world/world/privacy.py). A process whose bus was cut reads everything
from the store again when it comes back (sanctions are replayed in order, which gives what
holds now; only a ban is acted on again), so a lost message only delays an action until
then.

Building the word filter's dictionary takes most of a second, so it is done in a worker
thread and swapped in whole.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from server.bus import Bus
from server.store.people import Moderation
from server.ws.pump import Pump
from srichan_world.street.moderation import ModerationDesk
from srichan_world.world.chatfilter import WordFilter, clean_words
from srichan_world.world.moderation import Sanction

log = logging.getLogger(__name__)

CHANNEL = "srichan:moderation"


class ModerationRelay:
    """This process's end of the moderation channel (see the module docstring)."""

    def __init__(self, desk: ModerationDesk, pump: Pump, store: Moderation, bus: Bus) -> None:
        self.desk = desk
        self.pump = pump
        self.store = store
        self.bus = bus
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        await self.catch_up()
        await self.bus.subscribe(CHANNEL, self.heard)
        self.bus.on_reconnect.append(self.catch_up)

    async def catch_up(self) -> None:
        """Read every sanction and the word list from the store and hold them here. Replayed
        sanctions tell nobody again (a warning or a kick happened once), except a ban: a
        banned visitor still here missed it, and is closed now."""
        now, wall = time.monotonic(), time.time()
        for sanction in await self.store.sanctions():
            self.desk.guard.sanctions.apply(sanction, now, wall)
        self.pump.apply(self.desk.enforce_bans(now))
        await self._use_words(await self.store.chat_words())

    async def act(self, sanction: Sanction) -> None:
        """A moderator's action on this process: stored, applied here, told to the others."""
        await self.store.add_sanction(sanction)
        self._apply(sanction)
        await self.bus.publish(CHANNEL, json.dumps({"sanction": sanction.to_json()}).encode())

    async def erased(self, visitor_id: str) -> None:
        """A visitor's data was erased: their sessions here and on every process are told
        and closed (a lost message leaves a session open until it ends; it can no longer
        reach the erased records)."""
        self.pump.apply(self.desk.erased(visitor_id))
        await self.bus.publish(CHANNEL, json.dumps({"erased": visitor_id}).encode())

    async def set_words(self, words: tuple[str, ...], actor: str) -> None:
        await self.store.set_chat_words(words, actor, time.time())
        await self._use_words(words)
        await self.bus.publish(CHANNEL, json.dumps({"words": list(words)}).encode())

    def heard(self, payload: bytes) -> None:
        try:
            message = json.loads(payload)
            if "sanction" in message:
                self._apply(Sanction.from_json(message["sanction"]))
            elif "erased" in message:
                self.pump.apply(self.desk.erased(str(message["erased"])))
            else:
                self._spawn(self._use_words(clean_words(message["words"])))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring a malformed moderation message %r: %s", payload[:80], exc)

    def _apply(self, sanction: Sanction) -> None:
        self.pump.apply(self.desk.sanction(sanction, time.monotonic(), time.time()))

    async def _use_words(self, words: tuple[str, ...]) -> None:
        if words != self.desk.guard.filter.words:
            self.desk.guard.filter = await asyncio.to_thread(WordFilter, words)

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
