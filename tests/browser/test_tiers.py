"""Distance tiers in the browser: a neighbour on a slower rate (a frame's ``rates``) is drawn
from its turns only, a little further in the past, so it walks on smoothly between them
instead of stopping and jumping."""

from __future__ import annotations

import itertools

import pytest

from srichan_world.protocol.codec import encode
from srichan_world.protocol.messages import Enter, Frame, Update
from tests.browser.conftest import NewPage, Server

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

FEED_JS = """async (bytes) => {
  const { decodeMessage } = await import('/static/js/net.js');
  const { WorldState } = await import('/static/js/state.js');
  const state = new WorldState({ quiz_points: [], landmarks: [], events: [] });
  for (const b of bytes) state.apply(decodeMessage(new Uint8Array(b)));
  const slow = state.avatars.get(7);
  const still = state.avatars.get(8);
  const times = (a) => a.samples.map((s) => Math.round(s.time * 10));
  // where the slow walker is drawn as render time runs on, 20 ms apart
  const drawn = [];
  for (let t = 1.50; t <= 2.3; t += 0.02) drawn.push(slow.at(t).x);
  return { slowTimes: times(slow), stillTimes: times(still), every: slow.every, drawn };
}"""


def frames() -> list[bytes]:
    """Ticks 10–23. Avatar 7 walks +x at 1 m/s on one update in 5 ticks (its turns:
    ``(tick + 7) % 5 == 0``, ticks 13, 18, 23); avatar 8 stands, on every tick."""
    out = [
        Frame(
            tick=10,
            reset=True,
            enters=(
                Enter(7, 0, 0, 0, 1, "ไกล", (1, 2, 3)),
                Enter(8, 500, 0, 0, 0, "ใกล้", (1, 2, 3)),
            ),
            updates=(),
            leaves=(),
            more=0,
            rates=(7, 5),
        )
    ]
    for tick in range(11, 24):
        turn = (tick + 7) % 5 == 0
        updates = (Update(7, (tick - 10) * 10, 0),) if turn else ()
        out.append(Frame(tick=tick, reset=False, enters=(), updates=updates, leaves=(), more=0))
    return [encode(f) for f in out]


async def test_a_slower_neighbour_walks_smoothly_between_its_turns(
    server: Server, new_page: NewPage
) -> None:
    page = await new_page(f"{server.url}/?mode=list")
    got = await page.evaluate(FEED_JS, [list(b) for b in frames()])
    assert got["every"] == 5
    # no "stood still" sample between its turns: only the enter and the three turns
    assert got["slowTimes"] == [10, 13, 18, 23]
    # the one on every tick got a sample each tick (the newest 12 are kept)
    assert got["stillTimes"] == list(range(12, 24))
    drawn = got["drawn"]
    # drawn 0.4 s further in the past: always between samples, so it never stops...
    steps = [b - a for a, b in itertools.pairwise(drawn)]
    assert all(s > 0 for s in steps), drawn
    # ...and moves at its real pace, 1 m/s (2 cm per 20 ms), without jumps
    assert max(steps) < 0.05 and min(steps) > 0.005, steps
