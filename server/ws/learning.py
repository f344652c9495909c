"""The learning side's I/O: the watcher, the LRS forwarder and the learning metrics.

Every learning decision is the street's (``srichan_world/street/learning.py``); requests reach
it through the pump. What is left here needs a clock or a network: a few times a second the
watcher asks the street to look at the sessions that moved (landmark visits become quest steps)
and to push changed leaderboards (``Street.watch``), and each statement the store kept is
handed to the LRS forwarder (:class:`server.integrations.lrs.LrsForwarder`) when one is
configured. The anonymous usage counts a request made (the console's figures) are tallied here
and written to the store once per watcher round, off the request's path: a store that is down
costs figures, never a visitor's answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter

from server.health import FailureStreak
from server.integrations.lrs import LrsConfig, LrsForwarder
from server.store.base import StoreError, UsageRecords
from server.tasks import cancel
from server.ws.pump import Pump
from srichan_world.street.street import Learned
from srichan_world.world.figures import Usage, day_of

log = logging.getLogger(__name__)

WATCH_S = 0.5
"""How often the watcher looks at the street."""
TALLY_MAX = 50_000
"""Usages held between two writes at most; more are dropped (and counted) rather than grow."""


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
        self.usage_store: UsageRecords | None = None
        self._tally: dict[str, list[Usage]] = {}
        self._held = 0
        self._usage_counter = Counter(
            "srichan_usage_counts",
            "Anonymous usage counts for the console's figures, by outcome",
            ["outcome"],
            registry=registry,
        )
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

    async def start(self, usage_store: UsageRecords | None = None) -> None:
        """Start watching; with ``usage_store`` the usage counts are written there."""
        self.usage_store = usage_store
        if self.lrs is not None:
            self.forwarder = LrsForwarder(self.lrs, self._count_lrs)
            self.forwarder.start()
        self._watcher = asyncio.create_task(self._watch())

    async def close(self) -> None:
        await cancel(self._watcher)
        try:
            await self.write_usage()
        except StoreError:
            log.warning("usage counts not written at shutdown: the store is unreachable")
        if self.forwarder is not None:
            await self.forwarder.close()

    def learned(self, learned: Learned) -> None:
        """What a request recorded: statements go to the LRS, tokens to the metrics."""
        if self.forwarder is not None:
            for statement in learned.statements:
                self.forwarder.offer(statement)
        if learned.tokens:
            self._tokens_counter.inc(learned.tokens)
        if learned.usage and self.usage_store is not None:
            if self._held + len(learned.usage) > TALLY_MAX:
                self._usage_counter.labels("dropped").inc(len(learned.usage))
                return
            self._tally.setdefault(day_of(self.clock()), []).extend(learned.usage)
            self._held += len(learned.usage)

    async def write_usage(self) -> None:
        """Write the tallied usage counts; what the store did not take waits for the next round.

        The tally is taken before the first await, so usage counted meanwhile (or by another
        writer at the same time) is neither lost nor written twice."""
        if self.usage_store is None:
            return
        tally, self._tally = self._tally, {}
        for day, usage in list(tally.items()):
            try:
                await self.usage_store.count_usage(day, usage)
            except BaseException:
                for left, kept in tally.items():
                    self._tally.setdefault(left, []).extend(kept)
                raise
            del tally[day]
            self._held -= len(usage)
            self._usage_counter.labels("written").inc(len(usage))

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
                await self.write_usage()
            except Exception:  # a bug must not end visits or pushes for good
                streak.failed()
            else:
                streak.succeeded()

    def _count_lrs(self, outcome: str, n: int) -> None:
        self._lrs_counter.labels(outcome).inc(n)
