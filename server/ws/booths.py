"""Booths on the WebSocket: ``booth_state`` to whoever can see a booth.

(Redeeming is a request like any other: ``srichan_world/street/booths.py``.)

:class:`BoothFanout` subscribes to the booth service's publish hook: an update is queued at once
(never awaited per client) for every session whose interest area holds the booth's cell. A
visitor who walks into sight of a booth, or has just arrived, is caught up by a sweep a few
times a second that sends each session the booths around it whose version it has not seen.
"""

from __future__ import annotations

import asyncio

from server.services.booths import BoothService, BoothUpdate
from server.ws.pump import Pump
from srichan_world.protocol.messages import BoothState

SWEEP_S = 0.25


class BoothFanout:
    def __init__(self, service: BoothService, pump: Pump) -> None:
        self.service = service
        self.pump = pump
        self.seen: dict[int, dict[str, int]] = {}
        """Per session, the booth versions it was sent."""

    def on_update(self, update: BoothUpdate) -> None:
        grid = self.service.grid
        around = set(grid.neighbourhood(update.cell))
        for view in self.pump.views():
            if grid.cell_of((view.x, view.z)) in around:
                self._send(view.session, update.slot, update.message)

    def sweep(self) -> int:
        """Send every session the booths in its area it has not seen yet; returns how many."""
        sent = 0
        for view in self.pump.views():
            seen = self.seen.get(view.session, {})
            for state in self.service.states_near(view.x, view.z):
                if seen.get(state.slot) != state.version:
                    self._send(view.session, state.slot, state)
                    sent += 1
        return sent

    async def sweep_forever(self, interval: float = SWEEP_S) -> None:
        while True:
            await asyncio.sleep(interval)
            self.sweep()

    async def forget(self, session: int) -> None:
        self.seen.pop(session, None)

    def _send(self, session: int, slot: str, message: BoothState) -> None:
        if self.pump.send(session, message):
            self.seen.setdefault(session, {})[slot] = message.version
