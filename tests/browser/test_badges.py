"""The wallet's badges in the browser: the list (phone, list mode; desktop, the 3D mode's
wallet panel), downloading the badge with its credential baked in, and the share link."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.async_api import Page

from server.keys import BADGES
from srichan_world.world.badges.baking import unbake
from srichan_world.world.badges.records import Grant
from tests.browser.conftest import PHONE, NewPage, Server, save_shot, wait_welcomed
from tests.browser.ui import tap_targets, text_sizes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

VISITOR = {
    "visitor_id": "badge-holder-0001",
    "visitor_secret": "badge-secret-0123456789-abcdefXYZ",
    "name": "ผู้มาเยือน ๑๒๓๔",
    "look": [0, 1, 2],
}


async def as_holder(new_page: NewPage, server: Server, path: str, device: dict | None) -> Page:
    """A page entered as the visitor who holds the badges."""
    page = await new_page(f"{server.url}{path}", device)
    await page.evaluate("(v) => localStorage.setItem('srichan.visitor', v)", json.dumps(VISITOR))
    await page.reload()
    await wait_welcomed(page)
    return page


async def test_the_wallet_lists_badges_to_download_and_share(
    new_page: NewPage, server: Server, tmp_path: Path
) -> None:
    issuer = server.app[BADGES]
    vid = VISITOR["visitor_id"]
    now = time.time()
    first = await issuer.issue(Grant(vid, "quest-heritage-walk", "quest", now - 60))
    second = await issuer.issue(Grant(vid, "quest-learning-city-101", "quest", now))

    page = await as_holder(new_page, server, "/?mode=list", PHONE)
    cards = page.locator("#wallet .badge")
    await cards.first.wait_for()
    assert await cards.count() == 2
    assert await page.locator("#badges-title").inner_text() == "เหรียญตรา"
    newest = cards.nth(0)
    assert await newest.get_attribute("data-badge") == second.credential_id
    assert await newest.locator("h4").inner_text() == "เมืองแห่งการเรียนรู้ 101"
    assert "ได้รับเมื่อ" in await newest.inner_text()
    await page.locator("#wallet-title").scroll_into_view_if_needed()
    await newest.scroll_into_view_if_needed()
    save_shot("badges-phone-list.png", await page.screenshot())
    ours = (".button", ".share", ".verify-link")
    small = [s for s in (await tap_targets(page))["small"] if s["what"].endswith(ours)]
    assert small == [], small
    tiny = [s for s in (await text_sizes(page))["small"] if "badge" in str(s)]
    assert tiny == [], tiny

    # The image download is the badge with this credential baked in.
    async with page.expect_download() as info:
        await newest.get_by_role("link", name="ดาวน์โหลดภาพเหรียญ").click()
    saved = tmp_path / "badge.svg"
    await (await info.value).save_as(saved)
    assert unbake(saved.read_text(encoding="utf-8")) == second.token
    async with page.expect_download() as info:
        await cards.nth(1).get_by_role("link", name="ดาวน์โหลดเอกสารรับรอง").click()
    saved = tmp_path / "badge.jwt"
    await (await info.value).save_as(saved)
    assert saved.read_text() == first.token

    # The share link is the public verification page.
    href = await newest.locator("a.verify-link").get_attribute("href")
    assert href == f"{server.url}/badges/verify/{second.credential_id}"
    check = await page.context.new_page()
    await check.goto(href)
    assert await check.locator("[data-state=valid] h1").inner_text() == "✓ เหรียญตรานี้ถูกต้อง"
    save_shot("badges-verify-page-phone.png", await check.screenshot(full_page=True))

    # Desktop, 3D mode: the same badges in the wallet panel.
    desktop = await as_holder(new_page, server, "/", None)
    await desktop.locator("button[data-panel=wallet]").click()
    await desktop.locator("dialog .badge").first.wait_for()
    assert await desktop.locator("dialog .badge").count() == 2
    save_shot("badges-desktop-panel.png", await desktop.screenshot())
