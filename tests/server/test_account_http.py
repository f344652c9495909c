"""Recovery codes over HTTP on a real app at 127.0.0.1: show, restore, and the attacks."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.config import Settings
from server.keys import STORE
from srichan_world.world.recovery import encode, normalize
from tests.server.conftest import write_compiled_scene


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[TestClient]:
    folder = tmp_path / "build"
    write_compiled_scene(folder)
    settings = Settings(port=0, scene_dir=folder, store=f"sqlite:///{tmp_path}/a.db")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as c:
        yield c


async def post(c: TestClient, path: str, body: Any, origin: str | None = "") -> tuple[int, Any]:
    headers = {} if origin is None else {"Origin": origin or str(c.make_url("/"))[:-1]}
    async with c.post(path, json=body, headers=headers) as r:
        return r.status, await r.json()


async def visitor(c: TestClient) -> tuple[str, str]:
    visitor_id, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
    await c.app[STORE].register_visitor(visitor_id, secret, 0.0)
    return visitor_id, secret


async def test_show_then_restore_on_another_device(site: TestClient) -> None:
    visitor_id, secret = await visitor(site)
    status, body = await post(
        site, "/api/account/recovery", {"visitor_id": visitor_id, "visitor_secret": secret}
    )
    assert status == 200
    assert body["code"] == encode(visitor_id, secret)
    assert body["qr_svg"].startswith("<svg")
    typed = " ".join(body["code"].lower().split("-"))
    status, body = await post(site, "/api/account/restore", {"code": typed})
    assert (status, body) == (200, {"visitor_id": visitor_id, "visitor_secret": secret})


async def test_wrong_secret_and_unknown_visitor_get_one_answer(site: TestClient) -> None:
    visitor_id, _ = await visitor(site)
    other = secrets.token_urlsafe(32)
    wrong = await post(
        site, "/api/account/recovery", {"visitor_id": visitor_id, "visitor_secret": other}
    )
    stranger = await post(
        site,
        "/api/account/recovery",
        {"visitor_id": secrets.token_urlsafe(16), "visitor_secret": other},
    )
    assert wrong[0] == stranger[0] == 404
    assert wrong[1]["code"] == stranger[1]["code"] == 181
    assert wrong[1]["th"] == stranger[1]["th"]
    status, body = await post(site, "/api/account/restore", {"code": encode(visitor_id, other)})
    assert (status, body["error"]) == (404, "recovery_unknown")


async def test_a_mistyped_code_is_refused_clearly(site: TestClient) -> None:
    visitor_id, secret = await visitor(site)
    code = normalize(encode(visitor_id, secret) or "")
    typo = code[:10] + ("A" if code[10] != "A" else "B") + code[11:]
    status, body = await post(site, "/api/account/restore", {"code": typo})
    assert status == 422
    assert body["code"] == 180 and "typing mistake" in body["en"]
    assert body["th"].startswith("รหัสกู้คืนไม่ถูกต้อง")
    for bad in (None, 7, "", "x" * 5000, ["a"]):
        status, body = await post(site, "/api/account/restore", {"code": bad})
        assert (status, body["code"]) == (422, 180)
    status, body = await post(site, "/api/account/restore", ["not", "an", "object"])
    assert status == 400 and body["error"] == "bad_value"


async def test_guessing_is_rate_limited_per_address(site: TestClient) -> None:
    answers = []
    for _ in range(8):
        fake = encode(secrets.token_urlsafe(16), secrets.token_urlsafe(32))
        answers.append((await post(site, "/api/account/restore", {"code": fake}))[0])
    assert answers[:5] == [404] * 5
    assert set(answers[5:]) == {429}
    # the limit is on asking, so even the right code waits: no oracle around it
    visitor_id, secret = await visitor(site)
    status, body = await post(site, "/api/account/restore", {"code": encode(visitor_id, secret)})
    assert (status, body["error"]) == (429, "rate_limited")


async def test_cross_site_requests_are_refused(site: TestClient) -> None:
    visitor_id, secret = await visitor(site)
    body = {"visitor_id": visitor_id, "visitor_secret": secret}
    for origin in ("https://evil.example", None):
        assert (await post(site, "/api/account/recovery", body, origin))[0] == 403
        code = encode(visitor_id, secret)
        assert (await post(site, "/api/account/restore", {"code": code}, origin))[0] == 403


async def test_typos_do_not_use_up_the_limit(site: TestClient) -> None:
    visitor_id, secret = await visitor(site)
    code = normalize(encode(visitor_id, secret) or "")
    for _ in range(20):
        assert (await post(site, "/api/account/restore", {"code": code[:-1]}))[0] == 422
    assert (await post(site, "/api/account/restore", {"code": code}))[0] == 200
