"""Courses in the browser: the course card in the wallet (phone, list mode; desktop, the 3D
mode's wallet panel), reading a lesson in its dialog (Thai first, English second), and the
progress the server keeps showing on the card."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Page

from server.keys import STORE
from tests.browser.conftest import (
    PHONE,
    NewPage,
    Server,
    axe_violations,
    save_shot,
    wait_welcomed,
)
from tests.browser.ui import tap_targets, text_sizes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

VISITOR = {
    "visitor_id": "course-reader-0001",
    "visitor_secret": "course-secret-0123456789-abcdefXYZ",
    "name": "นักเรียน ๑",
    "look": [1, 2, 3],
}
COURSE = "khon-kaen-studies-101"


async def as_reader(new_page: NewPage, server: Server, path: str, device: dict | None) -> Page:
    page = await new_page(f"{server.url}{path}", device)
    await page.evaluate("(v) => localStorage.setItem('srichan.visitor', v)", json.dumps(VISITOR))
    await page.reload()
    await wait_welcomed(page)
    await page.wait_for_function("window.srichan.state.courses.size > 0")
    return page


async def scroll_to(page: Page, course: str) -> None:
    """The card may be drawn again at any moment: scroll to whichever is there now."""
    await page.evaluate(
        "(id) => document.querySelector(`.course[data-course='${id}']`).scrollIntoView()", course
    )


async def test_reading_a_lesson_shows_on_the_course_card(new_page: NewPage, server: Server) -> None:
    page = await as_reader(new_page, server, "/?mode=list", PHONE)
    card = page.locator(f"#wallet .course[data-course={COURSE}]")
    await card.wait_for()
    assert await page.locator("#courses-title").inner_text() == "หลักสูตร"
    assert await card.locator("h4").inner_text() == "ขอนแก่นศึกษา ๑๐๑"
    assert "ทำแล้ว 0/7" in await card.locator(".course-count").inner_text()
    assert await card.locator(".lesson-open").count() == 1, "an ordered course: one lesson open"
    assert await card.locator(".locked").count() == 3
    await scroll_to(page, COURSE)
    save_shot("courses-phone-list.png", await page.screenshot())

    await card.locator(".lesson-open").click()
    dialog = page.locator("#lesson-dialog")
    await dialog.wait_for()
    assert await dialog.locator("h2").inner_text() == "ขอนแก่น เมืองแห่งการเรียนรู้"
    texts = await dialog.locator(".lesson-text").all_inner_texts()
    assert "14 กุมภาพันธ์ 2567" in texts[0] and "14 February 2024" in texts[1], "Thai first"
    save_shot("courses-lesson-phone.png", await page.screenshot())
    tiny = [s for s in (await text_sizes(page))["small"] if "lesson" in str(s)]
    assert tiny == [], tiny
    small = [s for s in (await tap_targets(page))["small"] if "lesson" in str(s)]
    assert small == [], small
    assert await axe_violations(page) == []

    await dialog.get_by_role("button", name="อ่านจบแล้ว").click()
    await dialog.wait_for(state="hidden")
    await page.wait_for_function(
        "document.querySelector('.course .course-count').textContent.includes('1/7')"
    )
    assert await card.locator(".course-step.done").count() == 1
    assert await card.locator(".lesson-open").count() == 2, "the next lesson opened"
    focused = await page.evaluate("document.activeElement.dataset.key")
    assert focused == f"lesson-{COURSE}-learning-city", "focus goes back to the lesson's button"
    standing = await server.app[STORE].course_progress(VISITOR["visitor_id"])
    assert standing[COURSE].lessons == frozenset({"learning-city"})
    small = [s for s in (await tap_targets(page))["small"] if "course" in str(s)]
    assert small == [], small
    tiny = [s for s in (await text_sizes(page))["small"] if "course" in str(s)]
    assert tiny == [], tiny
    await scroll_to(page, COURSE)
    save_shot("courses-phone-list-read.png", await page.screenshot())

    # The second lesson has a picture of the street, described for screen readers.
    await card.locator(".lesson-open").nth(1).click()
    await dialog.wait_for()
    picture = dialog.locator("img.lesson-image")
    await page.wait_for_function(
        "document.querySelector('#lesson-dialog img.lesson-image')?.naturalWidth > 0"
    )
    assert (await picture.get_attribute("alt") or "").startswith("แผนผังถนนศรีจันทร์เสมือน")
    save_shot("courses-lesson-image-phone.png", await page.screenshot())
    await dialog.get_by_role("button", name="ปิด").click()
    await dialog.wait_for(state="hidden")

    # Desktop, 3D mode: the same standing in the wallet panel.
    desktop = await as_reader(new_page, server, "/", None)
    await desktop.locator("button[data-panel=wallet]").click()
    panel_card = desktop.locator(f"dialog .course[data-course={COURSE}]")
    await panel_card.wait_for()
    assert "1/7" in await panel_card.locator(".course-count").inner_text()
    await scroll_to(desktop, COURSE)
    save_shot("courses-desktop-panel.png", await desktop.screenshot())
