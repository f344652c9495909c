"""The recovery code in the browser: a visitor with tokens shows their code and QR on a phone,
a fresh desktop is refused a mistyped code clearly, then takes the right one (typed loosely)
and has the same tokens after the reload."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from playwright.async_api import Page

from server.keys import STORE
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    NewPage,
    Server,
    axe_violations,
    save_shot,
    wait_welcomed,
)
from tests.browser.ui import tap_targets

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def checked(page: Page, name: str) -> None:
    """Screenshot, then the section's own accessibility, tap targets and text sizes."""
    await page.locator(".recovery").scroll_into_view_if_needed()
    save_shot(name, await page.screenshot())
    assert await axe_violations(page) == []
    small = [s for s in (await tap_targets(page))["small"] if "recovery" in str(s)]
    assert small == [], small
    sizes = await page.eval_on_selector_all(
        ".recovery *",
        "(els) => els.filter((e) => e.innerText?.trim() && e.offsetWidth)"
        ".map((e) => parseFloat(getComputedStyle(e).fontSize))",
    )
    assert sizes and min(sizes) >= 16, sizes
    assert "null" not in await page.locator(".recovery").inner_text()


async def test_show_the_code_then_restore_it_on_another_device(
    new_page: NewPage, server: Server
) -> None:
    visitor_id, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    store = server.app[STORE]
    await store.register_visitor(visitor_id, secret, time.time())
    await store.transfer(
        Transfer("gift-r", CITY_POOL, visitor_account(visitor_id), 37, "gift", time.time())
    )
    phone = await new_page(f"{server.url}/?mode=list", PHONE)
    identity = {
        "visitor_id": visitor_id,
        "visitor_secret": secret,
        "name": "น้องดาว",
        "look": [0, 1, 2],
    }
    await phone.evaluate("(v) => localStorage.setItem('srichan.visitor', v)", json.dumps(identity))
    await phone.reload()
    await wait_welcomed(phone)
    await phone.get_by_role("button", name="แสดงรหัสกู้คืน").click()
    groups = phone.locator(".recovery .code-groups span")
    await groups.first.wait_for()
    code = "-".join(await groups.all_inner_texts())
    assert len(code.replace("-", "")) == 79
    qr = phone.locator(".recovery img.qr")
    await qr.wait_for()
    assert await qr.evaluate("(img) => img.complete && img.naturalWidth > 100")
    await checked(phone, "recovery-phone-code.png")

    desk = await new_page(f"{server.url}/?mode=list", DESKTOP)
    await wait_welcomed(desk)
    fresh_id = await desk.evaluate("JSON.parse(localStorage.getItem('srichan.visitor')).visitor_id")
    assert fresh_id != visitor_id
    await desk.get_by_role("button", name="มีรหัสกู้คืน · I have a recovery code").click()
    box = desk.get_by_label("พิมพ์รหัสกู้คืน (79 ตัว เว้นวรรคได้)")
    flip = "B" if code[5] != "B" else "C"
    await box.fill(code[:5] + flip + code[6:])
    await desk.get_by_role("button", name="กู้คืน", exact=True).click()
    message = desk.locator(".recovery-message.bad")
    await message.wait_for()
    assert (await message.inner_text()).startswith("รหัสกู้คืนไม่ถูกต้อง")
    await checked(desk, "recovery-desktop-mistyped.png")
    assert (
        await desk.evaluate("JSON.parse(localStorage.getItem('srichan.visitor')).visitor_id")
        == fresh_id
    )

    await box.fill(" ".join(code.lower().split("-")))
    async with desk.expect_navigation():
        await desk.get_by_role("button", name="กู้คืน", exact=True).click()
    await wait_welcomed(desk)
    stored = await desk.evaluate("JSON.parse(localStorage.getItem('srichan.visitor'))")
    assert (stored["visitor_id"], stored["visitor_secret"]) == (visitor_id, secret)
    await desk.wait_for_function(
        "document.querySelector('#wallet .balance-value')?.textContent === '37'"
    )
    save_shot("recovery-desktop-restored.png", await desk.screenshot())
