"""A signed-in owner's page, attacked: 500s from unbounded numbers, and a coupon oracle."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.abuse.conftest import OWNER_LINK, Street

HUGE = "9" * 5000


class Owner:
    def __init__(self, session: aiohttp.ClientSession, origin: str, csrf: str) -> None:
        self.session, self.origin, self.csrf = session, origin, csrf

    async def call(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        headers = {
            "Origin": self.origin,
            "X-CSRF-Token": self.csrf,
            "Content-Type": "application/json",
        }
        async with self.session.request(
            method, self.origin + path, data=body, headers=headers
        ) as response:
            return response.status, await response.json()


@pytest.fixture
async def owner(street: Street) -> AsyncIterator[Owner]:
    jar = aiohttp.CookieJar(unsafe=True)  # the session cookie, on an IP address
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.post(
            street.http + "/owner/api/login",
            json={"token": OWNER_LINK},
            headers={"Origin": street.http},
        ) as response:
            assert response.status == 200, await response.text()
            csrf = (await response.json())["csrf"]
        yield Owner(session, street.http, csrf)


def booth_form(price: str = '"45"', cost: str = "20", valid_from: str | None = None) -> bytes:
    now = int(time.time())
    start = valid_from if valid_from is not None else str(now - 60)
    return (
        '{"name": {"th": "ร้านป้าแดง", "en": "Auntie Daeng"}, "awning": "#2e86c1",'
        f' "products": [{{"name": {{"th": "ชาเย็น", "en": ""}}, "price": {price}}}],'
        f' "promotions": [{{"title": {{"th": "ลด 10 บาท", "en": ""}}, "cost": {cost},'
        f' "coupons": 10, "valid_from": {start}, "valid_to": {now + 86_400}}}]}}'
    ).encode()


ATTACKS = {
    "price 1e30": (booth_form(price='"1e30"'), "products[0].price"),
    "price 4000 digits": (booth_form(price=HUGE[:4000]), "products[0].price"),
    "cost 5000-digit text": (booth_form(cost=f'"{HUGE}"'), "promotions[0].cost"),
    "cost 5000-digit number": (booth_form(cost=HUGE), "promotions[0].cost"),
    "valid_from 5000-digit text": (booth_form(valid_from=f'"{HUGE}"'), "promotions[0].valid_from"),
    "valid_from 5000-digit number": (booth_form(valid_from=HUGE), "promotions[0].valid_from"),
}


async def test_owner_form_numbers_that_were_500s_are_422s_naming_the_field(
    street: Street, owner: Owner
) -> None:
    """Measured on main: HTTP 500 and a traceback in the log for each."""
    for name, (form, field) in ATTACKS.items():
        status, body = await owner.call("PUT", "/owner/api/booths/B01/draft", form)
        assert status == 422, (name, body)
        assert field in {e["path"] for e in body["errors"]}, name
    status, _ = await owner.call("PUT", "/owner/api/booths/B01/draft", booth_form())
    assert status == 200  # the honest form still saves
    assert "Traceback" not in street.log()


async def test_the_coupon_check_tells_no_one_which_codes_exist(
    street: Street, owner: Owner
) -> None:
    """Measured on main: another shop's code answered "coupon_other_shop", an unknown one
    "coupon_unknown": an existence oracle for every shop's codes."""
    verify = "/owner/api/booths/B01/coupons/verify"
    theirs = await owner.call("POST", verify, json.dumps({"code": street.other_coupon}).encode())
    made_up = await owner.call("POST", verify, json.dumps({"code": "ZZZZ-2222"}).encode())
    assert theirs == made_up
    assert theirs[0] == 409 and theirs[1]["error"] == "coupon_unknown"
