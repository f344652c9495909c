"""The console's data-protection routes over a real app on 127.0.0.1: an admin exports a
visitor by the recovery code they show, erases them while they are on the street (their
socket is told why, Thai first, and closed), and forged, unconfirmed, repeated or unknown
requests change nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.keys import STORE
from server.ws.client import PresenceClient
from srichan_world.protocol.codes import NoticeKind
from srichan_world.protocol.messages import Notice
from srichan_world.world import recovery
from srichan_world.world.privacy import ERASED_NOTICE_EN, ERASED_NOTICE_TH
from tests.server.booth_fixtures import VISITOR_SECRET, BoothSite
from tests.server.console_fixtures import Operator, call, console_site

VISITOR = "visitor-0001"
EXPORT = "/api/admin/privacy/export"
ERASE = "/api/admin/privacy/erase"
BOTH = {"visitor_id": VISITOR, "confirm": VISITOR}


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with console_site(tmp_path) as s:
        await s.app[STORE].set_nickname(VISITOR, "ป้าคำ")
        yield s


def admin(site: BoothSite) -> Operator:
    op = site.actors["admin-op"]
    assert isinstance(op, Operator)
    return op


def b64(n: int, size: int) -> str:
    return base64.urlsafe_b64encode(bytes([n]) * size).decode().rstrip("=")


async def test_an_admin_exports_by_recovery_code_and_it_is_audited(site: BoothSite) -> None:
    browser_id, secret = b64(7, 16), b64(9, 32)  # the form a browser makes
    await site.app[STORE].register_visitor(browser_id, secret, 0)
    await site.app[STORE].set_nickname(browser_id, "ป้าคำ")
    code = recovery.encode(browser_id, secret)
    assert code is not None
    typed = code.replace("-", " ").lower()  # as a person might type it
    async with site.client.post(
        EXPORT, json={"recovery_code": typed}, headers=admin(site).headers(site.origin)
    ) as response:
        assert response.status == 200
        assert "attachment" in response.headers["Content-Disposition"]
        raw = await response.read()
    assert "ป้าคำ".encode() in raw, "UTF-8, Thai as written"
    doc = json.loads(raw)
    assert doc["identity"]["nickname"] == "ป้าคำ" and doc["visitor_id"] == browser_id
    wrong = recovery.encode(b64(8, 16), secret)
    status, body = await call(site, "POST", EXPORT, admin(site), {"recovery_code": wrong})
    assert status == 404 and body["error"] == "recovery_unknown" and body["th"]
    (line,) = [a for a in await site.app[STORE].owner_actions() if a.action == "visitor_export"]
    assert line.actor == "operator:admin-op" and browser_id not in line.detail


async def test_erasing_an_online_visitor_tells_them_and_closes_the_socket(
    site: BoothSite,
) -> None:
    client = await PresenceClient.connect(f"ws://127.0.0.1:{site.client.port}/ws")
    await client.hello("ป้าคำ", (1, 2, 3), visitor_id=VISITOR, visitor_secret=VISITOR_SECRET)
    status, body = await call(site, "POST", ERASE, admin(site), BOTH)
    assert status == 200 and body["erased"] and body["tombstone"].startswith("erased-")
    notice = await client.next(Notice)
    assert notice.kind == NoticeKind.KICK
    assert (notice.text.th, notice.text.en) == (ERASED_NOTICE_TH, ERASED_NOTICE_EN)
    closed = await client.closed()
    assert closed.code == 4003
    assert (await site.app[STORE].audit()).ok
    status, body = await call(site, "POST", ERASE, admin(site), BOTH)
    assert status == 404 and body["error"] == "visitor_unknown" and "ลบไปแล้ว" in body["th"]
    status, _ = await call(site, "POST", EXPORT, admin(site), {"visitor_id": VISITOR})
    assert status == 404
    erased = [a for a in await site.app[STORE].owner_actions() if a.action == "visitor_erase"]
    assert len(erased) == 1


@pytest.mark.parametrize(
    "forged",
    [{"Origin": "https://evil.example"}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "0" * 64}],
)
async def test_a_forged_erasure_is_refused_and_erases_nothing(
    site: BoothSite, forged: dict[str, str]
) -> None:
    status, body = await call(site, "POST", ERASE, admin(site), BOTH, **forged)
    assert status == 403 and body["error"] == "cross_site"
    assert (await site.app[STORE].personal_records(VISITOR))["identity"]


@pytest.mark.parametrize(
    "body",
    [
        {"visitor_id": VISITOR},
        {"visitor_id": VISITOR, "confirm": "visitor-0002"},
        {"visitor_id": "short", "confirm": "short"},
        {"recovery_code": "not a code", "confirm": VISITOR},
        [VISITOR],
    ],
)
async def test_an_unconfirmed_or_malformed_erasure_erases_nothing(
    site: BoothSite, body: object
) -> None:
    status, answer = await call(site, "POST", ERASE, admin(site), body)
    assert status in (400, 422) and answer["th"] and answer["en"], answer
    assert (await site.app[STORE].personal_records(VISITOR))["identity"]


async def test_the_retention_is_shown_and_a_purge_runs_on_request(site: BoothSite) -> None:
    status, body = await call(site, "GET", "/api/admin/privacy", admin(site))
    assert status == 200
    assert body["retention"] == {"statements_days": 365, "reports_days": 180}
    status, done = await call(site, "POST", "/api/admin/privacy/purge", admin(site))
    assert status == 200 and done["removed"] == {"statements": 0, "reports": 0}
    status, body = await call(site, "GET", "/api/admin/privacy", admin(site))
    assert body["last_purge"]["removed"] == {"statements": 0, "reports": 0}
