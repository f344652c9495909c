"""The owner page's input, attacked: unbounded numbers, huge texts, stalled bodies, oracles.

Every answer to a bad form is a 422 naming the field (never a 500); a body that stalls gets a
408; sign-in limits follow the client a trusted proxy names; the coupon-check limiter keeps a
limited shop limited however many others come by.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import server.services.booths as booth_service
from srichan_world.errors import Refused
from srichan_world.world.owners import link_hash
from tests.server.booth_fixtures import BoothSite, booth_site
from tests.server.test_owner_http import form

DRAFT = "/owner/api/booths/B01/draft"
HUGE = "9" * 5000


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with booth_site(
        tmp_path,
        body_timeout_s=1.0,
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
    ) as s:
        yield s


def promotion(**changes: Any) -> dict[str, Any]:
    first: dict[str, Any] = form()["promotions"][0]
    return first | changes


def product(**changes: Any) -> dict[str, Any]:
    first: dict[str, Any] = form()["products"][0]
    return first | changes


async def put_raw(site: BoothSite, body: bytes) -> tuple[int, Any]:
    return await site.call(
        "PUT", DRAFT, "owner", data=body, headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"products": [product(price="1e30")]}, "products[0].price"),
        ({"products": [product(price=1e30)]}, "products[0].price"),
        ({"products": [product(price=HUGE)]}, "products[0].price"),
        ({"products": [product(price=int(HUGE[:4000]))]}, "products[0].price"),
        ({"products": [product(price="1" * 16 + ".5")]}, "products[0].price"),
        ({"promotions": [promotion(cost=HUGE)]}, "promotions[0].cost"),
        ({"promotions": [promotion(coupons=" " + HUGE)]}, "promotions[0].coupons"),
        ({"promotions": [promotion(valid_from=HUGE)]}, "promotions[0].valid_from"),
        ({"promotions": [promotion(valid_to="๑" * 3000)]}, "promotions[0].valid_to"),
        ({"promotions": [promotion(per_visitor=HUGE)]}, "promotions[0].per_visitor"),
        ({"promotions": [promotion(daily_stock="1e30")]}, "promotions[0].daily_stock"),
        ({"name": {"th": "ก" * 8_000, "en": "x"}}, "name.th"),
    ],
)
async def test_unbounded_fields_are_a_422_naming_the_field(
    site: BoothSite, changes: dict[str, Any], field: str
) -> None:
    status, body = await site.call("PUT", DRAFT, "owner", form(**changes))
    assert status == 422, body
    assert body["error"] == "bad_booth"
    assert field in {e["path"] for e in body["errors"]}


@pytest.mark.parametrize("key", ["cost", "valid_from"])
async def test_a_5000_digit_json_number_is_a_422_naming_the_field(
    site: BoothSite, key: str
) -> None:
    """Python's JSON parser itself refuses integers past 4,300 digits; the body is still read
    and the field still named."""
    marker = 1234567
    text = form(promotions=[promotion(**{key: marker})])
    raw = _dumps(text).replace(str(marker).encode(), HUGE.encode())
    status, body = await put_raw(site, raw)
    assert status == 422
    assert f"promotions[0].{key}" in {e["path"] for e in body["errors"]}


NASTY: list[Any] = [None, True, -1, 1.5, float("inf"), "", "x" * 70_000, [], {}, [HUGE], {"a": 1}]


@pytest.mark.parametrize("value", NASTY, ids=lambda v: type(v).__name__ + str(len(str(v))))
async def test_no_value_anywhere_in_the_form_is_a_server_error(site: BoothSite, value: Any) -> None:
    shapes = [
        form(name=value),
        form(name={"th": value, "en": value}),
        form(awning=value),
        form(products=value),
        form(products=[value]),
        form(products=[product(name=value, price=value, photo=value)]),
        form(promotions=value),
        form(promotions=[promotion(id=value, title=value, cost=value, coupons=value)]),
        form(promotions=[promotion(valid_from=value, valid_to=value)]),
        form(promotions=[promotion(per_visitor=value, daily_stock=value)]),
    ]
    for shape in shapes:
        status, body = await site.call("PUT", DRAFT, "owner", shape)
        assert status in (200, 400, 422, 429), (status, body)
        if status == 429:  # the edit limit: wait a little and carry on
            await asyncio.sleep(2.0)


async def test_a_stalled_body_is_a_408_that_closes_the_connection(site: BoothSite) -> None:
    headers = site.actors["owner"].headers(site.origin)
    reader, writer = await asyncio.open_connection("127.0.0.1", site.client.port)
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        (
            f"PUT {DRAFT} HTTP/1.1\r\nHost: 127.0.0.1:{site.client.port}\r\n{lines}"
            'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"name": '
        ).encode()
    )
    started = time.monotonic()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5.0)
    waited = time.monotonic() - started
    assert head.startswith(b"HTTP/1.1 408") and b"Connection: close" in head
    assert 0.9 <= waited <= 1.0 + 1.5
    writer.close()


async def test_sign_in_limits_follow_the_client_a_trusted_proxy_names(site: BoothSite) -> None:
    async def attempt(client: str) -> int:
        status, _ = await site.call(
            "POST",
            "/owner/api/login",
            "nobody",
            {"token": "n" * 40},
            headers={"X-Forwarded-For": client},
        )
        return status

    statuses = [await attempt("198.51.100.1") for _ in range(12)]
    assert statuses[0] == 401 and statuses[-1] == 429
    assert await attempt("198.51.100.2") == 401  # another client behind the same proxy


async def test_the_session_cookie_is_secure_behind_a_tls_proxy(site: BoothSite) -> None:
    token = "proxied-link-" + "p" * 32
    await site.store.issue_sign_in("auntie-daeng", link_hash(token), time.time() + 60, 0)
    async with site.client.post(
        "/owner/api/login",
        json={"token": token},
        headers={"Origin": site.origin, "X-Forwarded-Proto": "https"},
    ) as response:
        assert response.status == 200
        assert "Secure" in response.headers["Set-Cookie"]


async def test_a_limited_shop_stays_limited_when_the_table_is_full(
    site: BoothSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bucket table forgets the least recently used entry, never all of them: a shop
    hammering coupon checks stays refused however many other keys come and go."""
    monkeypatch.setattr(booth_service, "_BUCKETS_MAX", 4)
    service = site.service
    now = 1000.0
    refusals = 0
    for _ in range(12):
        try:
            service._allow("verify", "hammer", now)
        except Refused:
            refusals += 1
    assert refusals == 2  # the burst of 10 is spent
    for i in range(20):
        service._allow("verify", f"passer-by-{i}", now)
        with pytest.raises(Refused):
            service._allow("verify", "hammer", now)  # still refused, and recently used


def _dumps(value: Any) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False).encode()
