"""Events in the browser, on the phone: the HUD's "happening now" card with its countdown and
the list mode's "coming up", with the page's clock set inside and around the Living Museum
walk of scenes/srichan.toml (13 March 2027, 09:00–12:00 Bangkok time). Event quiz points
appear and vanish at the window's edges without a reload."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    WELCOMED_JS,
    Server,
    save_shot,
    wait_first_frame,
    wait_welcomed,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

STARTS = 1_804_903_200  # 2027-03-13 09:00 in Bangkok
ENDS = STARTS + 3 * 3600
WALK = "living-museum-walk-2027-03"
QUIZ = "q-ev-living"

Open = Callable[[str, dict, float], Awaitable[Page]]


@pytest_asyncio.fixture(loop_scope="session")
async def open_at(browser: Browser) -> AsyncIterator[Open]:
    """A page whose clock starts at ``at`` (Unix seconds) and runs on; errors fail the test."""
    contexts = []
    errors: list[str] = []

    async def open_page(url: str, device: dict, at: float) -> Page:
        context = await browser.new_context(locale="th-TH", **device)
        await context.add_init_script(WELCOMED_JS)
        await context.clock.install(time=at)
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(url)
        return page

    yield open_page
    for context in contexts:
        await context.close()
    assert not errors, f"errors in the page: {errors}"


async def sizes(page: Page, selector: str) -> list[dict]:
    """Font size and box of each visible element matching ``selector``."""
    return await page.eval_on_selector_all(
        selector,
        """els => els.filter(e => e.offsetParent !== null).map(e => {
            const r = e.getBoundingClientRect();
            return {font: parseFloat(getComputedStyle(e).fontSize), h: r.height, w: r.width,
                    text: e.textContent};
        })""",
    )


async def test_happening_now_on_the_phone_with_a_countdown_and_its_quiz_points(
    server: Server, open_at: Open
) -> None:
    page = await open_at(f"{server.url}/?quality=low", PHONE, STARTS + 3600)
    await wait_welcomed(page)
    await wait_first_frame(page)
    chip = page.locator("#events-chip")
    await chip.wait_for(state="visible", timeout=30_000)
    summary = await page.locator("#events-summary").inner_text()
    assert summary.startswith("กำลังจัดอยู่ · เหลือเวลา "), summary
    assert "1:59:" in summary or "2:00:00" in summary
    assert summary.endswith("เดินชมพิพิธภัณฑ์มีชีวิต: เงินตราและการค้าอีสาน")
    visible = f"window.srichan.street.quizMarkers.get('{QUIZ}').group.visible"
    assert await page.evaluate(visible) is True

    save_shot("events-phone-line.png", await page.screenshot())
    await page.locator("#events-summary").click()
    card = page.locator(f"#events-board [data-event={WALK}]")
    await card.wait_for(timeout=5000)
    text = await card.inner_text()
    assert "จัดโดย พิพิธภัณฑ์มีชีวิต" in text and "+30" in text
    first = await card.locator(".event-countdown").inner_text()
    await page.wait_for_function(
        f"document.querySelector('#events-board [data-event-live={WALK}]').textContent"
        f" !== {first!r}",
        timeout=15_000,
    )
    ics = await card.locator(f"[data-key='event-ics:{WALK}']").get_attribute("href")
    assert ics == f"/events/{WALK}.ics"
    board_text = "#events-board p, #events-board h4, #events-board span, #events-summary"
    for item in await sizes(page, board_text):
        assert item["font"] >= 16, item
    for item in await sizes(page, "#events-board button, #events-board a, #events-summary"):
        assert item["h"] >= 44, item
    save_shot("events-phone-now.png", await page.screenshot())

    # the window closes: the card and the quiz point go, without a reload
    await page.clock.set_system_time(ENDS + 1)
    await chip.wait_for(state="hidden", timeout=15_000)
    assert await page.evaluate(visible) is False


async def test_coming_up_in_list_mode_then_its_quiz_points_appear(
    server: Server, open_at: Open
) -> None:
    page = await open_at(f"{server.url}/?mode=list", PHONE, STARTS - 2 * 3600)
    await wait_welcomed(page)
    section = page.locator("#events")
    card = section.locator(f"[data-event={WALK}]")
    await card.wait_for(timeout=10_000)
    assert "เร็ว ๆ นี้" in await section.inner_text()
    assert (await card.locator(".event-countdown").inner_text()).startswith("เริ่มในอีก 1:59:")
    assert await page.locator(f"[data-quiz={QUIZ}]").count() == 0
    for item in await sizes(page, "#events p, #events h4, #events span"):
        assert item["font"] >= 16, item
    for item in await sizes(page, "#events button, #events a"):
        assert item["h"] >= 44, item
    await section.scroll_into_view_if_needed()
    await page.evaluate("document.getElementById('events').scrollIntoView()")
    save_shot("events-list-soon.png", await page.screenshot())

    await page.clock.set_system_time(STARTS + 5)
    await page.locator(f"[data-quiz={QUIZ}]").wait_for(timeout=15_000)
    assert "กำลังจัดอยู่" in await section.inner_text()
    assert (await card.locator(".event-countdown").inner_text()).startswith("เหลือเวลา 2:59:")


async def test_the_event_card_on_the_desktop(server: Server, open_at: Open) -> None:
    page = await open_at(f"{server.url}/?quality=low", DESKTOP, STARTS + 600)
    await wait_first_frame(page)
    await page.locator("#events-summary").click()
    await page.locator(f"#events-board [data-event={WALK}]").wait_for(timeout=5000)
    save_shot("events-desktop-now.png", await page.screenshot())
