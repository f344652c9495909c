"""End to end: an owner's edit over HTTP reaches visitors' WebSockets; redeeming over the socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.ws.client import PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import BoothState, CouponIssued, Redeem
from srichan_world.world.ledger import shop_account
from tests.server.booth_fixtures import VISITOR_SECRET, BoothSite, booth_site

NEW_NAME = "ร้านป้าแดง สาขาศรีจันทร์"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with booth_site(tmp_path) as s:
        yield s


async def visitor(site: BoothSite, name: str, *, with_identity: bool = True) -> PresenceClient:
    """Spawn points are used in turn: the first visitor stands at B01, the second at B02."""
    client = await PresenceClient.connect(f"ws://127.0.0.1:{site.client.port}/ws")
    identity = (
        {"visitor_id": "visitor-0001", "visitor_secret": VISITOR_SECRET} if with_identity else {}
    )
    await client.hello(name, (1, 2, 3), **identity)
    return client


def booth_named(th: str):  # type: ignore[no-untyped-def]
    return lambda m: m.slot == "B01" and m.booth is not None and m.booth["name"]["th"] == th


async def edit_and_publish(site: BoothSite, name_th: str) -> float:
    """The owner page's save: the draft, then publish. Returns when publish answered."""
    draft = (await site.call("GET", "/owner/api/booths/B01", "owner"))[1]["published"]
    draft["name"]["th"] = name_th
    draft["awning"] = "#1f618d"
    assert (await site.call("PUT", "/owner/api/booths/B01/draft", "owner", draft))[0] == 200
    status, _ = await site.call("POST", "/owner/api/booths/B01/publish", "owner")
    assert status == 200
    return time.monotonic()


async def test_an_owners_edit_reaches_visitors_who_can_see_the_booth(site: BoothSite) -> None:
    near = await visitor(site, "ใกล้")
    far = await visitor(site, "ไกล")
    try:
        first = await near.next(BoothState, 5.0, lambda m: m.slot == "B01")
        assert first.booth["name"]["th"] == "ร้านป้าแดง ชาไทย"
        published = await edit_and_publish(site, NEW_NAME)
        update = await near.next(BoothState, 5.0, booth_named(NEW_NAME))
        arrived = time.monotonic()
        assert update.version > first.version and update.booth["awning"] == "#1f618d"
        assert arrived - published < 0.5, "pushed at once, not on a later poll"
        await far.next(BoothState, 5.0, lambda m: m.slot == "B02")
        await asyncio.sleep(0.6)  # two sweeps: B01 is out of sight for the far visitor
        assert not [m for m in far.inbox if isinstance(m, BoothState) and m.slot == "B01"]
    finally:
        await near.close()
        await far.close()


async def test_a_visitor_walking_into_sight_is_caught_up(site: BoothSite) -> None:
    first = await visitor(site, "คนแรก")  # takes the spawn at B01
    far = await visitor(site, "เดินมา")
    try:
        assert far.welcome is not None and far.welcome.x == 160.0
        await far.next(BoothState, 5.0, lambda m: m.slot == "B02")
        await edit_and_publish(site, NEW_NAME)
        for x in range(156, 96, -6):  # walk from B02 to B01 at a walking pace
            await far.move(float(x), 4.0)
            await asyncio.sleep(0.8)
            if any(isinstance(m, BoothState) and m.slot == "B01" for m in far.inbox):
                break
        caught = await far.next(BoothState, 2.0, booth_named(NEW_NAME))
        assert caught.version == site.service.state("B01").version  # type: ignore[union-attr]
    finally:
        await first.close()
        await far.close()


async def test_redeeming_over_the_socket_issues_a_coupon_the_owner_can_check(
    site: BoothSite,
) -> None:
    near = await visitor(site, "ผู้แลก")
    try:
        reply = await near.request(Redeem("B01", "free0tea"))
        assert isinstance(reply, CouponIssued)
        assert reply.balance == 470 and reply.coupon.slot == "B01"
        assert reply.coupon.title.th == "ชาไทยฟรี 1 แก้ว"
        assert await site.store.balance(shop_account("auntie-daeng")) == 30
        stock = await near.next(BoothState, 5.0, lambda m: m.slot == "B01" and m.version > 2)
        assert stock.booth["promotions"][0]["left"] == 2
        status, checked = await site.call(
            "POST", "/owner/api/booths/B01/coupons/verify", "owner", {"code": reply.coupon.code}
        )
        assert status == 200 and checked["ok"]
        metrics = await (await site.client.get("/metrics")).text()
        assert 'srichan_redemptions_total{slot="B01"} 1.0' in metrics
        assert 'srichan_redemption_peak_per_minute{slot="B01"} 1.0' in metrics
        assert 'srichan_redemption_peak_per_minute{slot="B02"} 0.0' in metrics
    finally:
        await near.close()


async def test_redeeming_out_of_reach_or_without_identity_is_refused(site: BoothSite) -> None:
    anonymous = await visitor(site, "ไม่มีชื่อ", with_identity=False)
    far = await visitor(site, "ไกล", with_identity=True)
    try:
        with pytest.raises(ServerError) as caught:
            await anonymous.request(Redeem("B01", "free0tea"))
        assert caught.value.error.code == ErrorCode.NO_IDENTITY
        with pytest.raises(ServerError) as caught:
            await far.request(Redeem("B01", "free0tea"))
        assert caught.value.error.code == ErrorCode.BOOTH_TOO_FAR
        assert await site.store.coupons_of("visitor-0001") == ()
    finally:
        await anonymous.close()
        await far.close()


async def test_a_second_coupon_the_same_day_is_refused_when_the_owner_limits_it(
    site: BoothSite,
) -> None:
    """The owner form's per-visitor limit, over the real socket: one identity cannot take a
    shop's stock one coupon after another."""
    draft = (await site.call("GET", "/owner/api/booths/B01", "owner"))[1]["published"]
    assert draft["promotions"][0]["per_visitor"] > 1  # the fixture's; the form's default is 1
    draft["promotions"][0]["per_visitor"] = ""  # left blank: the default
    assert (await site.call("PUT", "/owner/api/booths/B01/draft", "owner", draft))[0] == 200
    assert (await site.call("POST", "/owner/api/booths/B01/publish", "owner"))[0] == 200
    near = await visitor(site, "ผู้แลก")
    try:
        shown = await near.next(
            BoothState, 5.0, lambda m: m.slot == "B01" and m.booth["promotions"][0]["per_visitor"]
        )
        assert shown.booth["promotions"][0]["per_visitor"] == 1
        assert isinstance(await near.request(Redeem("B01", "free0tea")), CouponIssued)
        with pytest.raises(ServerError) as caught:
            await near.request(Redeem("B01", "free0tea"))
        assert caught.value.error.code == ErrorCode.VISITOR_LIMIT
        assert len(await site.store.coupons_of("visitor-0001")) == 1
    finally:
        await near.close()
