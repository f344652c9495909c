"""The console's HTTP over a real app on 127.0.0.1: sign-in, roles, CSRF, what each route does."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.http.console import ROUTES
from server.http.console_dialogue import ROUTES as DIALOGUE_ROUTES
from server.http.console_privacy import ROUTES as PRIVACY_ROUTES
from server.http.events import CONSOLE_ROUTES as EVENT_ROUTES
from server.http.figures import ROUTES as FIGURE_ROUTES
from server.keys import EVENTS, STORE
from srichan_world.protocol.codes import ReportReason, ReportTarget
from srichan_world.world.moderation import ReportRecord
from srichan_world.world.owners import link_hash
from tests.server.booth_fixtures import BoothSite
from tests.server.console_fixtures import Operator, call, console_site
from tests.server.dialogue_fixtures import QUESTION_JSON, seed_dialogue
from tests.server.test_events import WORKSHOP


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with console_site(tmp_path) as s:
        await s.app[STORE].file_report(
            ReportRecord(ReportTarget.AVATAR, ReportReason.SPAM, "visitor-0001", time.time())
        )
        await seed_dialogue(s.app[STORE])
        await s.app[EVENTS].put("light-rail", WORKSHOP, time.time())
        await s.app[STORE].register_visitor(PERSON, "s3cret-Token_0123456789abcdef", time.time())
        await s.app[STORE].set_nickname(PERSON, "น้องฝน")
        yield s


# -- the authorization matrix ---------------------------------------------------------------

PERSON = "pdpa-visitor-01"
"""A visitor whose data an admin may export and erase."""

REQUESTS: dict[str, tuple[str, str, Any, str | None]] = {
    # name: method, path, body, the power it needs (None: any operator)
    "logout": ("POST", "/api/admin/logout", None, None),
    "me": ("GET", "/api/admin/me", None, None),
    "reports": ("GET", "/api/admin/reports?status=all", None, "moderate"),
    "close": ("POST", "/api/admin/reports/1/close", {"note": "ดูแล้ว"}, "moderate"),
    "sanction": (
        "POST",
        "/api/admin/sanctions",
        {"action": "warn", "target": "visitor-0001", "reason": 0},
        "moderate",
    ),
    "words": ("GET", "/api/admin/words", None, "moderate"),
    "set_words": ("PUT", "/api/admin/words", {"words": ["ควาย"]}, "moderate"),
    "hide": ("POST", "/api/admin/booths/B01/hide", {"hidden": True}, "moderate"),
    "owners": ("GET", "/api/admin/owners", None, "revoke_owner"),
    "revoke": ("POST", "/api/admin/owners/auntie-daeng/revoke", None, "revoke_owner"),
    "audit": ("GET", "/api/admin/audit", None, "audit"),
    "learning": ("GET", "/api/admin/figures/learning", None, "figures"),
    "economy": ("GET", "/api/admin/figures/economy", None, "figures"),
    "now": ("GET", "/api/admin/figures/now", None, "figures"),
    "signals": ("GET", "/api/admin/figures/signals", None, "figures"),
    "inclusion": ("GET", "/api/admin/figures/inclusion", None, "figures"),
    "report_html": ("GET", "/api/admin/figures/report.html", None, "figures"),
    "report_pdf": ("GET", "/api/admin/figures/report.pdf?month=2026-05", None, "figures"),
    "dialogue": ("GET", "/api/admin/dialogue", None, "moderate"),
    "put_question": (
        "PUT",
        "/api/admin/dialogue/light-rail",
        QUESTION_JSON | {"reward": 3},
        "dialogue",
    ),
    "close_question": ("POST", "/api/admin/dialogue/light-rail/close", None, "dialogue"),
    "results": ("GET", "/api/admin/dialogue/light-rail/results", None, "moderate"),
    "hide_opinion": (
        "POST",
        "/api/admin/dialogue/light-rail/opinions/1/hide",
        {"hidden": True},
        "moderate",
    ),
    "export_json": ("GET", "/api/admin/dialogue/light-rail/export.json", None, "dialogue"),
    "export_csv": ("GET", "/api/admin/dialogue/light-rail/export.csv", None, "dialogue"),
    "events": ("GET", "/api/admin/events", None, "events"),
    "put_event": ("PUT", "/api/admin/events/light-rail", WORKSHOP | {"bonus": 25}, "events"),
    "cancel_event": ("POST", "/api/admin/events/light-rail/cancel", None, "events"),
    "privacy": ("GET", "/api/admin/privacy", None, "privacy"),
    "export_visitor": ("POST", "/api/admin/privacy/export", {"visitor_id": PERSON}, "privacy"),
    "erase_visitor": (
        "POST",
        "/api/admin/privacy/erase",
        {"visitor_id": PERSON, "confirm": PERSON},
        "privacy",
    ),
    "purge": ("POST", "/api/admin/privacy/purge", None, "privacy"),
}
POWERS = {
    "admin-op": {
        None,
        "moderate",
        "revoke_owner",
        "audit",
        "figures",
        "dialogue",
        "events",
        "privacy",
    },
    "moderator": {None, "moderate"},
    "analyst": {None, "figures"},
}
ACTORS = ["nobody", "owner", "admin", "revoked-op", "analyst", "moderator", "admin-op"]
"""Anonymous, a shop owner's session, the bearer token, a revoked operator, the three roles."""


