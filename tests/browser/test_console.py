"""The city's console and the visitor's safety tools in real chromium, phone and desktop, Thai.

A moderator signs in with a link, finds a report with its context and mutes the visitor; an
admin reads the audit log; an analyst sees only the figures (tests/browser/test_figures.py).
A visitor mutes, blocks and reports another avatar from the chat, and is told why when a
moderator mutes them.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import aiohttp
import pytest
from playwright.async_api import Page

from server.keys import MODERATION, PUMP, STORE
from server.ws.client import PresenceClient
from srichan_world.protocol.codes import ReportReason, ReportTarget
from srichan_world.protocol.messages import Chat
from srichan_world.world.moderation import ReportRecord, Sanction
from srichan_world.world.owners import link_hash
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    NewPage,
    Server,
    axe_violations,
    save_shot,
    wait_first_frame,
    wait_welcomed,
)
from tests.browser.test_booths import BOOTH, owner_publishes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

ABUSE = "ไอ้คนนี้น่ารำคาญจริง ๆ"


async def operator_link(server: Server, operator_id: str, role: str) -> str:
    store = server.app[STORE]
    now = time.time()
    await store.add_operator(operator_id, f"คุณ{operator_id}", role, now)
    token = secrets.token_urlsafe(32)
    await store.issue_operator_link(operator_id, link_hash(token), now + 3600, now)
    return f"{server.url}/admin/login#{token}"


async def file_report(server: Server) -> None:
    context = (
        {"ago_s": 40, "avatar_id": 7, "visitor_id": "visitor-abc", "name": "ต้น", "text": ABUSE},
        {"ago_s": 30, "avatar_id": 8, "visitor_id": "visitor-def", "name": "แพร", "text": "หยุดนะ"},
    )
    report = ReportRecord(
        ReportTarget.CHAT,
        ReportReason.HARASSMENT,
        "visitor-def",
        time.time() - 30,
        avatar_id=7,
        visitor_id="visitor-abc",
        name="ต้น",
        said=ABUSE,
        note="พูดแบบนี้หลายครั้งแล้ว",
        context=context,
    )
    await server.app[STORE].file_report(report)


@pytest.mark.parametrize("device", ["phone", "desktop"])
async def test_a_moderator_mutes_from_the_queue(
    server: Server, new_page: NewPage, device: str
) -> None:
    await file_report(server)
    url = await operator_link(server, "noi", "moderator")
    page = await new_page(url, (PHONE if device == "phone" else DESKTOP) | {"bypass_csp": True})
    card = page.locator(".report").first
    await card.get_by_text(ABUSE).first.wait_for()
    assert page.url.endswith("/admin"), "the link's secret leaves the address bar"
    nav = page.get_by_role("navigation")
    assert await nav.get_by_role("link").all_inner_texts() == [
        "รายงานรอตรวจ Moderation queue",
        "สานเสวนา Dialogue",
    ]
    await card.locator("summary").click()  # the chat nearby
    await card.get_by_text("หยุดนะ").wait_for()
    save_shot(f"console-queue-{device}.png", await page.screenshot(full_page=True))
    assert await axe_violations(page) == []

    await card.get_by_role("button", name="ปิดแชท").click()
    await card.get_by_text("ดำเนินการแล้ว").wait_for()
    (mute,) = await server.app[STORE].sanctions()
    assert (mute.action, mute.target, mute.actor) == ("mute", "visitor-abc", "operator:noi")
    assert mute.until is not None and 590 < mute.until - mute.at <= 600
    assert await server.app[STORE].reports() == (), "acting closed the report"

    await owner_publishes(server, "B02", BOOTH)
    booth = page.locator("#booth")
    await booth.get_by_label("รหัสซุ้ม").fill("b02")
    await booth.get_by_role("button", name="ซ่อนซุ้ม").click()
    await booth.get_by_text("B02: ซ่อนซุ้มแล้ว").wait_for()
    assert (await server.app[STORE].booth("B02")).hidden
    await booth.get_by_role("button", name="แสดงซุ้มอีกครั้ง").click()
    await booth.get_by_text("B02: แสดงซุ้มแล้ว").wait_for()
    assert not (await server.app[STORE].booth("B02")).hidden
    await booth.get_by_label("รหัสซุ้ม").fill("Z99")
    await booth.get_by_role("button", name="ซ่อนซุ้ม").click()
    await booth.get_by_text("ไม่พบซุ้มนี้").wait_for()


async def test_an_admin_reads_the_audit_log_and_an_analyst_sees_only_the_figures(
    server: Server, new_page: NewPage
) -> None:
    await server.app[STORE].note_action("operator:noi", "mute", None, "visitor-abc", time.time())
    page = await new_page(
        await operator_link(server, "boss", "admin"), DESKTOP | {"bypass_csp": True}
    )
    links = page.get_by_role("navigation").get_by_role("link")
    await links.first.wait_for()
    assert await links.all_inner_texts() == [
        "รายงานรอตรวจ Moderation queue",
        "ร้านค้า Shops",
        "บันทึกการทำงาน Audit log",
        "ตัวเลขการใช้งาน Figures",
        "สานเสวนา Dialogue",
        "กิจกรรม Events",
        "ข้อมูลส่วนบุคคล Data protection",
    ]
    await links.nth(2).click()
    row = page.locator("#audit-rows tr", has_text="operator:noi")
    await row.wait_for()
    assert "visitor-abc" in await row.inner_text()
    save_shot("console-audit-desktop.png", await page.screenshot(full_page=True))
    assert await axe_violations(page) == []

    analyst = await new_page(
        await operator_link(server, "nid", "analyst"), PHONE | {"bypass_csp": True}
    )
    await analyst.locator("#figures").wait_for()
    nav = analyst.get_by_role("navigation").get_by_role("link")
    assert await nav.all_inner_texts() == ["ตัวเลขการใช้งาน Figures"]
    assert (
        await analyst.locator("#queue").is_hidden() and await analyst.locator("#audit").is_hidden()
    )


async def test_a_used_link_says_so_in_thai_and_english(server: Server, new_page: NewPage) -> None:
    url = await operator_link(server, "noi", "moderator")
    first = await new_page(url, PHONE)
    await first.locator("#nav").wait_for()
    again = await new_page(url, PHONE)
    await again.get_by_text("ลิงก์เข้าสู่ระบบนี้ใช้ไม่ได้").wait_for()
    await again.get_by_text("ยังไม่ได้เข้าสู่ระบบ").wait_for()


async def chat_line(page: Page, text: str):  # type: ignore[no-untyped-def]
    line = page.locator(".chat-log p", has_text=text)
    await line.wait_for()
    return line


@pytest.mark.parametrize("device", ["phone", "desktop"])
async def test_a_visitor_mutes_blocks_and_reports_and_is_told_why_when_muted(
    server: Server, new_page: NewPage, device: str
) -> None:
    page = await new_page(f"{server.url}/?mode=list", PHONE if device == "phone" else DESKTOP)
    await wait_welcomed(page)
    other = await PresenceClient.connect(server.url.replace("http", "ws") + "/ws")
    await other.hello("ต้น", (1, 2, 3), visitor_id="visitor-ton-0001", visitor_secret="s" * 40)
    try:
        await other.request(Chat(ABUSE))
        line = await chat_line(page, ABUSE)
        await line.get_by_role("button", name="ตัวเลือกสำหรับ ต้น").click()
        dialog = page.locator("#safety-dialog")
        await dialog.get_by_role("heading", name="ต้น").wait_for()
        await dialog.get_by_text("ก่อกวนหรือคุกคาม").click()
        await dialog.get_by_label("รายละเอียดเพิ่มเติม (ไม่บังคับ)").fill("พูดไม่สุภาพ")
        save_shot(f"visitor-report-{device}.png", await page.screenshot())
        assert await axe_violations(page) == []
        await dialog.get_by_role("button", name="ส่งรายงาน").click()
        await dialog.get_by_text("ขอบคุณ ผู้ดูแลจะตรวจสอบรายงานนี้").wait_for()
        (report,) = await server.app[STORE].reports()
        assert (report.said, report.visitor_id, report.reason) == (
            ABUSE,
            "visitor-ton-0001",
            ReportReason.HARASSMENT,
        )
        assert report.note == "พูดไม่สุภาพ" and ABUSE in [c["text"] for c in report.context]

        # mute: their next line never shows, at once and after a reload
        await dialog.get_by_role("button", name="ปิดเสียงแชทของคนนี้").click()
        await asyncio.sleep(1.1)  # chat's rate limit
        await other.request(Chat("ข้อความที่ไม่ควรเห็น"))
        await other.request(Chat("ยังพูดอยู่"))
        await asyncio.sleep(0.5)
        assert await page.locator(".chat-log", has_text="ยังพูดอยู่").count() == 0
        stored = await page.evaluate("localStorage.getItem('srichan.safety')")
        assert "ต้น" in stored

        # a moderator mutes this visitor: told why, in Thai and English
        visitor_id = next(
            s.hello.visitor_id
            for s in server.app[PUMP].world.sessions.values()
            if s.hello is not None and s.hello.name != "ต้น"
        )
        assert visitor_id
        mute = Sanction.checked(
            "mute", visitor_id, ReportReason.SPAM, "operator:noi", time.time(), 15
        )
        await server.app[MODERATION].act(mute)
        notice = page.get_by_role("alertdialog")
        await notice.get_by_text("ผู้ดูแลปิดการแชทของคุณชั่วคราว: ส่งข้อความซ้ำหรือโฆษณา").wait_for()
        await notice.get_by_text("The moderators muted your chat: spam or advertising").wait_for()
        await notice.get_by_text("อีกประมาณ 15 นาที").wait_for()
        save_shot(f"visitor-notice-{device}.png", await page.screenshot())
        assert await axe_violations(page) == []
        await notice.get_by_role("button", name="รับทราบ").click()

        # their chat is refused, and they are told so
        await page.locator("#list-chat-input").fill("ขอพูดหน่อย")
        await page.locator("#list-chat-input").press("Enter")
        await page.locator("#live", has_text="ผู้ดูแลปิดการแชทของคุณชั่วคราว").wait_for(state="attached")

        # a kick: told why, and the page does not reconnect by itself
        kick = Sanction.checked("kick", visitor_id, ReportReason.SPAM, "operator:noi", time.time())
        await server.app[MODERATION].act(kick)
        await notice.get_by_text("ผู้ดูแลนำคุณออกจากถนน: ส่งข้อความซ้ำหรือโฆษณา").wait_for()
        await page.wait_for_function("srichan.conn.state === 'refused'")
        await asyncio.sleep(1.5)
        assert await page.evaluate("srichan.conn.state") == "refused"
    finally:
        await other.close()


async def test_a_visitor_reports_a_booth(server: Server, new_page: NewPage) -> None:
    page = await new_page(f"{server.url}/?mode=list", PHONE)
    await wait_welcomed(page)
    await page.evaluate(
        """async () => {
          const { MsgType } = await import('/static/protocol.js');
          return srichan.conn.request(MsgType.TRAVEL, { landmark: 'business-hub' });
        }"""
    )
    await owner_publishes(server, "B02", BOOTH)
    item = page.locator("#booths li.booth[data-slot=B02]")
    await item.get_by_role("button", name="รายงานซุ้มนี้: ร้านข้าวเหนียวแม่ดวง").click()
    dialog = page.locator("#safety-dialog")
    await dialog.get_by_role("heading", name="รายงานซุ้มนี้ต่อผู้ดูแล").wait_for()
    assert await dialog.get_by_role("button", name="ปิดเสียงแชทของคนนี้").count() == 0
    await dialog.get_by_text("หลอกลวง").click()
    await dialog.get_by_role("button", name="ส่งรายงาน").click()
    await dialog.get_by_text("ขอบคุณ ผู้ดูแลจะตรวจสอบรายงานนี้").wait_for()
    (report,) = await server.app[STORE].reports()
    assert (report.target, report.slot, report.reason) == (
        ReportTarget.BOOTH,
        "B02",
        ReportReason.SCAM,
    )


async def test_the_3d_chat_offers_the_same_options(server: Server, new_page: NewPage) -> None:
    page = await new_page(server.url, PHONE)
    await wait_welcomed(page)
    await wait_first_frame(page)
    other = await PresenceClient.connect(server.url.replace("http", "ws") + "/ws")
    await other.hello("ต้น", (1, 2, 3), visitor_id="visitor-ton-0002", visitor_secret="t" * 40)
    try:
        await other.request(Chat(ABUSE))
        await page.locator("#chat-toggle").click()
        line = await chat_line(page, ABUSE)
        await line.get_by_role("button", name="ตัวเลือกสำหรับ ต้น").click()
        dialog = page.locator("#safety-dialog")
        await dialog.get_by_role("button", name="บล็อก (ซ่อนแชทและตัวละคร)").wait_for()
        save_shot("visitor-options-3d-phone.png", await page.screenshot())
        await dialog.get_by_role("button", name="บล็อก (ซ่อนแชทและตัวละคร)").click()
        await page.wait_for_function(
            "JSON.parse(localStorage.getItem('srichan.safety')).blocked.includes('ต้น')"
        )
    finally:
        await other.close()


async def test_an_admin_adds_and_cancels_an_event_from_the_console(
    new_page: NewPage, server: Server
) -> None:
    """The events section: an event added in the form is in force on the street at once (the
    calendar the server serves), a bad one is refused field by field, and cancel cancels."""
    url = await operator_link(server, "events-boss", "admin")
    page = await new_page(url, PHONE | {"bypass_csp": True})
    await page.get_by_role("navigation").get_by_role("link", name="กิจกรรม Events").click()
    form = page.locator("form.events-form")
    await form.wait_for()
    await page.locator("li[data-event=living-museum-walk-2027-03]").wait_for()  # the scene's
    for label, value in (
        ("#ev-id", "living-museum-walk-2028-01"),
        ("#ev-title-th", "เดินชมพิพิธภัณฑ์มีชีวิต รอบปีใหม่"),
        ("#ev-title-en", "Living Museum walk, new year"),
        ("#ev-desc-th", "ชุมชนพาเดินชมเงินตราโบราณ"),
        ("#ev-desc-en", "The community shows old money"),
        ("#ev-host-th", "พิพิธภัณฑ์มีชีวิต"),
        ("#ev-host-en", "The Living Museum"),
        ("#ev-starts", "2028-01-08T09:00"),
        ("#ev-ends", "2028-01-08T08:00"),  # ends before it starts: refused
        ("#ev-landmark", "treasury-museum"),
        ("#ev-quiz", "q-ev-living"),
    ):
        await form.locator(label).fill(value)
    await form.get_by_role("button", name="บันทึก").click()
    await form.locator(".problems li").first.wait_for()
    assert "ends" in await form.locator(".problems").inner_text()
    await form.locator("#ev-ends").fill("2028-01-08T12:00")
    await form.get_by_role("button", name="บันทึก").click()
    item = page.locator("li[data-event=living-museum-walk-2028-01]")
    await item.wait_for()
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/events.ics") as r:
        assert "UID:living-museum-walk-2028-01@" in await r.text()
    save_shot("console-events-phone.png", await page.screenshot(full_page=True))
    assert await axe_violations(page) == []
    await item.get_by_role("button", name="ยกเลิกกิจกรรม").click()
    await item.get_by_text("ยกเลิกแล้ว").wait_for()
    actions = await server.app[STORE].owner_actions(limit=100)
    assert {"event_put", "event_cancel"} <= {a.action for a in actions}
