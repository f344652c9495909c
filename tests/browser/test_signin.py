"""Sign-in in the browser against a real OpenID Connect provider (oidc-provider on 127.0.0.1):
a phone signs in with "LINE" from the wallet (the identity is linked), a desktop signs in with
the same account and gets that identity back (its own one kept aside), a visitor who is not
signed in is offered sign-in at a promotion for signed-in visitors, the desktop redeems it."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Page

from server.app import create_app
from server.config import Settings
from server.connection_gate import listen
from server.keys import STORE
from server.runner import gate_of
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from srichan_world.world.owners import link_hash
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    RESUME_WINDOW_S,
    NewPage,
    Server,
    axe_violations,
    save_shot,
    wait_welcomed,
)
from tests.browser.test_booths import BOOTH, owner_publishes
from tests.signin.conftest import free_port, start_provider, stop_provider, write_signin_config

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture(loop_scope="session")
async def server(compiled_scene: Path, tmp_path: Path) -> AsyncIterator[Server]:
    provider_port = free_port()
    settings = Settings(
        port=0,
        scene_dir=compiled_scene,
        store=f"sqlite:///{tmp_path}/test.db",
        resume_window_s=RESUME_WINDOW_S,
        signin_config=write_signin_config(tmp_path, f"http://127.0.0.1:{provider_port}"),
        # these visitors' tokens are gifts, not learning: the pending rule for new identities
        # has its own tests (test_pending.py), so it is off here by its documented settings
        unlock_quizzes=0,
        unlock_minutes=0,
    )
    app = create_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    listener = await listen(runner, "127.0.0.1", 0, gate_of(app, settings))
    served = Server(runner, app, listener.sockets[0].getsockname()[1])
    provider = await start_provider(provider_port, [f"{served.url}/api/signin/callback"])
    try:
        yield served
    finally:
        await stop_provider(provider)
        listener.close()
        await runner.cleanup()


async def entered(page: Page) -> None:
    """Welcomed, and the identity entered (its wallet came): a new identity's proof of work is
    answered first, and sign-in and gifts need the identity the server knows."""
    await wait_welcomed(page)
    await page.wait_for_function("srichan.state.balance !== null", timeout=40_000)


async def sign_in_at_provider(page: Page, account: str) -> None:
    """From the wallet's button through the provider's login and consent, back on the street."""
    await page.get_by_role("button", name="เข้าสู่ระบบด้วย LINE · Sign in with LINE").click()
    await page.locator("input[name=login]").fill(account)
    await page.locator("input[name=password]").fill("any")
    await page.locator("button[type=submit]").click()
    await page.locator("button", has_text="Continue").click()
    await page.wait_for_url("**/?mode=list*", timeout=20_000)
    await entered(page)


async def identity(page: Page) -> str:
    return str(
        await page.evaluate("JSON.parse(localStorage.getItem('srichan.visitor')).visitor_id")
    )


async def to_business_hub(page: Page) -> None:
    await page.evaluate(
        "import('/static/protocol.js').then(({ MsgType }) =>"
        " srichan.conn.request(MsgType.TRAVEL, { landmark: 'business-hub' }))"
    )


async def test_sign_in_link_restore_and_redeem(server: Server, new_page: NewPage) -> None:
    phone = await new_page(f"{server.url}/?mode=list", PHONE)
    await entered(phone)
    mine = await identity(phone)
    await server.app[STORE].transfer(
        Transfer("gift-s", CITY_POOL, visitor_account(mine), 40, "gift", time.time())
    )
    await phone.reload()
    await entered(phone)
    section = phone.locator(".signin")
    await section.scroll_into_view_if_needed()
    save_shot("signin-phone-offer.png", await phone.screenshot())
    await sign_in_at_provider(phone, "somchai")
    assert await identity(phone) == mine
    await phone.locator("[data-key=signin-state]").wait_for()
    assert "เชื่อมกับบัญชี LINE แล้ว" in await section.inner_text()
    await section.scroll_into_view_if_needed()
    save_shot("signin-phone-linked.png", await phone.screenshot())
    assert await axe_violations(phone) == []

    now = int(time.time())
    promo = {
        "title": {"th": "ชาไทยฟรีสำหรับสมาชิก", "en": "Free Thai tea for members"},
        "cost": 5,
        "coupons": 10,
        "valid_from": now - 60,
        "valid_to": now + 86400,
        "requires_sign_in": True,
    }
    await owner_publishes(server, "B02", BOOTH | {"promotions": [promo]})

    # someone not signed in is offered sign-in, and nothing is spent
    other = await new_page(f"{server.url}/?mode=list", PHONE)
    await entered(other)
    await server.app[STORE].transfer(
        Transfer(
            "gift-o", CITY_POOL, visitor_account(await identity(other)), 40, "gift", time.time()
        )
    )
    await other.reload()
    await entered(other)
    await to_business_hub(other)
    button = other.locator("#booths li.booth[data-slot=B02] button.redeem")
    await button.wait_for(timeout=10_000)
    assert "เฉพาะผู้เข้าสู่ระบบ" in await other.locator("#booths li.booth[data-slot=B02]").inner_text()
    await button.click()
    dialog = other.locator("#confirm-dialog")
    await dialog.get_by_text("โปรโมชันนี้สำหรับผู้ที่เข้าสู่ระบบแล้ว").wait_for()
    save_shot("signin-phone-required.png", await other.screenshot())
    await dialog.locator("[data-key=confirm-cancel]").click()
    assert await server.app[STORE].coupons_of(await identity(other)) == ()

    # a desktop signs in with the same account: the phone's identity comes back
    desk = await new_page(f"{server.url}/?mode=list", DESKTOP)
    await entered(desk)
    own = await identity(desk)
    assert own != mine
    await desk.locator(".signin").scroll_into_view_if_needed()
    save_shot("signin-desktop-offer.png", await desk.screenshot())
    await sign_in_at_provider(desk, "somchai")
    assert await identity(desk) == mine
    await desk.wait_for_function("srichan.state.balance === 40", timeout=10_000)
    kept = desk.locator(f"[data-key='switch-back:{own}']")
    await kept.wait_for()  # the desktop's own identity is kept, one tap away
    await desk.locator(".signin").scroll_into_view_if_needed()
    save_shot("signin-desktop-restored.png", await desk.screenshot())
    assert await axe_violations(desk) == []

    await to_business_hub(desk)
    redeem = desk.locator("#booths li.booth[data-slot=B02] button.redeem")
    await redeem.wait_for(timeout=10_000)
    await redeem.click()
    await desk.locator("#confirm-dialog [data-key=confirm-ok]").click()
    await desk.wait_for_function("srichan.state.balance === 35", timeout=10_000)
    coupons = await server.app[STORE].coupons_of(mine)
    assert [c.promotion_id for c in coupons] and coupons[0].cost == 5


async def test_owner_form_offers_signed_in_only(server: Server, new_page: NewPage) -> None:
    """The owner's promotion form shows the "signed-in visitors only" checkbox when the street
    has sign-in providers, on a phone and a desktop, and it is saved."""
    now = int(time.time())
    promo = {
        "title": {"th": "ส่วนลดสมาชิก", "en": "Members' discount"},
        "cost": 5,
        "coupons": 10,
        "valid_from": now - 60,
        "valid_to": now + 86400,
    }
    await owner_publishes(server, "B03", BOOTH | {"promotions": [promo]})
    for device, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        token = secrets.token_urlsafe(32)
        await server.app[STORE].issue_sign_in("mae-duang", link_hash(token), now + 3600, now)
        page = await new_page(f"{server.url}/owner/login#{token}", device | {"bypass_csp": True})
        box = page.locator("#promotions [data-field=requires_sign_in]").first
        await box.wait_for(timeout=10_000)
        await box.scroll_into_view_if_needed()
        await page.evaluate("window.scrollBy(0, 120)")
        save_shot(f"signin-owner-{name}.png", await page.screenshot())
        assert await axe_violations(page) == []
    await box.check()
    await page.locator("#booth-form button[type=submit]").first.click()
    for _ in range(50):
        booth = await server.app[STORE].booth("B03")
        if booth and booth.draft and booth.draft.promotions[0].requires_sign_in:
            break
        await asyncio.sleep(0.1)
    assert booth is not None and booth.draft is not None
    assert booth.draft.promotions[0].requires_sign_in is True


async def test_a_cancelled_sign_in_says_so_and_changes_nothing(
    server: Server, new_page: NewPage
) -> None:
    phone = await new_page(f"{server.url}/?mode=list", PHONE)
    await entered(phone)
    before = await identity(phone)
    await phone.get_by_role("button", name="เข้าสู่ระบบด้วย LINE · Sign in with LINE").click()
    await phone.get_by_role("link", name="[ Cancel ]").click()  # at the provider
    await phone.wait_for_url("**/?mode=list*", timeout=20_000)
    await entered(phone)
    message = phone.locator(".signin-message")
    await message.get_by_text("เข้าสู่ระบบไม่สำเร็จ กรุณาลองใหม่อีกครั้ง").wait_for()
    assert "signin=" not in phone.url  # the address bar is clean again
    assert await identity(phone) == before
    assert await server.app[STORE].account_link(before) is None
    await phone.locator(".signin").scroll_into_view_if_needed()
    save_shot("signin-phone-cancelled.png", await phone.screenshot())
