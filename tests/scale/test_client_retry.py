"""The browser client's answer to ``store_unavailable``: the same request again, with the same
fields (a redeem keeps its key), after capped, jittered pauses; then the visitor is told."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Page, async_playwright

from srichan_world.protocol.codes import ErrorCode, MsgType
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

WEB = Path(__file__).resolve().parents[2] / "server" / "web"
PAGE = '<!doctype html><meta charset="utf-8"><div id="live"></div>'

ASK_JS = """async ([failures, code]) => {
  const { ask } = await import('/static/js/panels.js');
  const sent = [];
  const waits = [];
  const realTimeout = window.setTimeout;
  window.setTimeout = (fn, ms) => { waits.push(ms); return realTimeout(fn, 0); };
  const conn = {
    request: async (type, fields) => {
      sent.push(JSON.stringify([type, fields]));
      return sent.length <= failures
        ? { type: 12, code, message: 'down' }
        : { type: 50, coupon: { code: 'ABCD2345' } };
    },
  };
  const fields = { slot: 'B01', promotion: 'p1', key: 'k-123456789', expected_cost: 10 };
  const reply = await ask(conn, {}, 49, fields);
  window.setTimeout = realTimeout;
  return { reply, sent, waits, live: document.getElementById('live').textContent };
}"""


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")

    async def index(_request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_static("/static/", WEB)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                tab = await browser.new_page()
                await tab.goto(f"http://{host}:{port}/")
                yield tab
            finally:
                await browser.close()
    finally:
        await runner.cleanup()


async def test_the_browser_retries_with_the_same_key_then_gives_up_politely(page: Page) -> None:
    assert MsgType.REDEEM == 49 and MsgType.COUPON_ISSUED == 50 and MsgType.ERROR == 12
    code = int(ErrorCode.STORE_UNAVAILABLE)
    got = await page.evaluate(ASK_JS, [2, code])
    assert got["reply"]["coupon"]["code"] == "ABCD2345"
    assert len(got["sent"]) == 3 and len(set(got["sent"])) == 1, "the same request each time"
    first, second = got["waits"][:2]
    assert 500 <= first <= 1000 and 1000 <= second <= 2000

    never = await page.evaluate(ASK_JS, [100, code])
    assert never["reply"] is None and len(never["sent"]) == 7  # the first try and 6 retries
    assert max(never["waits"]) <= 8000
    assert "ลองใหม่" in never["live"] or "try again" in never["live"]

    other = await page.evaluate(ASK_JS, [1, int(ErrorCode.SOLD_OUT)])
    assert other["reply"] is None and len(other["sent"]) == 1, "only store_unavailable retries"