def test_the_matrix_covers_every_console_route() -> None:
    covered = {(m, p.split("?")[0]) for m, p, _b, _w in REQUESTS.values()}
    routes = {
        (m, p)
        for m, p, _h in ROUTES + FIGURE_ROUTES + DIALOGUE_ROUTES + EVENT_ROUTES + PRIVACY_ROUTES
        if p != "/api/admin/login"
    }
    concrete = {
        (
            m,
            p.replace("{seq}", "1")
            .replace("{slot}", "B01")
            .replace("{shop_id}", "auntie-daeng")
            .replace("{id}", "light-rail")
            .replace("{number}", "1"),
        )
        for m, p in routes
    }
    assert covered == concrete


def expected_status(actor: str, power: str | None) -> int:
    if actor not in POWERS:
        return 401
    return 200 if power in POWERS[actor] else 403


async def effect(site: BoothSite, name: str) -> Any:
    """What the request would change, read from the store."""
    store = site.app[STORE]
    booth = await store.booth("B01")
    return (
        [r.status for r in await store.reports(status=None)],
        len(await store.sanctions()),
        await store.chat_words(),
        None if booth is None else (booth.hidden, booth.shop_id),
        await store.questions(),
        [o.hidden for o in (await store.dialogue_tally("light-rail")).opinions],
        await store.stored_events(),
        await store.personal_records(PERSON),
    )


@pytest.mark.parametrize("name", list(REQUESTS))
@pytest.mark.parametrize("actor", ACTORS)
async def test_authorization_matrix(site: BoothSite, actor: str, name: str) -> None:
    method, path, body, power = REQUESTS[name]
    before = await effect(site, name)
    status, answer = await call(site, method, path, site.actors[actor], body)
    assert status == expected_status(actor, power), answer
    after = await effect(site, name)
    if status != 200:
        assert answer["th"] and answer["en"], "a refusal says why in Thai and English"
        assert answer["error"] in ("operator_session_invalid", "operator_role")
        assert after == before, "a refused request changes nothing"
        return
    changed = {
        "close",
        "sanction",
        "set_words",
        "hide",
        "revoke",
        "put_question",
        "close_question",
        "hide_opinion",
        "put_event",
        "cancel_event",
        "erase_visitor",
    }
    assert (after != before) == (name in changed), (before, after)
    if name in changed:
        actions = [a for a in await site.app[STORE].owner_actions(limit=1000)]
        who = f"operator:{site.actors[actor].name}"
        assert any(a.actor == who for a in actions), "every change is in the audit log"


# -- signing in ------------------------------------------------------------------------------


async def test_a_link_signs_in_once_with_a_strict_cookie_for_the_console_only(
    site: BoothSite,
) -> None:
    store = site.app[STORE]
    await store.issue_operator_link("moder", link_hash("fresh-" + "f" * 40), time.time() + 60, 0)
    headers = {"Origin": site.origin}
    token = {"token": "fresh-" + "f" * 40}
    async with site.client.post("/api/admin/login", json=token, headers=headers) as response:
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
        me = await response.json()
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/api/admin" in cookie
    assert me["role"] == "moderator" and me["powers"] == ["moderate"]
    status, again = await call(site, "POST", "/api/admin/login", Operator("x"), token)
    assert status == 401 and again["error"] == "operator_link_invalid"
    assert "ใช้ไม่ได้" in again["th"]


@pytest.mark.parametrize("token", ["", "short", "x" * 200, None, 42, "owner-link-" + "o" * 32])
async def test_malformed_unknown_and_owner_links_are_refused(
    site: BoothSite, token: object
) -> None:
    status, body = await call(site, "POST", "/api/admin/login", Operator("x"), {"token": token})
    assert status == 401 and body["error"] == "operator_link_invalid"


