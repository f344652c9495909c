"""Sign-in through a real OpenID Connect provider (oidc-provider, run by node on 127.0.0.1):
link an identity, restore it on another device, and the attacks on the flow, each refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.config import ConfigError, Settings
from server.keys import STORE
from server.services.signin import SignInService
from srichan_world.protocol.codes import ErrorCode
from tests.server.conftest import write_compiled_scene
from tests.signin.conftest import Browser, Street


async def test_link_then_restore_on_a_new_device(street: Street, browsers: list[Browser]) -> None:
    phone, tablet = browsers
    identity = await street.visitor()
    landed, status, result = await phone.sign_in(identity, "somchai")
    assert landed.endswith("/?signin=done"), landed
    assert status == 200
    assert result == {"outcome": "linked", "provider": "line", "visitor_id": identity[0]}
    link = await street.site.app[STORE].account_link(identity[0])
    assert link is not None and link.subject == "somchai"
    assert identity[1] not in link.sealed_secret  # sealed, not kept in the clear

    status, linked = await phone.post(
        "/api/signin/status", {"visitor_id": identity[0], "visitor_secret": identity[1]}
    )
    assert (status, linked) == (200, {"linked": "line"})

    # a new device with its own fresh identity signs in with the same account
    fresh = await street.visitor()
    landed, status, result = await tablet.sign_in(fresh, "somchai")
    assert status == 200, result
    assert result["outcome"] == "restored"
    assert (result["visitor_id"], result["visitor_secret"]) == identity
    assert result["set_aside"] == fresh[0]  # the device's own identity is handed back, kept
    # the result is picked up once
    status, again = await tablet.post("/api/signin/result")
    assert status == 401 and again["error"] == "sign_in_failed"


async def test_without_providers_nothing_changes(tmp_path: Path) -> None:
    folder = tmp_path / "build"
    write_compiled_scene(folder)
    settings = Settings(port=0, scene_dir=folder, store=f"sqlite:///{tmp_path}/a.db")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as c:
        async with c.get("/api/signin/providers") as r:
            assert (r.status, await r.json()) == (200, {"providers": []})
        origin = {"Origin": str(c.make_url("/"))[:-1]}
        async with c.post("/api/signin/start", json={"provider": "line"}, headers=origin) as r:
            assert (r.status, (await r.json())["error"]) == (404, "sign_in_unknown_provider")
        async with c.get("/api/signin/callback?code=x&state=y", allow_redirects=False) as r:
            assert r.status == 303 and "signin=failed" in r.headers["Location"]


async def test_start_needs_this_site_the_identity_and_patience(
    street: Street, browsers: list[Browser]
) -> None:
    phone, _ = browsers
    visitor_id, secret = await street.visitor()
    body = {"provider": "line", "visitor_id": visitor_id, "visitor_secret": secret}
    async with phone.http.post(
        phone.origin + "/api/signin/start", json=body, headers={"Origin": "https://evil.example"}
    ) as r:
        assert r.status == 403
    # a wrong secret and an unknown visitor get one answer (no enumeration)
    for other in ({"visitor_secret": "x" * 43}, {"visitor_id": "nobody-here-0001"}):
        status, answer = await phone.post("/api/signin/start", body | other)
        assert (status, answer["error"]) == (404, "recovery_unknown")
    status, answer = await phone.post("/api/signin/start", {"provider": "line"})
    assert (status, answer["error"]) == (409, "sign_in_no_identity")
    statuses = [(await phone.post("/api/signin/start", body))[0] for _ in range(60)]
    assert statuses.count(429) >= 1 and statuses[0] == 200


async def test_an_identity_linked_to_one_account_is_not_taken_by_another(
    street: Street, browsers: list[Browser]
) -> None:
    phone, _ = browsers
    identity = await street.visitor()
    await phone.sign_in(identity, "somchai")
    phone.http.cookie_jar.clear(lambda c: c.key.startswith("_"))  # the provider's session
    landed, status, _ = await phone.sign_in(identity, "mallory")
    assert landed.endswith(f"/?signin=failed&code={int(ErrorCode.SIGN_IN_IDENTITY_LINKED)}")
    assert status == 401
    link = await street.site.app[STORE].account_link(identity[0])
    assert link is not None and link.subject == "somchai"
    # the same account again on the same device: already signed in
    phone.http.cookie_jar.clear(lambda c: c.key.startswith("_"))
    _, status, result = await phone.sign_in(identity, "somchai")
    assert (status, result["outcome"]) == (200, "signed_in")


async def test_the_sign_in_cookies_are_sealed_httponly_lax_and_secure_behind_tls(
    street: Street, browsers: list[Browser]
) -> None:
    phone, _ = browsers
    visitor_id, secret = await street.visitor()
    body = {"provider": "line", "visitor_id": visitor_id, "visitor_secret": secret}
    async with phone.http.post(
        phone.origin + "/api/signin/start", json=body, headers={"Origin": phone.origin}
    ) as r:
        cookie = r.cookies["srichan_signin"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/api/signin"
    assert not cookie["secure"]  # plain http on loopback, no trusted proxy
    assert secret not in cookie.value and visitor_id not in cookie.value  # sealed (JWE)
    assert int(cookie["max-age"]) == 600
    # a client that claims TLS is not believed without a trusted proxy: no Secure flag
    headers = {"Origin": phone.origin, "X-Forwarded-Proto": "https"}
    async with phone.http.post(phone.origin + "/api/signin/start", json=body, headers=headers) as r:
        assert not r.cookies["srichan_signin"]["secure"]


def test_a_broken_configuration_is_refused_at_start(tmp_path: Path) -> None:
    config = tmp_path / "signin.toml"
    config.write_text(
        'key_file = "missing.key"\n[[provider]]\nid = "line"\nclient_id = "c"\n'
        'client_secret = "s"\n[[provider]]\nid = "x"\nissuer = "http://idp.example"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        SignInService.load(config, {})
    assert any("https" in p for p in caught.value.problems)
    config.write_text('key_file = "missing.key"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        SignInService.load(config, {})
    assert "missing.key" in caught.value.problems[0]
