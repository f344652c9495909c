"""The monthly report over HTTP as an analyst (the printable page and the PDF, checked for real
(the PDF rendered with pdftoppm, its text read back with pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.keys import STORE
from server.store import Store
from srichan_world.world import figures
from srichan_world.world.figures import Usage
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from tests.server.booth_fixtures import BoothSite
from tests.server.console_fixtures import call, console_site

MAY = "2026-05-20"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with console_site(tmp_path) as s:
        usage = (
            [Usage(figures.QUIZ_OPEN, "q-gate-1")] * 37
            + people(figures.QUIZ_OPEN, "q-gate-1", 32)
            + [Usage(figures.QUIZ_FIRST, "q-gate-1", "right")] * 24
            + [Usage(figures.QUIZ_FIRST, "q-gate-1", "wrong")] * 8
            + [Usage(figures.QUIZ_SOLVED, "q-gate-1", "", 1)] * 24
            + [Usage(figures.QUIZ_SOLVED, "q-gate-1", "", 3)] * 6
            + [Usage(figures.QUIZ_FIRST, "q-museum-1", "right")] * 2
            + [Usage(figures.QUEST_STEP, "walk", "1")] * 40
            + [Usage(figures.QUEST_STEP, "walk", "2")] * 10
        )
        await s.app[STORE].count_usage(MAY, usage)
        await s.app[STORE].count_usage("2026-06-01", [Usage(figures.QUIZ_OPEN, "q-gate-1")] * 9)
        held = await s.app[STORE].outstanding_tokens()
        assert await seed_economy(s.app[STORE]) == held + 100
        yield s


def people(kind: str, group: str, n: int) -> list[Usage]:
    """``n`` visitors counted toward a group (as the street's ``PeopleToday`` counts them)."""
    return [Usage(figures.PEOPLE + kind, group)] * n


async def seed_economy(store: Store) -> int:
    """May's tokens and coupons with known answers: the 20th 6 payments of 15 (90) to 6
    visitors and 5 B03 coupons of 30 (150) bought by 5, all 5 used at the counter; the 21st 3
    payments of 10 and 2 B04 coupons of 20 (both too few: the day is left out, B04 shows
    dashes); the 22nd 5 payments of 8 (40) to 5 visitors; the 23rd 7 payments of 10 and 6
    B04 coupons of 20, all made by 2 visitors (13 requests, two people: the day is left out,
    and B04's 8 coupons by 4 visitor-days still show dashes). Visitors hold 100 tokens more
    than before: 70 + 55 paid, 25 spent at a shop."""
    earned, issued, used = figures.TOKENS_EARNED, figures.COUPON_ISSUED, figures.COUPON_USED
    await store.count_usage(
        MAY,
        [Usage(earned, "", "", 15)] * 6
        + people(earned, "", 6)
        + [Usage(issued, "B03", "p3", 30)] * 5
        + people(issued, "", 5)
        + people(issued, "B03", 5)
        + [Usage(used, "B03")] * 5
        + people(used, "B03", 5),
    )
    await store.count_usage(
        "2026-05-21",
        [Usage(earned, "", "", 10)] * 3
        + people(earned, "", 3)
        + [Usage(issued, "B04", "p4", 20)] * 2
        + people(issued, "", 2)
        + people(issued, "B04", 2),
    )
    await store.count_usage("2026-05-22", [Usage(earned, "", "", 8)] * 5 + people(earned, "", 5))
    await store.count_usage(
        "2026-05-23",
        [Usage(earned, "", "", 10)] * 7
        + people(earned, "", 2)
        + [Usage(issued, "B04", "p4", 20)] * 6
        + people(issued, "", 2)
        + people(issued, "B04", 2),
    )
    for n, paid in ((1, 70), (2, 55)):
        vid = f"payer-{n:04d}"
        await store.register_visitor(vid, f"secret-{n:04d}-Zk3_vq9-XbT0pLw8", 1.0)
        await store.transfer(
            Transfer(f"may-gift-{n}", CITY_POOL, visitor_account(vid), paid, "g", 1.0)
        )
    spent = Transfer(
        "may-buy", visitor_account("payer-0001"), shop_account("noodles"), 25, "b", 2.0
    )
    await store.transfer(spent)
    return await store.outstanding_tokens()


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (tools/setup.sh installs poppler-utils)")
    return path


async def test_the_pdf_renders_with_the_figures_and_thai_text(
    site: BoothSite, tmp_path: Path
) -> None:
    status, body = await call(
        site, "GET", "/api/admin/figures/report.pdf?month=2026-05", site.actors["analyst"]
    )
    assert status == 200 and body[:5] == b"%PDF-", body[:300]
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(body)
    text = subprocess.run(
        [_need("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    line = next(ln for ln in text.splitlines() if "q-gate-1" in ln).split()
    assert line[-5:] == ["37", "32", "75.0%", "25.0%", "1.4"], line

    def row(first: str) -> list[str]:
        return next(ln for ln in text.splitlines() if ln.strip().startswith(first)).split()

    assert row("2026-05-20")[-2:] == ["90", "150"]
    assert row("2026-05-22")[-2:] == ["40", "—"]
    for hidden in ("2026-05-21", "2026-05-23"):
        assert not [ln for ln in text.splitlines() if ln.strip().startswith(hidden)], (
            "a day whose figures are all hidden is left out (the 23rd: 13 requests, 2 people)"
        )
    assert row("B03")[-3:] == ["5", "150", "5"]
    assert row("B04")[-3:] == ["—", "—", "—"], "8 coupons, 4 visitor-days"
    summary = {ln.split()[-1] for ln in text.splitlines() if "(days shown)" in ln}
    assert summary == {"130", "150"}, summary
    for label, value in (
        ("Change in tokens held", "-20"),
        ("Coupons issued (booths shown)", "5"),
        ("Coupons used (booths shown)", "5"),
        ("as of today", str(await site.app[STORE].outstanding_tokens())),
    ):
        (found,) = [ln for ln in text.splitlines() if label in ln]
        assert found.split()[-1] == value, (label, found)
    assert "q-museum-1" in text, "a suppressed quiz is listed with dashes"
    # pdftotext may break a Thai line where a shaped mark sits: compare without white space
    flat = "".join(text.split())
    assert "Monthlyreport2026-05" in flat and "2026-05-01–2026-05-31" in flat
    for thai in ("ถนนศรีจันทร์แห่งการเรียนรู้", "ผู้เยี่ยมชม", "เดินเรียนรู้", "ยกระดับคุณภาพการเรียนรู้"):
        assert thai in flat, f"{thai} in the PDF's text"
    assert "Sustainabledevelopment" in flat and "visitor-" not in text
    subprocess.run(
        [_need("pdftoppm"), "-png", "-r", "80", str(pdf), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2, "the report, then the GNLC annex"
    last = subprocess.run(
        [_need("pdftotext"), "-f", str(len(pages)), str(pdf), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    assert "Economicdevelopment" in "".join(last.split()), "the annex, on the last page"
    shots = Path("test-artifacts")
    shots.mkdir(exist_ok=True)
    for i, png in enumerate(pages, 1):
        shutil.copy(png, shots / f"report-page-{i}.png")


async def test_the_printable_page_escapes_and_matches(site: BoothSite) -> None:
    status, body = await call(
        site, "GET", "/api/admin/figures/report.html?month=2026-05", site.actors["admin-op"]
    )
    page = body.decode()
    assert status == 200 and page.startswith("<!doctype html>")
    assert "<td>q-gate-1</td><td>37</td><td>32</td><td>75.0%</td>" in page
    assert "<tr><td>2026-05-20</td><td>90</td><td>150</td></tr>" in page
    assert "<tr><td>B03</td><td>5</td><td>150</td><td>5</td></tr>" in page
    assert "2026-05-23" not in page, "13 requests by 2 visitors are not shown"
    assert "องค์ประกอบหลักหกประการ" in page


@pytest.mark.parametrize("month", ["2026-13", "2026-5", "may", "2026-05-01", ""])
async def test_a_bad_month_is_refused_with_a_reason(site: BoothSite, month: str) -> None:
    status, body = await call(
        site, "GET", f"/api/admin/figures/report.pdf?month={month}", site.actors["analyst"]
    )
    assert status == 400 and body["error"] == "bad_value" and "YYYY-MM" in body["en"]


async def test_an_owner_reads_their_booths_figures_only(site: BoothSite) -> None:
    store = site.app[STORE]
    near = [Usage(figures.BOOTH_NEAR, "B01")] * 6 + [Usage(figures.BOOTH_NEAR, "B02")] * 9
    await store.count_usage(MAY, near + [Usage(figures.COUPON_ISSUED, "B01", "p1", 30)] * 2)
    path = "/owner/api/booths/B01/figures?from=2026-05-19&to=2026-05-21"
    status, body = await site.call("GET", path, "owner")
    assert status == 200, body
    assert body["days"] == ["2026-05-19", "2026-05-20", "2026-05-21"]
    assert body["near"] == [None, 6, None]
    assert body["promotions"] == [{"promotion": "p1", "coupons": [0, 2, 0]}]
    assert (await site.call("GET", path, "other"))[0] == 403, "another shop's booth"
    assert (await site.call("GET", path, "nobody"))[0] == 401
    assert (await site.call("GET", path, "analyst"))[0] == 401, "an operator is not an owner"
    bad = await site.call("GET", "/owner/api/booths/B01/figures?from=x&to=y", "owner")
    assert bad[0] == 400 and "YYYY-MM-DD" in bad[1]["en"]
