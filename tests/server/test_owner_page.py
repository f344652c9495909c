"""The owner page on a phone in Debian's chromium: sign in by link, edit, save, check coupons."""

from __future__ import annotations

import io
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Page, async_playwright, expect

from srichan_world.world.owners import link_hash
from tests.server.booth_fixtures import VISITOR_SECRET, BoothSite, booth_site
from tests.world.booth_fixtures import redemption

CHROMIUM = os.environ.get("SRICHAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no chromium at {CHROMIUM}"),
]


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with booth_site(tmp_path) as s:
        yield s


@pytest.fixture
async def phone() -> AsyncIterator[Page]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(**PHONE, locale="th-TH")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        await browser.close()
        assert errors == [], errors


async def open_link(site: BoothSite, page: Page, token: str) -> None:
    await site.store.issue_sign_in("auntie-daeng", link_hash(token), time.time() + 600, 0)
    await page.goto(f"{site.origin}/owner/login#{token}")
    await expect(page.locator("#editor")).to_be_visible()


async def test_an_owner_edits_and_publishes_from_a_phone(site: BoothSite, phone: Page) -> None:
    token = "phone-link-" + "p" * 32
    await open_link(site, phone, token)
    assert phone.url == f"{site.origin}/owner", "the secret left the address bar"
    name = phone.locator('[data-path="name.th"]')
    await expect(name).to_have_value("ร้านป้าแดง ชาไทย")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"

    await name.fill("")
    price = phone.locator('#products [data-field="price"]').first
    await price.fill("สี่สิบห้า")
    await phone.locator("#save").click()
    await expect(phone.locator(".field-error").first).to_be_visible()
    errors = await phone.locator(".field-error").all_inner_texts()
    assert any("ต้องกรอก" in e for e in errors) and any("baht" in e for e in errors), errors
    assert await name.get_attribute("aria-invalid") == "true"

    sneaky = "<b>ร้านป้าแดง</b> & ชา"
    await name.fill(sneaky)
    await price.fill("45.50")
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 140, 60)).save(out, "JPEG")
    await phone.locator('#products [data-field="photo-file"]').first.set_input_files(
        {"name": "tea.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}
    )
    photo = phone.locator("#products .photo").first
    await expect(photo).to_be_visible()
    assert (await photo.get_attribute("src") or "").startswith("/booth-images/")
    await phone.locator("#save").click()
    await expect(phone.locator("#form-status")).to_contain_text("เผยแพร่แล้ว")
    state = site.service.state("B01")
    assert state is not None and state.booth["name"]["th"] == sneaky
    assert state.booth["products"][0]["price"] == "45.50"
    assert state.booth["products"][0]["photo"].startswith("/booth-images/")
    assert await phone.locator("b").count() == 0, "typed markup never becomes markup"


async def test_an_owner_checks_a_coupon_once(site: BoothSite, phone: Page) -> None:
    coupon = (
        await site.store.redeem(
            redemption("visitor-0001", "page-key-1", now=time.time()), VISITOR_SECRET
        )
    ).coupon
    await open_link(site, phone, "coupon-link-" + "c" * 32)
    code = phone.locator("#code")
    await code.fill(f"{coupon.code[:4].lower()}-{coupon.code[4:].lower()}")
    await phone.locator("#verify-form button[type=submit]").click()
    result = phone.locator("#verify-result")
    await expect(result).to_contain_text("ใช้ได้")
    await expect(phone.locator("#redemptions tbody tr")).to_have_count(1)
    await expect(phone.locator("#redemptions tbody")).to_contain_text("ใช้แล้ว")
    await code.fill(coupon.code)
    await phone.locator("#verify-form button[type=submit]").click()
    await expect(result).to_contain_text("คูปองนี้ใช้ไปแล้ว")


async def test_a_used_link_shows_how_to_get_a_new_one(site: BoothSite, phone: Page) -> None:
    token = "once-link-" + "o" * 32
    await open_link(site, phone, token)
    context = await phone.context.browser.new_context(**PHONE)  # type: ignore[union-attr]
    other = await context.new_page()
    await other.goto(f"{site.origin}/owner/login#{token}")
    await expect(other.locator("#signed-out")).to_be_visible()
    await expect(other.locator("#status")).to_contain_text("ลิงก์เข้าสู่ระบบนี้ใช้ไม่ได้")
    await context.close()
