"""A burst of reconnects to another process all resume: 300 visitors of one process drop at
once and say hello to the other at once (a worker restarted, or a crowd moving to its zone's
worker). Each hello looks its avatar up in Redis; before the lookups were bounded, a burst
ran redis-py's pool of 100 connections dry and every lookup past it failed, each a fresh
avatar at a spawn point."""

from __future__ import annotations

import asyncio

import pytest

from tests.scale.conftest import Server
from tests.scale.test_resume_anywhere import pair  # noqa: F401  (the two processes)
from tools.bench.presence import _Lean

pytestmark = pytest.mark.redis

BURST = 300


async def test_a_burst_of_reconnects_to_the_other_process_all_resume(
    pair: tuple[Server, Server],  # noqa: F811
) -> None:
    first, second = pair
    bots: list[_Lean] = []
    places: list[tuple[float, float]] = []
    for i in range(BURST):
        bot = await _Lean.connect(first.ws, lambda _frame: None)
        _, x, z = await bot.hello(f"ฝูงชน{i}", (1, 2, 3))
        bots.append(bot)
        places.append((x, z))
    await asyncio.sleep(0.3)  # every welcome's resume record is in Redis by now
    for bot in bots:  # all drop at once, no goodbye
        assert bot.transport is not None
        bot.transport.abort()

    async def back(i: int) -> _Lean:
        bot = await _Lean.connect(second.ws, lambda _frame: None)
        _, x, z = await bot.hello(f"ฝูงชน{i}", (1, 2, 3), resume=bots[i].resume_token)
        px, pz = places[i]
        assert (abs(x - px) < 0.011 and abs(z - pz) < 0.011) or not bot.resumed  # cm
        return bot

    again = await asyncio.gather(*(back(i) for i in range(BURST)))
    try:
        misses = [i for i, bot in enumerate(again) if not bot.resumed]
        assert misses == [], f"{len(misses)} of {BURST} got a fresh avatar"
    finally:
        for bot in again:
            await bot.close()
