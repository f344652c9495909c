"""The figures in real chromium, phone and desktop, Thai: an analyst reads the console's
figures of known counters (small groups show as "—", a table downloads as CSV, the monthly PDF
opens); a shop owner reads their booth's figures on /owner."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from server.keys import BURSTS, IDENTITIES, SCENE, STORE
from server.ws.client import PresenceClient
from srichan_world.world import figures, inclusion
from srichan_world.world.figures import Usage, day_of
from tests.browser.conftest import DESKTOP, PHONE, NewPage, Server, axe_violations, save_shot
from tests.browser.test_booths import owner_page
from tests.browser.test_console import operator_link

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


async def seed(server: Server) -> tuple[str, str, str]:
    """The street's first quiz: 12 opens by 10 visitors, 10 answered, 6 right first, 14
    attempts for 8 solvers; 6 visitors paid 90 tokens, 5 bought 5 coupons at B01; q-gate-2
    (no longer in the street): 3 answered (suppressed); the first quest (renamed "walk"
    below): 20 then 15 visitors. Returns the quiz, its landmark and the quest."""
    manifest = server.app[SCENE].current.manifest
    quiz, quest = manifest.quiz_points[0], manifest.quests[0]
    usage = (
        [Usage(figures.QUIZ_OPEN, "q-gate-1")] * 12
        + [Usage(figures.QUIZ_FIRST, "q-gate-1", "right")] * 6
        + [Usage(figures.QUIZ_FIRST, "q-gate-1", "wrong")] * 4
        + [Usage(figures.QUIZ_SOLVED, "q-gate-1", "", 2)] * 6
        + [Usage(figures.QUIZ_SOLVED, "q-gate-1", "", 1)] * 2
        + [Usage(figures.QUIZ_FIRST, "q-gate-2", "right")] * 3
        + [Usage(figures.QUEST_STEP, "walk", "1")] * 20
        + [Usage(figures.QUEST_STEP, "walk", "2")] * 15
        + [Usage(figures.TOKENS_EARNED, "", "", 15)] * 6
        + [Usage(figures.COUPON_ISSUED, "B01", "p1", 30)] * 5
    )
    # the people behind them, as the street counts them (each visitor once a day per group)
    usage += (
        [Usage(figures.OPENERS, "q-gate-1")] * 10
        + [Usage(figures.EARNERS, "")] * 6
        + [Usage(figures.BUYERS, "")] * 5
        + [Usage(figures.BUYERS, "B01")] * 5
    )
    settings = {
        "list_mode": 6,
        "larger_text": 3,
        "narration": 5,
        "lang:th": 15,
        "lang:en": 8,
        "device:phone": 12,
        "device:tablet": 2,
        "device:desktop": 6,
    }
    usage += [Usage(inclusion.VISITORS, "")] * 20
    for key, n in settings.items():
        setting, _, value = key.partition(":")
        usage += [Usage(inclusion.SETTING, setting, value or "on")] * n
    known = {"q-gate-1": quiz.id, "walk": quest.id}
    usage = [replace(u, subject=known.get(u.subject, u.subject)) for u in usage]
    await server.app[STORE].count_usage(day_of(time.time()), usage)
    return quiz.id, quiz.landmark, f"{quest.title.th} · {quest.title.en}"


@pytest.mark.parametrize("device", ["phone", "desktop"])
async def test_an_analyst_reads_the_learning_figures(
    server: Server, new_page: NewPage, device: str
) -> None:
    quiz, landmark, walk = await seed(server)
    crowd = [
        await PresenceClient.connect(server.url.replace("http", "ws") + "/ws") for _ in range(6)
    ]
    for n, client in enumerate(crowd):
        await client.hello(f"ผู้มา{n}")
    url = await operator_link(server, f"nid-{device}", "analyst")
    page = await new_page(url, (PHONE if device == "phone" else DESKTOP) | {"bypass_csp": True})
    gate = page.locator("#quiz-rows tr", has_text=quiz)
    await gate.wait_for()
    assert (await gate.inner_text()).split("\t") == [
        landmark,
        quiz,
        "12",
        "10",
        "60%",
        "40%",
        "1.75",
    ]
    small = await page.locator("#quiz-rows tr", has_text="q-gate-2").inner_text()
    assert small.split("\t")[2:] == ["—"] * 5, "a group under five is not shown"
    funnel = [r.split("\t") for r in await page.locator("#funnel-rows tr").all_inner_texts()]
    quest = funnel[0][0]
    assert funnel == [[quest, walk, "1", "20", "—"], [quest, walk, "2", "15", "25%"]]
    booth = (await page.locator("#booth-money-rows tr").inner_text()).split("\t")
    assert booth == ["B01", "5", "150", "—"], "4 coupons used would be too few to show"
    today = (await page.locator("#money-rows tr").last.inner_text()).split("\t")
    assert today[1:] == ["90", "150"]
    sums = [r.split("\t")[1] for r in await page.locator("#money-totals tr").all_inner_texts()]
    assert sums == ["90", "150", "-60", "5", "0", "0"], "nobody holds a token on this street"
    shares = (await page.locator("#inclusion-rows tr").nth(-2).inner_text()).split("\t")
    assert shares == [today[0], "20", "30%", "—", "25%", "75%", "40%", "60%", "—", "—"], (
        "larger text (3) and tablets (2) hidden, and desktops too: else 20 - 12 - 6 = 2"
    )
    everything = (await page.locator("#inclusion-rows tr").last.inner_text()).split("\t")
    assert everything[1:] == shares[1:], "the range is this one day"
    await page.locator("#now-rows tr").get_by_text(":").wait_for()
    now_row = (await page.locator("#now-rows tr").inner_text()).split("\t")
    assert now_row[1] == "6" and await page.locator("#now-count").inner_text() == "6"
    drawn = await page.evaluate("Object.keys(window.Chart.instances).length")
    assert drawn == 5, "every chart is drawn by the charting library"
    async with page.expect_download() as caught:
        await page.locator("#inclusion-csv").click()
    lines = Path(await (await caught.value).path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("วันที่ · Day,ผู้เยี่ยมชม · Visitors,โหมดรายการ · List mode")
    assert lines[-2] == f"{today[0]},20,30%,—,25%,75%,40%,60%,—,—"
    for card, name in (("#inclusion-title", "inclusion"), ("#now-title", "now")):
        await page.evaluate(
            f"document.querySelector('{card}').scrollIntoView(); window.scrollBy(0, -24)"
        )
        save_shot(f"console-{name}-{device}.png", await page.screenshot())

    async with page.expect_download() as caught:
        await page.get_by_role("button", name="ดาวน์โหลด CSV").first.click()
    download = await caught.value
    text = Path(await download.path()).read_text(encoding="utf-8-sig")
    assert f"{landmark},{quiz},12,10,60%,40%,1.75" in text.splitlines()
    assert "คำถาม · Quiz" in text.splitlines()[0]

    await page.get_by_label("เดือน").fill("2026-05")
    pdf_link = page.get_by_role("link", name="ดาวน์โหลด PDF")
    assert await pdf_link.get_attribute("href") == "/api/admin/figures/report.pdf?month=2026-05"
    reply = await page.request.get(f"{server.url}/api/admin/figures/report.pdf?month=2026-05")
    assert reply.ok and (await reply.body())[:5] == b"%PDF-", "the console's cookie opens it"

    await page.get_by_label("ตั้งแต่วันที่").fill("2026-01-10")
    await page.get_by_label("ถึงวันที่").fill("2026-01-09")
    await page.get_by_role("button", name="แสดง").click()
    await page.get_by_text("วันที่สิ้นสุดต้องไม่ก่อนวันที่เริ่ม").wait_for()
    save_shot(f"console-figures-{device}.png", await page.screenshot(full_page=True))
    assert await axe_violations(page) == []
    for client in crowd:
        await client.close()


async def test_an_owner_sees_visitors_near_and_coupons_per_promotion(
    server: Server, new_page: NewPage
) -> None:
    today = day_of(time.time())
    usage = [Usage(figures.BOOTH_NEAR, "B05")] * 7 + [Usage(figures.BOOTH_NEAR, "B06")] * 3
    usage += [Usage(figures.COUPON_ISSUED, "B05", "khao-niao", 20)] * 2
    await server.app[STORE].count_usage(today, usage)
    page = await owner_page(server, new_page, "B05")
    row = page.locator("#booth-figures-table tbody tr", has_text=today)
    await row.wait_for()
    assert (await row.inner_text()).split("\t") == [today, "7", "2"]
    head = await page.locator("#booth-figures-table thead").inner_text()
    assert "khao-niao" in head
    drawn = await page.evaluate("Object.keys(window.Chart.instances).length")
    assert drawn == 2
    await page.locator("#booth-figures").scroll_into_view_if_needed()
    save_shot("owner-figures-phone.png", await page.screenshot(full_page=True))
    assert await axe_violations(page) == []


@pytest.mark.parametrize("device", ["phone", "desktop"])
async def test_an_analyst_reads_the_abuse_signals(
    server: Server, new_page: NewPage, device: str
) -> None:
    """The economy section's abuse signals: a farm's burst at one booth (40 identities, 40
    coupons in 20 s) shows; one visitor's six coupons at another do not; the busiest address's
    new identities show as a number, with no address anywhere on the page."""
    now = time.time()
    identities = server.app[IDENTITIES]
    for _ in range(8):
        assert identities.take("203.0.113.9", now) is None
    bursts = server.app[BURSTS]
    farmed, quiet, *_ = bursts.slots
    for n in range(40):
        bursts.record(farmed, now - 20 + n * 0.5, f"farm-{n:04d}")
    for _ in range(6):
        bursts.record(quiet, now, "visitor-0001")
    url = await operator_link(server, f"sig-{device}", "analyst")
    page = await new_page(url, (PHONE if device == "phone" else DESKTOP) | {"bypass_csp": True})
    burst = page.locator("#signals-rows tr", has_text=farmed)
    await burst.wait_for()
    coupons, peak = (await burst.inner_text()).split("\t")[1:]
    assert coupons == "40" and 20 <= int(peak) <= 40, "40 coupons in 20 s: one or two minutes"
    lone = (await page.locator("#signals-rows tr", has_text=quiet).inner_text()).split("\t")
    assert lone[1:] == ["—", "—"], "one visitor's six coupons are no burst"
    assert await page.locator("#signals-identities").inner_text() == "8"
    body = await page.locator("body").inner_text()
    assert "203.0.113" not in body and "farm-" not in body and "visitor-0001" not in body
    async with page.expect_download() as caught:
        await page.locator("#signals-csv").click()
    lines = Path(await (await caught.value).path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(",", 1) == [
        "ซุ้ม · Booth",
        '"คูปองในชั่วโมงล่าสุด · Coupons, last hour",มากที่สุดในหนึ่งนาที · Busiest minute',
    ], "Thai first; a comma in a heading is quoted"
    assert f"{farmed},40,{peak}" in lines and f"{quiet},—,—" in lines
    assert lines[-1].endswith(",8,"), "the busiest address's count, no address"
    await page.evaluate(
        "document.querySelector('#signals-title').scrollIntoView(); window.scrollBy(0, -24)"
    )
    save_shot(f"console-signals-{device}.png", await page.screenshot())
    assert await axe_violations(page) == []
