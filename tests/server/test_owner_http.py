"""Owner and admin HTTP over a real app on 127.0.0.1: who may do what, sign-in, CSRF, limits."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from srichan_world.world.coupons import display_code
from srichan_world.world.owners import link_hash
from tests.server.booth_fixtures import VISITOR_SECRET, Actor, BoothSite, booth_site
from tests.world.booth_fixtures import redemption

SHOP = "auntie-daeng"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with booth_site(tmp_path) as s:
        yield s


def form(name_th: str = "ร้านป้าแดง ชาไทย", **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    data: dict[str, Any] = {
        "name": {"th": name_th, "en": "Auntie Daeng's Thai Tea"},
        "description": {"th": "ชาไทยสูตรขอนแก่น", "en": "Khon Kaen Thai tea"},
        "awning": "#2e86c1",
        "products": [{"name": {"th": "ชาเย็น", "en": "Iced tea"}, "price": "45", "photo": None}],
        "promotions": [
            {
                "title": {"th": "ลด 10 บาท", "en": "10 baht off"},
                "cost": 20,
                "coupons": 10,
                "valid_from": now - 60,
                "valid_to": now + 86_400,
            }
        ],
    }
    data.update(changes)
    return data


async def coupon_code(site: BoothSite, key: str = "matrix-key-1", slot: str = "B01") -> str:
    coupon = (
        await site.store.redeem(
            redemption("visitor-0001", key, slot=slot, now=time.time()), VISITOR_SECRET
        )
    ).coupon
    return coupon.code


# -- the authorization matrix -------------------------------------------------------------------

ACTORS = ["nobody", "visitor", "owner", "other", "revoked", "admin"]
ACTIONS = ["edit", "publish", "verify", "hide"]
EXPECTED = {
    # edit, publish, verify, hide
    "nobody": (401, 401, 401, 401),
    "visitor": (401, 401, 401, 401),
    "owner": (200, 200, 200, 401),
    "other": (403, 403, 403, 401),
    "revoked": (401, 401, 401, 401),
    "admin": (401, 401, 401, 200),
}


async def act(site: BoothSite, actor: str, action: str, code: str) -> tuple[int, Any]:
    if action == "edit":
        return await site.call("PUT", "/owner/api/booths/B01/draft", actor, form("แก้โดย " + actor))
    if action == "publish":
        return await site.call("POST", "/owner/api/booths/B01/publish", actor)
    if action == "verify":
        return await site.call(
            "POST", "/owner/api/booths/B01/coupons/verify", actor, {"code": code}
        )
    return await site.call("POST", "/admin/api/booths/B01/hide", actor, {"hidden": True})


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor", ACTORS)
async def test_authorization_matrix(site: BoothSite, actor: str, action: str) -> None:
    code = await coupon_code(site)
    before = await site.store.booth("B01")
    status, body = await act(site, actor, action, code)
    expected = EXPECTED[actor][ACTIONS.index(action)]
    assert status == expected, body
    after = await site.store.booth("B01")
    coupons = await site.store.coupons_of("visitor-0001")
    if expected != 200:
        assert body["en"] and body["th"], "a refusal says why, in Thai and English"
        assert after == before, "a refused request changes nothing"
        assert all(c.used_at is None for c in coupons)
        return
    if action == "edit":
        assert after.draft.name.th == "แก้โดย owner" and after.published == before.published
    elif action == "publish":
        assert after.version == before.version + 1
    elif action == "verify":
        assert body["coupon"]["used_at"] is not None and coupons[0].used_at is not None
    else:
        assert after.hidden and after.on_street is None


# -- signing in ---------------------------------------------------------------------------------


async def test_a_sign_in_link_signs_in_once_with_a_strict_cookie(site: BoothSite) -> None:
    await site.store.issue_sign_in(SHOP, link_hash("fresh-link-" + "f" * 32), time.time() + 60, 0)
    async with site.client.post(
        "/owner/api/login",
        json={"token": "fresh-link-" + "f" * 32},
        headers={"Origin": site.origin},
    ) as response:
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
        body = await response.json()
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/owner" in cookie
    assert body["slots"] == ["B01"] and body["name"] == "ร้านป้าแดง"
    status, again = await site.call(
        "POST", "/owner/api/login", "nobody", {"token": "fresh-link-" + "f" * 32}
    )
    assert status == 401 and again["error"] == "sign_in_invalid"
    assert "ใช้ไม่ได้" in again["th"]


@pytest.mark.parametrize("token", ["", "short", "x" * 200, "has spaces in it" * 3, None, 42])
async def test_malformed_and_unknown_links_are_refused(site: BoothSite, token: object) -> None:
    status, body = await site.call("POST", "/owner/api/login", "nobody", {"token": token})
    assert status == 401 and body["error"] == "sign_in_invalid"


async def test_a_login_from_another_site_is_refused(site: BoothSite) -> None:
    await site.store.issue_sign_in(SHOP, link_hash("cross-link-" + "c" * 32), time.time() + 60, 0)
    for origin in ("https://evil.example", None):
        headers = {"Origin": origin} if origin else {}
        async with site.client.post(
            "/owner/api/login", json={"token": "cross-link-" + "c" * 32}, headers=headers
        ) as response:
            assert response.status == 403
            assert "Set-Cookie" not in response.headers
    status, _ = await site.call(
        "POST", "/owner/api/login", "nobody", {"token": "cross-link-" + "c" * 32}
    )
    assert status == 200, "the refused attempts did not use the link up"


async def test_too_many_sign_in_attempts_are_slowed_down(site: BoothSite) -> None:
    statuses = [
        (await site.call("POST", "/owner/api/login", "nobody", {"token": "n" * 40}))[0]
        for _ in range(14)
    ]
    assert statuses[:2] == [401, 401] and statuses[-1] == 429


async def test_signing_out_ends_the_session(site: BoothSite) -> None:
    assert (await site.call("GET", "/owner/api/me", "owner"))[0] == 200
    assert (await site.call("POST", "/owner/api/logout", "owner"))[0] == 200
    status, body = await site.call("GET", "/owner/api/me", "owner")
    assert status == 401 and body["error"] == "session_invalid"


async def test_revoking_a_shop_ends_its_open_sessions_at_once(site: BoothSite) -> None:
    assert (await site.call("GET", "/owner/api/booths/B01", "owner"))[0] == 200
    await site.store.revoke_shop(SHOP, time.time())
    assert (await site.call("GET", "/owner/api/booths/B01", "owner"))[0] == 401


# -- CSRF and Origin ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "csrf"),
    [
        ("https://evil.example", "good"),
        (None, "good"),
        ("same", None),
        ("same", "0" * 64),
    ],
)
async def test_changes_need_our_origin_and_the_sessions_csrf_token(
    site: BoothSite, origin: str | None, csrf: str | None
) -> None:
    owner = site.actors["owner"]
    forged = Actor("forged", cookie=owner.cookie, csrf=owner.csrf if csrf == "good" else csrf)
    headers = forged.headers(site.origin if origin == "same" else (origin or ""))
    if origin is None:
        del headers["Origin"]
    before = await site.store.booth("B01")
    for method, path, body in [
        ("PUT", "/owner/api/booths/B01/draft", form("ปลอม")),
        ("POST", "/owner/api/booths/B01/publish", None),
        ("POST", "/owner/api/logout", None),
    ]:
        async with site.client.request(method, path, json=body, headers=headers) as response:
            assert response.status == 403
            assert (await response.json())["error"] == "cross_site"
    assert await site.store.booth("B01") == before
    assert (await site.call("GET", "/owner/api/me", "owner"))[0] == 200, "still signed in"


async def test_another_sessions_csrf_token_does_not_work(site: BoothSite) -> None:
    owner, other = site.actors["owner"], site.actors["other"]
    mixed = Actor("mixed", cookie=owner.cookie, csrf=other.csrf)
    status, body = await site.call("POST", "/owner/api/booths/B01/publish", mixed)
    assert status == 403 and body["error"] == "cross_site"


# -- editing and publishing ---------------------------------------------------------------------


async def test_a_bad_form_comes_back_with_errors_by_field_and_nothing_saved(
    site: BoothSite,
) -> None:
    before = await site.store.booth("B01")
    bad = form(
        "",
        awning="not-a-colour",
        products=[{"name": {"th": "ชา", "en": ""}, "price": "abc", "photo": "f" * 32}],
    )
    status, body = await site.call("PUT", "/owner/api/booths/B01/draft", "owner", bad)
    assert status == 422 and body["error"] == "bad_booth"
    by_path = {e["path"]: e for e in body["errors"]}
    assert set(by_path) == {"name.th", "awning", "products[0].price", "products[0].photo"}
    assert by_path["name.th"]["th"] == "ต้องกรอก"
    assert await site.store.booth("B01") == before


async def test_a_saved_and_published_booth_is_on_the_street_in_thai(site: BoothSite) -> None:
    status, saved = await site.call("PUT", "/owner/api/booths/B01/draft", "owner", form())
    assert status == 200 and saved["draft"]["name"]["th"] == "ร้านป้าแดง ชาไทย"
    assert saved["published"]["awning"] != "#2e86c1", "saving alone publishes nothing"
    status, published = await site.call("POST", "/owner/api/booths/B01/publish", "owner")
    assert status == 200 and published["published"]["awning"] == "#2e86c1"
    state = site.service.state("B01")
    assert state is not None and state.version == published["version"]
    assert state.booth["name"]["th"] == "ร้านป้าแดง ชาไทย"
    assert state.booth["promotions"][0]["left"] == 10


async def test_markup_in_a_booth_is_kept_as_plain_text(site: BoothSite) -> None:
    sneaky = '<img src=x onerror="alert(1)">'
    await site.call("PUT", "/owner/api/booths/B01/draft", "owner", form(sneaky))
    status, body = await site.call("GET", "/owner/api/booths/B01", "owner")
    assert status == 200 and body["draft"]["name"]["th"] == sneaky


async def test_an_owner_cannot_see_another_slot(site: BoothSite) -> None:
    for path in ("/owner/api/booths/B02", "/owner/api/booths/B02/redemptions"):
        assert (await site.call("GET", path, "owner"))[0] == 403
    assert (await site.call("GET", "/owner/api/booths/B09", "owner"))[0] == 403


async def test_edits_are_rate_limited(site: BoothSite) -> None:
    statuses = [
        (await site.call("POST", "/owner/api/booths/B01/publish", "owner"))[0] for _ in range(22)
    ]
    assert statuses[0] == 200 and statuses[-1] == 429


# -- photos -------------------------------------------------------------------------------------


def picture(kind: str = "JPEG", size: tuple[int, int] = (900, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (240, 180, 20)).save(out, kind)
    return out.getvalue()


async def upload(site: BoothSite, data: bytes, content_type: str = "image/jpeg") -> tuple[int, Any]:
    return await site.call(
        "POST",
        "/owner/api/booths/B01/photos",
        "owner",
        data=io.BytesIO(data),
        headers={"Content-Type": content_type},
    )


async def test_an_uploaded_photo_is_served_re_encoded_and_usable_in_the_booth(
    site: BoothSite,
) -> None:
    status, body = await upload(site, picture())
    assert status == 201, body
    async with site.client.get(body["url"]) as response:
        assert response.status == 200 and response.content_type == "image/webp"
        assert "immutable" in response.headers["Cache-Control"]
        served = Image.open(io.BytesIO(await response.read()))
    assert served.size == (512, 341)
    product = {"name": {"th": "ชาเย็น", "en": ""}, "price": 45, "photo": body["id"]}
    status, saved = await site.call(
        "PUT", "/owner/api/booths/B01/draft", "owner", form(products=[product])
    )
    assert status == 200 and saved["photos"] == {body["id"]: body["url"]}


@pytest.mark.parametrize(
    ("data", "content_type", "status", "reason"),
    [
        (b"just some text, not a photo\n" * 20, "image/jpeg", 422, "only JPEG, PNG or WebP"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 100, "image/png", 422, "damaged"),
        (picture()[:2000], "image/jpeg", 422, "damaged"),
        (b"\xff\xd8\xff" + b"\0" * 1_100_000, "image/jpeg", 422, "larger than 1 MB"),
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    site: BoothSite, data: bytes, content_type: str, status: int, reason: str
) -> None:
    got, body = await upload(site, data, content_type)
    assert got == status and reason in body["en"] and body["th"]
    record = await site.store.booth("B01")
    assert record is not None and record.photos == frozenset()


async def test_photos_of_unknown_ids_are_not_found(site: BoothSite) -> None:
    for path in ("/booth-images/" + "0" * 32, "/booth-images/..%2F..%2Fetc"):
        async with site.client.get(path) as response:
            assert response.status == 404


# -- coupons ------------------------------------------------------------------------------------


async def test_a_coupon_checked_twice_is_refused_the_second_time(site: BoothSite) -> None:
    code = await coupon_code(site)
    verify = "/owner/api/booths/B01/coupons/verify"
    status, first = await site.call("POST", verify, "owner", {"code": display_code(code).lower()})
    assert status == 200 and first["coupon"]["title"]["th"] == "ชาไทยฟรี 1 แก้ว"
    status, second = await site.call("POST", verify, "owner", {"code": code})
    assert status == 409 and second["error"] == "coupon_used" and second["th"] == "คูปองนี้ใช้ไปแล้ว"
    status, listed = await site.call("GET", "/owner/api/booths/B01/redemptions", "owner")
    assert status == 200 and listed["redemptions"][0]["used_at"] is not None


async def test_unknown_and_other_shops_coupons_get_one_answer(site: BoothSite) -> None:
    """No existence oracle: another shop's real code is answered exactly like a made-up one;
    only the admin's audit log tells them apart."""
    await site.store.save_booth_draft("B02", "uncle-som", (await site.store.booth("B01")).draft, 0)  # type: ignore[union-attr, arg-type]
    await site.store.publish_booth("B02", "uncle-som", 0)
    theirs = await coupon_code(site, "other-key-1", slot="B02")
    verify = "/owner/api/booths/B01/coupons/verify"
    answers = []
    for code in ["ZZZZ-2222", "not a code", theirs]:
        status, body = await site.call("POST", verify, "owner", {"code": code})
        answers.append((status, body))
    assert answers[0][0] == 409 and answers[0][1]["error"] == "coupon_unknown"
    assert answers[0] == answers[1] == answers[2]
    log = [a for a in await site.store.owner_actions() if a.action == "verify"]
    assert [a.detail.split()[-1] for a in log] == [
        "coupon_unknown",
        "coupon_unknown",
        "coupon_other_shop",
    ]


