"""A shop owner publishes a booth; a visitor standing near it sees it change live."""

from __future__ import annotations

import secrets
import time

import aiohttp
import pytest

from server.keys import STORE
from srichan_world.world.owners import link_hash
from tests.browser.conftest import (
    PHONE,
    NewPage,
    Server,
    axe_violations,
    save_shot,
    wait_welcomed,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

BOOTH = {
    "name": {"th": "ร้านข้าวเหนียวแม่ดวง", "en": "Mae Duang Sticky Rice"},
    "description": {"th": "ข้าวเหนียวมะม่วงสูตรขอนแก่น", "en": "Khon Kaen mango sticky rice"},
    "awning": "#2e7d32",
    "products": [{"name": {"th": "ข้าวเหนียวมะม่วง", "en": "Mango sticky rice"}, "price": "45"}],
    "promotions": [],
}


async def owner_publishes(server: Server, slot: str, booth: dict) -> None:
    """Through the owner HTTP API, as the owner page does: sign in, save the draft, publish."""
    now = time.time()
    await server.app[STORE].grant_slot(slot, "mae-duang", "ร้านแม่ดวง", now)
    token = secrets.token_urlsafe(32)
    await server.app[STORE].issue_sign_in("mae-duang", link_hash(token), now + 3600, now)
    origin = {"Origin": server.url}
    jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address (127.0.0.1)
    async with aiohttp.ClientSession(base_url=server.url, cookie_jar=jar) as http:
        async with http.post("/owner/api/login", json={"token": token}, headers=origin) as r:
            assert r.status == 200, await r.text()
            csrf = (await r.json())["csrf"]
        headers = origin | {"X-CSRF-Token": csrf}
        async with http.put(f"/owner/api/booths/{slot}/draft", json=booth, headers=headers) as r:
            assert r.status == 200, await r.text()
        async with http.post(f"/owner/api/booths/{slot}/publish", headers=headers) as r:
            assert r.status == 200, await r.text()


async def test_owner_edit_appears_live(server: Server, new_page: NewPage) -> None:
    page = await new_page(f"{server.url}/?mode=list", PHONE)
    await wait_welcomed(page)
    # Visitors start at the City Gate; a jump takes this one to the Business Hub's booths.
    travelled = await page.evaluate(
        """async () => {
          const { MsgType } = await import('/static/protocol.js');
          return srichan.conn.request(MsgType.TRAVEL, { landmark: 'business-hub' });
        }"""
    )
    assert travelled["x"] > 500
    await owner_publishes(server, "B02", BOOTH)
    item = page.locator("#booths li.booth[data-slot=B02]")
    await item.wait_for(timeout=10_000)
    assert "ร้านข้าวเหนียวแม่ดวง" in await item.locator("h3").inner_text()
    assert "45" in await item.locator(".products").inner_text()
    # An edit (a new description) arrives too, without a reload.
    await owner_publishes(server, "B02", BOOTH | {"description": {"th": "เปิดแล้ว", "en": "Open"}})
    await item.locator(".sign").filter(has_text="เปิดแล้ว").wait_for(timeout=10_000)
    await item.scroll_into_view_if_needed()
    save_shot("booth-list-phone.png", await page.screenshot())


async def test_axe_owner_page(server: Server, new_page: NewPage) -> None:
    """The owner page, signed in through a one-time link on a phone: no serious or critical
    accessibility violations."""
    now = time.time()
    await server.app[STORE].grant_slot("B05", "axe-shop", "ร้านทดสอบ", now)
    token = secrets.token_urlsafe(32)
    await server.app[STORE].issue_sign_in("axe-shop", link_hash(token), now + 3600, now)
    # The owner page's strict CSP forbids injected scripts; the checker needs an exemption.
    page = await new_page(f"{server.url}/owner/login#{token}", PHONE | {"bypass_csp": True})
    await page.locator("input").first.wait_for(timeout=10_000)
    assert await axe_violations(page) == []
