"""The learning side's I/O: the watcher, the LRS forwarder and the learning metrics.

Every learning decision is the street's (``srichan_world/street/learning.py``); requests reach
it through the pump. What is left here needs a clock or a network: a few times a second the
watcher asks the street to look at the sessions that moved (landmark visits become quest steps)
and to push changed leaderboards (``Street.watch``), and each statement the store kept is
handed to the LRS forwarder (:class:`server.integrations.lrs.LrsForwarder`) when one is
configured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter

from server.health import FailureStreak
from server.integrations.lrs import LrsConfig, LrsForwarder
from server.tasks import cancel
from server.ws.pump import Pump
from srichan_world.street.street import Learned

log = logging.getLogger(__name__)

WATCH_S = 0.5
"""How often the watcher looks at the street."""


class LearningLoop:
    """:meth:`start` after the pump has its store; :meth:`close` at shutdown."""

    def __init__(
        self,
        pump: Pump,
        registry: CollectorRegistry,
        lrs: LrsConfig | None = None,
        clock: Callable[[], float] = time.time,
        watch_s: float = WATCH_S,
    ) -> None:
        self.pump = pump
        self.lrs = lrs
        self.clock = clock
        self.watch_s = watch_s
        self.forwarder: LrsForwarder | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._pushed = 0
        self._lrs_counter = Counter(
            "srichan_lrs_statements",
            "xAPI statements offered to the LRS forwarder, by outcome (retries: POSTs retried)",
            ["outcome"],
            registry=registry,
        )
        self._tokens_counter = Counter(
            "srichan_tokens_awarded",
            "Learning tokens paid for answers and quests",
            registry=registry,
        )
        self._push_counter = Counter(
            "srichan_leaderboard_pushes",
            "Leaderboard messages pushed to followers",
            registry=registry,
        )

    async def start(self) -> None:
        if self.lrs is not None:
            self.forwarder = LrsForwarder(self.lrs, self._count_lrs)
            self.forwarder.start()
        self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        await cancel(self._watcher)
        if self.forwarder is not None:
            await self.forwarder.close()

    def learned(self, learned: Learned) -> None:
        """What a request recorded: statements go to the LRS, tokens to the metrics."""
        if self.forwarder is not None:
            for statement in learned.statements:
                self.forwarder.offer(statement)
        if learned.tokens:
            self._tokens_counter.inc(learned.tokens)

    def watch(self) -> None:
        """One look at the street (the watcher's round)."""
        street = self.pump.street
        self.pump.apply(street.watch(self.clock()))
        if street.pushes != self._pushed:
            self._push_counter.inc(street.pushes - self._pushed)
            self._pushed = street.pushes

    async def _watch(self) -> None:
        streak = FailureStreak(log, "learning watcher")
        while True:
            await asyncio.sleep(self.watch_s)
            try:
                self.watch()
            except Exception:  # a bug must not end visits or pushes for good
                streak.failed()
            else:
                streak.succeeded()

    def _count_lrs(self, outcome: str, n: int) -> None:
        self._lrs_counter.labels(outcome).inc(n)
