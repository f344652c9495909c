"""A new visitor's wallet in the browser: tokens earned at once, pending until more learning
(spendable vs pending, and what is left: "ตอบคำถามอีก 2 จุด เพื่อใช้โทเค็น"); the booth says
why it cannot redeem yet, and the server refuses a redeem anyway (srichan_world/world/pending.py).
Screenshots of the wallet in Thai on a phone (390x844) and a desktop (1280x800)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.async_api import Page

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    NewPage,
    Server,
    axe_violations,
    save_shot,
    wait_welcomed,
)
from tests.browser.test_booths import BOOTH, owner_publishes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

REDEEM_JS = """async () => {
  const { MsgType } = await import('/static/protocol.js');
  const promo = srichan.state.booths.get('B02').booth.promotions[0];
  const reply = await srichan.conn.request(MsgType.REDEEM, {
    slot: 'B02', promotion: promo.id, key: 'pending-browser-01', expected_cost: promo.cost });
  return { type: reply.type, code: reply.code, message: reply.message };
}"""


async def earn_at_the_hub(page: Page, server: Server, compiled_scene: Path) -> None:
    """A new visitor jumps to the hub, where a 5-token promotion is on, and passes one quiz."""
    await wait_welcomed(page)
    await page.evaluate(
        "import('/static/protocol.js').then(({ MsgType }) =>"
        " srichan.conn.request(MsgType.TRAVEL, { landmark: 'business-hub' }))"
    )
    now = int(time.time())
    promo = {
        "title": {"th": "ลด 10 บาท", "en": "10 baht off"},
        "cost": 5,
        "coupons": 10,
        "valid_from": now - 60,
        "valid_to": now + 86400,
    }
    await owner_publishes(server, "B02", BOOTH | {"promotions": [promo]})
    answers = json.loads((compiled_scene / "srichan.answers.json").read_text(encoding="utf-8"))
    correct = answers["quiz_points"]["q-hub-kgo"]["correct"]
    await page.locator("[data-quiz=q-hub-kgo] button").click()
    await page.locator(f"#quiz-dialog label[for=choice-{correct}]").click()
    await page.locator("#quiz-dialog [data-key=quiz-answer]").click()
    await page.locator("#quiz-dialog .quiz-result.correct").wait_for(timeout=10_000)
    await page.locator("#quiz-dialog [data-key=quiz-close]").click()
    await page.wait_for_function("srichan.state.balance === 5", timeout=5000)


@pytest.mark.parametrize(("device", "shot"), [(PHONE, "phone"), (DESKTOP, "desktop")])
async def test_a_new_visitors_wallet_shows_pending_tokens_and_what_is_left(
    server: Server, new_page: NewPage, compiled_scene: Path, device: dict, shot: str
) -> None:
    page = await new_page(f"{server.url}/?mode=list", device)
    await earn_at_the_hub(page, server, compiled_scene)
    pending = page.locator(".wallet .pending")
    await pending.wait_for(timeout=5000)
    text = await pending.inner_text()
    assert "ใช้ได้ 0 โทเค็น" in text and "รอปลดล็อก 5 โทเค็น" in text, text
    assert "ตอบคำถามอีก 2 จุด เพื่อใช้โทเค็น" in text, text
    assert "ใช้โทเค็นได้ในอีก 10 นาที" in text, text
    assert "ตอบคำถามถูก 3 จุด และอยู่บนถนนครบ 10 นาที" in text, text

    promo = page.locator("#booths li.booth[data-slot=B02] [data-promotion]")
    await promo.wait_for(timeout=10_000)
    assert "โทเค็นยังรอปลดล็อก" in await promo.inner_text()
    refused = await page.evaluate(REDEEM_JS)  # the server holds the rule, whatever a page shows
    assert refused["code"] == 173, refused
    assert refused["message"].startswith("ตอบคำถามอีก 2 จุด เพื่อใช้โทเค็น / "), refused
    assert await page.evaluate("srichan.state.balance") == 5
    assert await page.evaluate("srichan.state.coupons.length") == 0

    await pending.scroll_into_view_if_needed()
    save_shot(f"pending-wallet-{shot}.png", await page.screenshot())
    assert await axe_violations(page) == []
    sizes = await page.eval_on_selector_all(
        ".pending *",
        "(els) => els.filter((e) => e.innerText?.trim() && e.offsetWidth)"
        ".map((e) => parseFloat(getComputedStyle(e).fontSize))",
    )
    assert sizes and min(sizes) >= 14, sizes

    await page.locator("#btn-lang").click()  # English second
    english = "document.querySelector('.wallet .pending')?.innerText.includes('2 more quizzes')"
    await page.wait_for_function(english, timeout=5000)
