"""In a crowd the street names only the nearest few (avatars3d.js ``thinLabels``): sixty-four
names stack into one unreadable band on a phone. Someone speaking keeps their name, under
their bubble at any distance."""

from __future__ import annotations

import asyncio

import pytest

from server.ws.client import PresenceClient
from srichan_world.protocol.codes import Anim
from tests.browser.conftest import PHONE, NewPage, Server, save_shot, wait_first_frame

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]
SHOWN = 8  # LABELS_SHOWN in avatars3d.js
VISIBLE_NAMES_JS = """() => [...document.querySelectorAll('.name-label:not(.mine)')]
  .filter((e) => !e.hidden && getComputedStyle(e).display !== 'none')
  .map((e) => e.textContent)"""

BUBBLE_OVER_NAME_JS = """(name) => {
  const label = [...document.querySelectorAll('.name-label')].find((e) => e.textContent === name);
  const bubble = [...document.querySelectorAll('.bubble')].find((e) => !e.hidden);
  if (!label || !bubble) return null;
  return label.getBoundingClientRect().top - bubble.getBoundingClientRect().bottom;
}"""


@pytest.mark.parametrize("device", [PHONE, None], ids=["phone", "desktop"])
async def test_a_crowd_names_its_nearest_few(
    server: Server, new_page: NewPage, device: dict | None
) -> None:
    page = await new_page(f"{server.url}/?quality=low", device)
    await wait_first_frame(page)
    me = await page.evaluate("[srichan.state.me.x, srichan.state.me.z]")
    ws = server.url.replace("http", "ws", 1) + "/ws"
    bots: list[PresenceClient] = []
    try:
        # 16 visitors in a row ahead of the viewer, 1.5 m apart: the nearest is "ใกล้ 1"
        for i in range(16):
            bot = await PresenceClient.connect(ws, on_frame=lambda _data: None)
            await bot.hello(f"ใกล้ {i + 1}", (i % 6, i % 12, i % 4))
            bots.append(bot)
        for step in range(1, 21):
            for i, bot in enumerate(bots):
                w = bot.welcome
                assert w is not None
                tx, tz = me[0] + 3.0 + 1.5 * i, me[1] + (0.8 if i % 2 else -0.8)
                f = step / 20
                await bot.move(w.x + (tx - w.x) * f, w.z + (tz - w.z) * f, 0.0, Anim.IDLE)
            await asyncio.sleep(0.15)
        await page.wait_for_function("srichan.state.avatars.size >= 16", timeout=10_000)
        await page.wait_for_timeout(1000)
        names = await page.evaluate(VISIBLE_NAMES_JS)
        assert len(names) == SHOWN, names
        assert set(names) == {f"ใกล้ {i + 1}" for i in range(SHOWN)}
        # the farthest one speaks: its name shows over its bubble
        await bots[-1].chat("สวัสดีค่ะ")
        await page.wait_for_function(f"({VISIBLE_NAMES_JS})().includes('ใกล้ 16')", timeout=5000)
        # 25 m off, its bubble sits over its name, not on it
        await page.wait_for_timeout(300)
        gap = await page.evaluate(BUBBLE_OVER_NAME_JS, "ใกล้ 16")
        assert gap is not None and 0 <= gap <= 20, f"bubble bottom to name top: {gap} px"
        save_shot(f"crowd-labels-{'phone' if device else 'desktop'}.png", await page.screenshot())
    finally:
        for bot in bots:
            await bot.close()