async def test_coupon_checks_are_rate_limited(site: BoothSite) -> None:
    verify = "/owner/api/booths/B01/coupons/verify"
    statuses = [
        (await site.call("POST", verify, "owner", {"code": "ZZZZ2222"}))[0] for _ in range(12)
    ]
    assert statuses[0] == 409 and statuses[-1] == 429


async def test_a_coupon_qr_code_is_served_for_well_formed_codes_only(site: BoothSite) -> None:
    async with site.client.get("/coupon-qr/ABCD2345.svg") as response:
        assert response.status == 200 and response.content_type == "image/svg+xml"
        assert (await response.read()).startswith(b"<svg")
    async with site.client.get("/coupon-qr/abcd.svg") as response:
        assert response.status == 404


# -- admin --------------------------------------------------------------------------------------


async def test_the_admin_sees_the_audit_log_and_the_owners(site: BoothSite) -> None:
    await site.call("POST", "/admin/api/booths/B01/hide", "admin", {"hidden": True})
    status, body = await site.call("GET", "/admin/api/audit?after=0&limit=500", "admin")
    assert status == 200
    actions = [(a["actor"], a["action"], a["slot"]) for a in body["actions"]]
    assert ("admin", "hide", "B01") in actions and (
        "shop:auntie-daeng",
        "publish",
        "B01",
    ) in actions
    assert ("admin", "revoke", None) in actions
    status, owners = await site.call("GET", "/admin/api/owners", "admin")
    assert status == 200
    by_id = {o["shop_id"]: o for o in owners["owners"]}
    assert by_id["gone-shop"]["revoked_at"] is not None and by_id["auntie-daeng"]["slots"] == [
        "B01"
    ]
    for path in ("/admin/api/audit", "/admin/api/owners"):
        assert (await site.call("GET", path, "owner"))[0] == 401
    assert (await site.call("GET", "/admin/api/audit?after=x", "admin"))[0] == 400


