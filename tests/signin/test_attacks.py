"""Attacks on the sign-in, each against the real provider (oidc-provider on 127.0.0.1) and
each refused: a replayed callback, a callback in a browser that did not start the sign-in
(login CSRF), a stolen code without its PKCE verifier, and ID tokens that are forged, expired,
for another client, for another sign-in (nonce), unsigned or signed with the client secret."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from yarl import URL

from server.http.signin import START_COOKIE
from server.keys import SIGNIN, STORE
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.signin.flow import Pending
from srichan_world.world.signin.idtoken import ALGORITHMS, check_id_token
from tests.signin.conftest import CLIENT_ID, CLIENT_SECRET, Browser, Street

FAILED = f"/?signin=failed&code={int(ErrorCode.SIGN_IN_FAILED)}"


async def stop_before_callback(browser: Browser, street: Street, account: str) -> str:
    """Start a sign-in and log in at the provider, but keep the callback URL unvisited."""
    status, started = await browser.post(
        "/api/signin/start", {"provider": "line", **await identity_body(street)}
    )
    assert status == 200
    query = parse_qs(urlsplit(started["url"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    browser.stop_at = "/api/signin/callback"
    try:
        callback, _ = await browser.provider_login(started["url"], account)
    finally:
        browser.stop_at = None
    assert "/api/signin/callback?" in callback, callback
    return callback


def start_cookie(browser: Browser) -> str:
    return next(c.value for c in browser.http.cookie_jar if c.key == START_COOKIE)


async def test_a_replayed_callback_is_refused(
    street: Street, browsers: list[Browser], caplog: pytest.LogCaptureFixture
) -> None:
    phone, _ = browsers
    caplog.set_level(logging.INFO, "server.http.signin")
    callback = await stop_before_callback(phone, street, "somchai")
    saved = start_cookie(phone)
    landed, _ = await phone.follow(callback)
    assert landed.endswith("/?signin=done")
    # again, as is (the start cookie is gone), and with the saved start cookie put back
    landed, _ = await phone.follow(callback)
    assert landed.endswith(FAILED)
    phone.http.cookie_jar.update_cookies({START_COOKIE: saved}, response_url=URL(callback))
    landed, _ = await phone.follow(callback)
    assert landed.endswith(FAILED)
    # refused as a replay, before the provider is asked about the code again
    assert "this sign-in was finished already" in caplog.text


async def test_an_answer_naming_another_provider_is_refused(
    street: Street, browsers: list[Browser]
) -> None:
    """RFC 9207: the callback's ``iss`` must be the provider the sign-in went to (mix-up)."""
    phone, _ = browsers
    callback = await stop_before_callback(phone, street, "somchai")
    mixed = str(URL(callback).update_query(iss="https://evil.example"))
    landed, _ = await phone.follow(mixed)
    assert landed.endswith(FAILED)


async def test_a_callback_in_another_browser_is_refused(
    street: Street, browsers: list[Browser], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "server.http.signin")
    attacker, victim = browsers
    callback = await stop_before_callback(attacker, street, "mallory")
    # no sign-in started in the victim's browser
    landed, _ = await victim.follow(callback)
    assert landed.endswith(FAILED)
    # the victim started their own: the attacker's state is not theirs (login CSRF)
    await victim.post("/api/signin/start", {"provider": "line", **await identity_body(street)})
    landed, _ = await victim.follow(callback)
    assert landed.endswith(FAILED)
    assert "no sign-in was started in this browser" in caplog.text
    assert "the sign-in state does not match" in caplog.text  # before PKCE would refuse it too
    assert await street.site.app[STORE].account_link_of(street.provider.issuer, "mallory") is None


async def identity_body(street: Street) -> dict[str, str]:
    visitor_id, secret = await street.visitor()
    return {"visitor_id": visitor_id, "visitor_secret": secret}


async def token_request(street: Street, form: dict[str, str]) -> tuple[int, Any]:
    form = form | {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    url = street.provider.issuer + "/token"
    async with aiohttp.ClientSession() as http, http.post(url, data=form) as r:
        return r.status, await r.json()


async def test_a_stolen_code_without_its_pkce_verifier_is_refused(
    street: Street, browsers: list[Browser]
) -> None:
    phone, _ = browsers
    callback = await stop_before_callback(phone, street, "somchai")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    redirect = callback.split("?")[0]
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    for extra in ({}, {"code_verifier": "A" * 43}):
        status, answer = await token_request(street, base | extra)
        assert status == 400 and answer["error"] == "invalid_grant", answer
    # the thief got nothing; the visitor's own callback (with the verifier) still signs in
    landed, _ = await phone.follow(callback)
    assert landed.endswith("/?signin=done")


async def real_id_token(street: Street, phone: Browser) -> tuple[str, Pending]:
    """An ID token the provider really issued, and the sign-in it was issued for."""
    callback = await stop_before_callback(phone, street, "somchai")
    service = street.site.app[SIGNIN]
    doc = service.start.open(start_cookie(phone), time.time())
    assert doc is not None
    pending = Pending.from_claims(doc)
    query = parse_qs(urlsplit(callback).query)
    form = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": callback.split("?")[0],
        "code_verifier": pending.verifier,
    }
    status, answer = await token_request(street, form)
    assert status == 200, answer
    return answer["id_token"], pending


async def provider_jwks(street: Street) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(street.provider.issuer + "/jwks") as r:
        return dict(await r.json())


def resign(token: str, key: Any, alg: str, **changes: Any) -> str:
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return jwt.encode({**header, "alg": alg}, claims | changes, key, algorithms=[alg])


async def test_bad_id_tokens_are_refused(street: Street, browsers: list[Browser]) -> None:
    phone, _ = browsers
    token, pending = await real_id_token(street, phone)
    jwks = await provider_jwks(street)
    now = time.time()
    good = {
        "issuer": street.provider.issuer,
        "client_id": CLIENT_ID,
        "nonce": pending.nonce,
        "now": now,
        "algorithms": ALGORITHMS,
    }
    assert check_id_token(token, jwks, **good).subject == "somchai"  # the real one is fine

    header, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    tampered = base64.urlsafe_b64encode(json.dumps(claims | {"sub": "admin"}).encode())
    attacker = RSAKey.generate_key(
        2048, parameters={"kid": json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]}
    )
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=") + "." + body + "."
    cases: dict[str, tuple[str, dict[str, Any]]] = {
        "tampered payload": (f"{header}.{tampered.decode().rstrip('=')}.{signature}", good),
        "forged with another key, same kid": (resign(token, attacker, "RS256"), good),
        "unsigned (alg none)": (unsigned, good),
        "HS256 with the client secret": (
            resign(token, OctKey.import_key(CLIENT_SECRET.encode()), "HS256"),
            good,
        ),
        "expired": (token, good | {"now": claims["exp"] + 3600}),
        "for another client": (token, good | {"client_id": "another-client"}),
        "for another sign-in (nonce)": (token, good | {"nonce": "someone-elses-nonce"}),
        "from another issuer": (token, good | {"issuer": "https://access.line.me"}),
    }
    for name, (bad, expected) in cases.items():
        with pytest.raises(Refused) as refused:
            check_id_token(bad, jwks, **expected)
        assert refused.value.code == ErrorCode.SIGN_IN_FAILED, name