async def test_revoking_an_operator_ends_their_session_at_once(site: BoothSite) -> None:
    moderator = site.actors["moderator"]
    assert (await call(site, "GET", "/api/admin/me", moderator))[0] == 200
    await site.app[STORE].revoke_operator("moder", time.time())
    status, body = await call(site, "GET", "/api/admin/me", moderator)
    assert status == 401 and body["error"] == "operator_session_invalid"


# -- CSRF ----------------------------------------------------------------------------------------

WARN = {"action": "warn", "target": "visitor-0001", "reason": 1}


@pytest.mark.parametrize(
    "forged",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"X-CSRF-Token": ""},
        {"X-CSRF-Token": "0" * 64},
        "another-sessions-token",
    ],
)
async def test_a_cross_site_change_is_refused_and_changes_nothing(
    site: BoothSite, forged: dict[str, str] | str
) -> None:
    admin = site.actors["admin-op"]
    assert isinstance(admin, Operator)
    if forged == "another-sessions-token":
        headers = {"X-CSRF-Token": site.actors["moderator"].csrf or ""}
    else:
        assert isinstance(forged, dict)
        headers = forged
    status, body = await call(site, "POST", "/api/admin/sanctions", admin, WARN, **headers)
    assert status == 403 and body["error"] == "cross_site"
    assert await site.app[STORE].sanctions() == ()
    status, _ = await call(site, "POST", "/api/admin/sanctions", admin, WARN)
    assert status == 200 and len(await site.app[STORE].sanctions()) == 1


async def test_a_sign_in_from_another_site_is_refused(site: BoothSite) -> None:
    store = site.app[STORE]
    await store.issue_operator_link("moder", link_hash("fresh-" + "g" * 40), time.time() + 60, 0)
    status, body = await call(
        site,
        "POST",
        "/api/admin/login",
        Operator("x"),
        {"token": "fresh-" + "g" * 40},
        Origin="https://evil.example",
    )
    assert status == 403 and body["error"] == "cross_site"


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"action": "explode", "target": "visitor-0001", "reason": 0},
        {"action": "mute", "target": "visitor-0001", "reason": 0},
        {"action": "mute", "target": "visitor-0001", "reason": 0, "minutes": 10**30},
        {"action": "mute", "target": "visitor-0001", "reason": 0, "minutes": True},
        {"action": "warn", "target": "", "reason": 0},
        {"action": "warn", "target": "visitor-0001", "reason": 99},
        {"action": "warn", "target": "visitor-0001", "reason": "0"},
        {"action": "ban", "target": "0.0.0.0/0", "reason": 0, "by_address": True},
        {"action": "kick", "target": "203.0.113.0/24", "reason": 0, "by_address": True},
        {"action": "warn", "target": "visitor-0001", "reason": 0, "report": -1},
        [],
        "warn",
    ],
)
async def test_bad_sanctions_are_refused_by_field(site: BoothSite, body: Any) -> None:
    status, answer = await call(site, "POST", "/api/admin/sanctions", site.actors["admin-op"], body)
    assert status == 400 and answer["error"] == "bad_value" and answer["en"], answer
    assert await site.app[STORE].sanctions() == ()


@pytest.mark.parametrize("words", [["สอง คำ"], ["x" * 41], [1], "ควาย", [None]])
async def test_bad_word_lists_are_refused(site: BoothSite, words: Any) -> None:
    admin = site.actors["admin-op"]
    status, answer = await call(site, "PUT", "/api/admin/words", admin, {"words": words})
    assert status == 400 and answer["error"] == "bad_value"
    assert await site.app[STORE].chat_words() == ()


async def test_the_console_page_is_served_with_a_strict_policy(site: BoothSite) -> None:
    for path in ("/admin", "/admin/login", "/admin/static/admin.js", "/admin/static/admin.css"):
        async with site.client.get(path) as response:
            assert response.status == 200, path
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with site.client.get("/admin/static/..%2Fapp.py") as response:
        assert response.status == 404


async def test_a_banned_address_prefix_is_refused_before_the_upgrade(
    tmp_path: Path, ws_transport: str
) -> None:
    async with console_site(tmp_path, ws_transport=ws_transport) as site:
        await refused_while_banned(site)


async def refused_while_banned(site: BoothSite) -> None:
    admin = site.actors["admin-op"]
    ban = {"action": "ban", "target": "127.0.0.0/24", "reason": 0, "by_address": True}
    assert (await call(site, "POST", "/api/admin/sanctions", admin, ban))[0] == 200
    async with site.client.get("/ws", headers={"Upgrade": "websocket"}) as response:
        assert response.status == 403 and (await response.json())["error"] == "banned"
    lift = ban | {"action": "unban"}
    assert (await call(site, "POST", "/api/admin/sanctions", admin, lift))[0] == 200
    ws = await site.client.ws_connect("/ws")
    await ws.close()
