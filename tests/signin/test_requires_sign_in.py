"""A promotion that requires sign-in, end to end: the owner sets it on the booth form, a
visitor whose identity is not linked to an account is refused over the real socket (Thai
first), and the same visitor once linked gets the coupon."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.http.replies import THAI
from server.ws.client import PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import BoothState, CouponIssued, Redeem
from srichan_world.world.signin.links import AccountLink
from tests.server.booth_fixtures import VISITOR_SECRET, BoothSite, booth_site


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with booth_site(tmp_path) as s:
        yield s


async def require_sign_in(site: BoothSite, value: object) -> int:
    draft = (await site.call("GET", "/owner/api/booths/B01", "owner"))[1]["published"]
    draft["promotions"][0]["requires_sign_in"] = value
    status, body = await site.call("PUT", "/owner/api/booths/B01/draft", "owner", draft)
    if status != 200:
        assert "promotions[0].requires_sign_in" in str(body)
        return status
    return (await site.call("POST", "/owner/api/booths/B01/publish", "owner"))[0]


async def test_only_a_signed_in_visitor_takes_the_coupon(site: BoothSite) -> None:
    assert await require_sign_in(site, "yes") == 422  # the form says which field
    assert await require_sign_in(site, True) == 200
    draft = (await site.call("GET", "/owner/api/booths/B01", "owner"))[1]
    assert draft["published"]["promotions"][0]["requires_sign_in"] is True
    client = await PresenceClient.connect(f"ws://127.0.0.1:{site.client.port}/ws")
    try:
        await client.hello(
            "ผู้แลก", (1, 2, 3), visitor_id="visitor-0001", visitor_secret=VISITOR_SECRET
        )
        shown = await client.next(BoothState, 5.0, lambda m: m.slot == "B01")
        assert shown.booth["promotions"][0]["requires_sign_in"] is True  # the browser can tell
        with pytest.raises(ServerError) as caught:
            await client.request(Redeem("B01", "free0tea"))
        assert caught.value.error.code == ErrorCode.SIGN_IN_REQUIRED
        assert await site.store.coupons_of("visitor-0001") == ()
        assert THAI[ErrorCode.SIGN_IN_REQUIRED].startswith("โปรโมชันนี้สำหรับผู้ที่เข้าสู่ระบบ")

        link = AccountLink("https://access.line.me", "U1", "visitor-0001", "line", "sealed", 0.0)
        await site.store.link_account(link)
        assert isinstance(await client.request(Redeem("B01", "free0tea")), CouponIssued)
    finally:
        await client.close()
