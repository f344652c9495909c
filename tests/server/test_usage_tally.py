"""The learning loop's usage tally: bounded, kept through a store outage, never written twice.

The store is swapped at its small interface (``count_usage``) for one that records, fails or
stalls on demand; the loop is the real one."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from server.store.base import StoreError
from server.ws import learning
from server.ws.learning import LearningLoop
from srichan_world.street.street import Learned
from srichan_world.world import figures
from srichan_world.world.figures import Usage, UsageTotal

T = 1_778_300_000.0  # 9 May 2026 in Bangkok
OPEN = Usage(figures.QUIZ_OPEN, "q1")


class Counters:
    """A usage store that can be made to fail or to stall."""

    def __init__(self) -> None:
        self.written: list[tuple[str, Usage]] = []
        self.fail = False
        self.gate: asyncio.Event | None = None

    async def count_usage(self, day: str, usage: Sequence[Usage]) -> None:
        usage = list(usage)  # what the store takes is what it was given at the call
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise StoreError("redis: connection refused")
        self.written += [(day, u) for u in usage]

    async def usage_totals(self, first: str, last: str) -> tuple[UsageTotal, ...]:
        return ()


def loop(store: Counters) -> tuple[LearningLoop, CollectorRegistry]:
    registry = CollectorRegistry()
    pump: Any = None  # the tally never touches the pump
    made = LearningLoop(pump, registry, clock=lambda: T)
    made.usage_store = store
    return made, registry


def learned(n: int) -> Learned:
    return Learned([], 0, (OPEN,) * n)


async def test_the_tally_is_bounded_and_counts_what_it_drops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(learning, "TALLY_MAX", 10)
    store = Counters()
    tally, registry = loop(store)
    tally.learned(learned(6))
    tally.learned(learned(6))  # 12 > 10: dropped whole
    tally.learned(learned(4))
    await tally.write_usage()
    assert len(store.written) == 10 and {d for d, _ in store.written} == {"2026-05-09"}
    dropped = registry.get_sample_value("srichan_usage_counts_total", {"outcome": "dropped"})
    assert dropped == 6
    tally.learned(learned(10))  # room again after the write
    await tally.write_usage()
    assert len(store.written) == 20


async def test_a_store_outage_keeps_the_tally_for_the_next_round() -> None:
    store = Counters()
    tally, _ = loop(store)
    tally.learned(learned(3))
    store.fail = True
    with pytest.raises(StoreError):
        await tally.write_usage()
    tally.learned(learned(2))
    store.fail = False
    await tally.write_usage()
    assert len(store.written) == 5, "nothing lost, nothing twice"


async def test_usage_counted_during_a_write_is_written_once() -> None:
    store = Counters()
    store.gate = asyncio.Event()
    tally, _ = loop(store)
    tally.learned(learned(3))
    first = asyncio.create_task(tally.write_usage())
    await asyncio.sleep(0)
    tally.learned(learned(2))  # arrives while the first write waits on the store
    second = asyncio.create_task(tally.write_usage())
    await asyncio.sleep(0)
    store.gate.set()
    await asyncio.gather(first, second)
    assert len(store.written) == 5


async def test_without_a_usage_store_nothing_is_held() -> None:
    tally, _ = loop(Counters())
    tally.usage_store = None
    tally.learned(learned(5))
    await tally.write_usage()
    assert tally._held == 0
