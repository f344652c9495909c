"""The console's coupon figures count visitors, not coupons: one visitor's coupons, bought over
the socket and checked at the counter by the owner, are one person's day and stay hidden; the
same number from five visitors is shown. The real app, the Python client and the owner's and
the analyst's HTTP, as their browsers send it (SQLite; the counters' store contract, Redis
included, is tests/server/store/test_contract_usage.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.keys import IDENTITIES, LEARNING
from server.ws.client import PresenceClient
from srichan_world.protocol.messages import CouponIssued, Redeem
from srichan_world.world.figures import day_of
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from tests.server.booth_fixtures import T0, BoothSite
from tests.server.console_fixtures import call, console_site
from tests.world.booth_fixtures import DAY, config, promotion

SECRET = "figures-Secret_0123456789abcdef"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with console_site(tmp_path) as s:
        now = time.time()
        plenty = promotion(coupons=20, valid_from=now - DAY, valid_to=now + DAY)
        await s.store.save_booth_draft("B01", "auntie-daeng", config(plenty), T0)
        await s.store.publish_booth("B01", "auntie-daeng", T0)
        await s.service.refresh()
        yield s


async def buyer(site: BoothSite, n: int) -> PresenceClient:
    """Visitor ``n`` at B01's counter with 200 tokens (spawns alternate B01 and B02: a
    nameless session takes the B02 one)."""
    vid = f"buyer-{n:04d}"
    await site.store.register_visitor(vid, SECRET, T0)
    gift = Transfer(f"gift-{vid}", CITY_POOL, visitor_account(vid), 200, "gift", T0)
    await site.store.transfer(gift)
    url = f"ws://127.0.0.1:{site.client.port}/ws"
    while True:
        client = await PresenceClient.connect(url)
        welcome = await client.hello(f"ผู้ซื้อ{n}", (1, 2, 3), visitor_id=vid, visitor_secret=SECRET)
        if welcome.x == 100.0:
            return client
        await client.close()


async def buy_and_use(site: BoothSite, client: PresenceClient, coupons: int) -> None:
    for _ in range(coupons):
        issued = await client.request(Redeem("B01", "free0tea"))
        assert isinstance(issued, CouponIssued), issued
        path = "/owner/api/booths/B01/coupons/verify"
        status, body = await site.call("POST", path, "owner", {"code": issued.coupon.code})
        assert status == 200, body


async def economy(site: BoothSite) -> dict[str, Any]:
    await site.app[LEARNING].write_usage()
    status, body = await call(site, "GET", "/api/admin/figures/economy", site.actors["analyst"])
    assert status == 200, body
    return dict(body)


async def test_one_visitors_coupons_are_hidden_five_visitors_are_shown(site: BoothSite) -> None:
    today = day_of(time.time())
    lone = await buyer(site, 1)
    await buy_and_use(site, lone, 5)
    await lone.close()
    alone = await economy(site)
    assert alone["days"][-1] == {"day": today, "earned": None, "redeemed": None}, (
        "5 coupons, one visitor: counting coupons showed 150"
    )
    assert alone["booths"] == [
        {"slot": "B01", "coupons_issued": None, "tokens_redeemed": None, "coupons_used": None}
    ], "5 coupons bought and used by one visitor"
    for n in range(2, 6):
        other = await buyer(site, n)
        await buy_and_use(site, other, 1)
        await other.close()
    five = await economy(site)
    assert five["days"][-1] == {"day": today, "earned": None, "redeemed": 9 * 30}
    assert five["booths"] == [
        {"slot": "B01", "coupons_issued": 9, "tokens_redeemed": 270, "coupons_used": 9}
    ]
    assert "buyer-" not in str(five)


async def test_the_abuse_signals_show_bursts_of_many_visitors_only(site: BoothSite) -> None:
    """The console's abuse signals over HTTP: one visitor's coupons are no burst (hidden);
    five visitors' are (coupons over the hour, the busiest minute); the busiest address's new
    identities show as a number with no address; no session, no signals."""
    path = "/api/admin/figures/signals"
    assert (await call(site, "GET", path, site.actors["nobody"]))[0] == 401
    lone = await buyer(site, 1)
    await buy_and_use(site, lone, 5)
    await lone.close()
    identities = site.app[IDENTITIES]
    for _ in range(6):
        assert identities.take("203.0.113.9", time.time()) is None
    status, alone = await call(site, "GET", path, site.actors["analyst"])
    assert status == 200, alone
    b01 = next(b for b in alone["booths"] if b["slot"] == "B01")
    assert b01 == {"slot": "B01", "coupons": None, "busiest_minute": None}
    assert alone["busiest_new_identities"] == 6
    for n in range(2, 6):
        other = await buyer(site, n)
        await buy_and_use(site, other, 1)
        await other.close()
    _, five = await call(site, "GET", path, site.actors["analyst"])
    b01 = next(b for b in five["booths"] if b["slot"] == "B01")
    assert b01["coupons"] == 9 and 3 <= b01["busiest_minute"] <= 9, "9 coupons, 3 minutes at most"
    assert {b["slot"] for b in five["booths"]} == {"B01", "B02", "B03"}, "the scene's slots"
    assert five["complete"] is True and len(five["processes"]) == 1
    raw = str(five)
    assert "203.0.113" not in raw and "buyer-" not in raw, "no address, no visitor"
