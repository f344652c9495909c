"""Zoned workers in the browser: the page follows ``zone`` to the process serving the
stretch its avatar stands in, with its resume token, and the visitor sees nothing of it: no
"offline", the same place, the same name, the walk and the view kept. Two real worker
processes (``srichan serve --workers 2 --zoning zoned``) on a real redis-server, the real
street (zone 1 starts at x 320)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.browser.conftest import DESKTOP, PHONE, NewPage, save_shot, wait_welcomed
from tests.scale.conftest import Server, serve
from tools import redis_servers

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.asyncio(loop_scope="session")]

WATCH_JS = """() => {
  const { conn, state } = window.srichan;
  window.__zoneLog = { states: [], welcomes: [], zones: [] };
  conn.addEventListener('zone', (e) => window.__zoneLog.zones.push([e.detail.zone, conn.url]));
  conn.addEventListener('state', (e) => window.__zoneLog.states.push(e.detail.state));
  state.addEventListener('change', (e) => {
    if (e.detail.what === 'welcome')
      window.__zoneLog.welcomes.push({ resumed: e.detail.resumed, id: state.me.id });
  });
}"""
TRAVEL_JS = """async (landmark) => {
  const { MsgType } = await import('/static/protocol.js');
  window.srichan.conn.send(MsgType.TRAVEL, { landmark });
}"""
WHERE_JS = """() => {
  const { conn, state } = window.srichan;
  return { url: conn.url, online: conn.online, x: state.me.x, z: state.me.z,
           id: state.me.id, name: state.me.name, log: window.__zoneLog };
}"""


@pytest_asyncio.fixture(loop_scope="session")
async def zoned(compiled_scene: Path, tmp_path: Path) -> AsyncIterator[Server]:
    if redis_servers.available():
        pytest.skip(redis_servers.available() or "")
    redis = redis_servers.start_server(tmp_path / "redis")
    try:
        args = ("--workers", "2", "--zoning", "zoned", "--resume-window-s", "30")
        async with serve(compiled_scene, redis.url, tmp_path / "zoned.log", *args) as server:
            yield server
    finally:
        redis.stop()


async def _moved_to(page: object, zone: int, x_range: tuple[float, float]) -> dict:
    """Wait until the page moved once more and is served for ``zone`` there, its avatar in
    ``x_range``."""
    before = len((await page.evaluate(WHERE_JS))["log"]["welcomes"])  # type: ignore[attr-defined]
    await page.wait_for_function(  # type: ignore[attr-defined]
        """([zone, lo, hi, before]) => {
          const { conn, state } = window.srichan;
          return window.__zoneLog.welcomes.length > before && conn.online &&
                 conn.url.includes(`zone=${zone}`) && state.me.x >= lo && state.me.x <= hi;
        }""",
        arg=[zone, *x_range, before],
        timeout=15_000,
    )
    return await page.evaluate(WHERE_JS)  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize(("device", "mode"), [(PHONE, "list"), (DESKTOP, "3d")])
async def test_the_page_moves_between_zones_unnoticed(
    zoned: Server, new_page: NewPage, device: dict, mode: str
) -> None:
    page = await new_page(f"{zoned.http}/?mode={mode}", device)
    await wait_welcomed(page)
    await page.evaluate(WATCH_JS)
    name = (await page.evaluate(WHERE_JS))["name"]
    # to the Treasury Museum (x 360, zone 1), each step after two checks (2.5 s) so that the
    # page is served by the zone's process by then, whichever took it first
    await page.wait_for_timeout(2500)
    await page.evaluate(TRAVEL_JS, "treasury-museum")
    await page.wait_for_timeout(2500)
    # so a jump to Hug Mall (x 265, zone 0) is a move for sure, and the jump back another
    await page.evaluate(TRAVEL_JS, "hug-mall")
    back = await _moved_to(page, 0, (260.0, 270.0))
    await page.evaluate(TRAVEL_JS, "treasury-museum")
    there = await _moved_to(page, 1, (355.0, 365.0))
    log = there["log"]
    # every welcome after the first page load was a resume, never a fresh avatar
    assert log["welcomes"] and all(w["resumed"] for w in log["welcomes"]), log
    assert len(log["welcomes"]) >= 2  # at least: into zone 1, back into zone 0
    assert "offline" not in log["states"], log  # the visitor was never told it went offline
    assert back["name"] == there["name"] == name
    assert abs(back["z"] - -12.5) < 0.5 and abs(there["z"] - 13.0) < 0.5
    assert back["id"] != there["id"]  # another process, another id: frames use the new one
    await page.wait_for_timeout(800)  # a frame or two on the new socket
    save_shot(f"zones-moved-{mode}-{device['viewport']['width']}.png", await page.screenshot())


REQUESTS_JS = """async () => {
  const { MsgType } = await import('/static/protocol.js');
  const { conn } = window.srichan;
  const before = conn.request(MsgType.WALLET_GET, {}); // answered on the socket given up
  conn.moveZone(conn.url.includes('zone=1') ? 0 : 1);
  const during = conn.request(MsgType.WALLET_GET, {}); // held, sent once welcomed there
  const moved = conn.send(MsgType.MOVE, { x: 0, z: 0, heading: 0, anim: 0 }); // dropped
  const replies = await Promise.all([before, during]);
  return { types: replies.map((m) => m.type === MsgType.WALLET), moved, url: conn.url };
}"""


async def test_requests_made_while_moving_are_answered(zoned: Server, new_page: NewPage) -> None:
    page = await new_page(f"{zoned.http}/?mode=list", PHONE)
    await wait_welcomed(page)
    await page.wait_for_timeout(2500)  # any first move is over
    got = await page.evaluate(REQUESTS_JS)
    assert got["types"] == [True, True], got
    assert got["moved"] is False and "zone=" in got["url"]