async def test_hiding_an_unknown_slot_or_with_a_bad_body_is_refused(site: BoothSite) -> None:
    assert (await site.call("POST", "/admin/api/booths/B77/hide", "admin", {"hidden": True}))[
        0
    ] == 404
    assert (await site.call("POST", "/admin/api/booths/B01/hide", "admin", {"hidden": "yes"}))[
        0
    ] == 400


# -- the page -----------------------------------------------------------------------------------


async def test_the_owner_page_and_its_assets_are_served_with_a_strict_policy(
    site: BoothSite,
) -> None:
    for path in ("/owner", "/owner/login", "/owner/static/owner.js", "/owner/static/owner.css"):
        async with site.client.get(path) as response:
            assert response.status == 200, path
            policy = response.headers["Content-Security-Policy"]
            assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
            assert response.headers["X-Frame-Options"] == "DENY"
    async with site.client.get("/owner") as response:
        page = await response.text()
    assert "ซุ้มร้านของฉัน" in page and "innerHTML" not in page
    for path in (
        "/owner/static/index.html",
        "/owner/static/..%2Fowner_http.py",
        "/owner/static/x.js",
    ):
        async with site.client.get(path) as response:
            assert response.status == 404, path


def test_the_owner_script_never_writes_html() -> None:
    script = (Path(__file__).parents[2] / "server" / "web" / "owner" / "owner.js").read_text()
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in script
