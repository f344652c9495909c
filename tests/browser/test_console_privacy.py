"""The console's data-protection section in real chromium, in Thai, on a phone and a desktop:
an admin finds a visitor by id, sees what is kept, downloads it, and erases it after typing the
id again; the ledger audit stays OK. axe-core finds nothing serious."""

from __future__ import annotations

import json
import time

import pytest

from server.keys import STORE
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    NewPage,
    Server,
    axe_violations,
    save_shot,
)
from tests.browser.test_console import operator_link

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SECRET = "s3cret-Token_0123456789abcdef"


@pytest.mark.parametrize("device", ["phone", "desktop"])
async def test_an_admin_exports_and_erases_a_visitor(
    server: Server, new_page: NewPage, device: str
) -> None:
    store = server.app[STORE]
    visitor = f"khun-kham-{device}"
    await store.register_visitor(visitor, SECRET, time.time())
    await store.set_nickname(visitor, "ป้าคำ ศรีจันทร์")
    gift = Transfer(f"gift-{visitor}", CITY_POOL, visitor_account(visitor), 40, "gift", time.time())
    await store.transfer(gift)
    page = await new_page(
        await operator_link(server, f"boss-{device}", "admin"),
        (PHONE if device == "phone" else DESKTOP) | {"bypass_csp": True},
    )
    nav = page.get_by_role("navigation")
    await nav.get_by_role("link", name="ข้อมูลส่วนบุคคล Data protection").click()
    section = page.locator("#privacy")
    await section.get_by_text("365 วัน").wait_for()
    await section.get_by_label("รหัสผู้มาเยือน").fill(visitor)
    await section.get_by_role("button", name="ค้นหาและส่งออก").click()
    found = section.locator(".privacy-found")
    await found.get_by_text(visitor).wait_for()
    async with page.expect_download() as caught:
        await found.get_by_role("button", name="ดาวน์โหลด JSON").click()
    saved = await (await caught.value).path()
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert doc["identity"]["nickname"] == "ป้าคำ ศรีจันทร์" and doc["ledger"]["balance"] == 40
    await found.get_by_role("button", name="ลบข้อมูลนี้").click()
    await found.get_by_label("พิมพ์รหัสผู้มาเยือนอีกครั้งเพื่อยืนยัน").fill(visitor)
    save_shot(f"console-privacy-{device}.png", await page.screenshot(full_page=True))
    assert await axe_violations(page) == []
    await found.get_by_role("button", name="ลบข้อมูลทั้งหมดถาวร").click()
    await found.get_by_text("ลบแล้ว").wait_for()
    assert (await store.audit()).ok
    assert not (await store.personal_records(visitor))["identity"]
    await section.get_by_role("button", name="ค้นหาและส่งออก").click()
    await section.get_by_text("ไม่พบข้อมูลของผู้มาเยือนรายนี้").wait_for()
