"""Optional sign-in with OpenID Connect, over HTTP (the rules: srichan_world/world/signin/).

Routes (all under ``/api/signin``; with no provider configured, ``providers`` answers an empty
list and the others ``SIGN_IN_UNKNOWN_PROVIDER``, so nothing changes for anyone):

* ``GET providers``: the buttons (id, Thai and English name), never a secret.
* ``POST start`` ``{provider, visitor_id, visitor_secret}``: the browser proves it holds the
  identity (the store checks the secret's hash), and gets the provider's authorization URL; a
  cookie sealed under the sign-in key carries state, nonce, PKCE verifier and the identity to
  the callback (HttpOnly, ``SameSite=Lax`` so it comes back on the provider's redirect,
  ``Secure`` behind TLS, path ``/api/signin``, ten minutes).
* ``GET callback?code&state``: the state must be this browser's cookie's and unused; the code
  is exchanged with the verifier, the ID token checked; then the account is linked to the
  identity, or its own identity restored (srichan_world/world/signin/links.py). The answer is
  a redirect to ``/?signin=done`` (or ``/?signin=failed&code=N``) with the result sealed in a
  second cookie, so no secret is ever in a URL.
* ``POST result``: the page picks up the result once (the cookie is cleared).
* ``POST status`` ``{visitor_id, visitor_secret}``: whether this identity is linked, and to
  which provider; an unknown visitor and a wrong secret get one answer.
* ``POST signout``: clears the sign-in cookies. Signing out is the browser forgetting the
  identity on this device (a shared phone); the link stays, so the account restores it later.

Every POST must name this site in ``Origin`` and carries no ambient authority (the identity is
in the body); everything is rate-limited per client address (``ACCOUNT_RATES``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web

from server.client_address import client_address, is_https
from server.http.replies import (
    forbidden_cross_site,
    json_body,
    ok,
    refusal_response,
    same_origin,
)
from server.keys import ACCOUNT_LIMITS, SETTINGS, SIGNIN, STORE
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.admission import address_key
from srichan_world.world.signin import links
from srichan_world.world.signin.flow import (
    RESULT_TTL_S,
    START_TTL_S,
    Pending,
    open_secret,
    seal_secret,
)
from srichan_world.world.signin.idtoken import Verified, allowed_algorithms, check_id_token

log = logging.getLogger(__name__)

START_COOKIE = "srichan_signin"
RESULT_COOKIE = "srichan_signin_result"
COOKIE_PATH = "/api/signin"
CROSS_SITE_TH = "คำขอนี้ต้องมาจากหน้าเว็บของถนนศรีจันทร์เท่านั้น"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/signin/providers", providers)
    app.router.add_post("/api/signin/start", start)
    app.router.add_get("/api/signin/callback", callback)
    app.router.add_post("/api/signin/result", result)
    app.router.add_post("/api/signin/status", status)
    app.router.add_post("/api/signin/signout", signout)


def _limit(request: web.Request, kind: str) -> None:
    address = client_address(request, request.app[SETTINGS].trusted_proxies)
    if not request.app[ACCOUNT_LIMITS][kind].take(address_key(address), time.monotonic()):
        raise Refused(ErrorCode.RATE_LIMITED, "too many sign-in requests from this address")


def _base(request: web.Request) -> str:
    settings = request.app[SETTINGS]
    if settings.public_url:
        return settings.public_url.rstrip("/")
    scheme = "https" if is_https(request, settings.trusted_proxies) else "http"
    return f"{scheme}://{request.host}"


def _redirect_uri(request: web.Request) -> str:
    return _base(request) + "/api/signin/callback"


def _set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    secure = is_https(request, request.app[SETTINGS].trusted_proxies)
    max_age = START_TTL_S if name == START_COOKIE else RESULT_TTL_S
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Lax",
        secure=secure,
        path=COOKIE_PATH,
        max_age=max_age,
    )


async def _object(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Refused(ErrorCode.BAD_VALUE, "the request body must be a JSON object")
    return body


async def _identity(request: web.Request, body: dict[str, Any]) -> tuple[str, str] | None:
    """The identity the body names, once the store has checked its secret; ``None`` if the
    body names none. A wrong secret and an unknown visitor: one ``RECOVERY_UNKNOWN``."""
    visitor_id, secret = body.get("visitor_id"), body.get("visitor_secret")
    if visitor_id is None and secret is None:
        return None
    if not isinstance(visitor_id, str) or not isinstance(secret, str):
        raise Refused(ErrorCode.RECOVERY_UNKNOWN, "no visitor here has this identity")
    try:
        await request.app[STORE].authenticate_visitor(visitor_id, secret)
    except Refused as exc:
        if exc.code != ErrorCode.BAD_IDENTITY:
            raise
        raise Refused(ErrorCode.RECOVERY_UNKNOWN, "no visitor here has this identity") from None
    return visitor_id, secret


async def providers(request: web.Request) -> web.StreamResponse:
    return ok({"providers": [p.button() for p in request.app[SIGNIN].config.providers]})


async def start(request: web.Request) -> web.StreamResponse:
    if not same_origin(request):
        return forbidden_cross_site(CROSS_SITE_TH)
    service = request.app[SIGNIN]
    try:
        _limit(request, "signin_start")
        body = await _object(request)
        provider = service.config.provider(body.get("provider"))
        if provider is None:
            raise Refused(ErrorCode.SIGN_IN_UNKNOWN_PROVIDER, "no such sign-in provider")
        visitor = await _identity(request, body)
        if visitor is None:
            raise Refused(ErrorCode.SIGN_IN_NO_IDENTITY, "send the identity to link or replace")
        found = await service.client.discover(provider)
        pending = Pending.new(provider.id, visitor, time.time(), body.get("return_to"))
        url = pending.authorization_url(
            found.authorization_endpoint, provider, _redirect_uri(request)
        )
    except Refused as exc:
        return refusal_response(ErrorCode(exc.code), exc.refusal.detail)
    response = ok({"url": url})
    _set_cookie(response, request, START_COOKIE, service.start.seal(pending.to_claims()))
    return response


def _back(request: web.Request, location: str, result: str | None = None) -> web.StreamResponse:
    response = web.Response(
        status=303,
        headers={
            "Location": location,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
    response.del_cookie(START_COOKIE, path=COOKIE_PATH)
    if result is not None:
        _set_cookie(response, request, RESULT_COOKIE, result)
    return response


async def callback(request: web.Request) -> web.StreamResponse:
    service = request.app[SIGNIN]
    now = time.time()
    pending = None
    try:
        _limit(request, "signin_callback")
        doc = service.start.open(request.cookies.get(START_COOKIE), now)
        if doc is None:
            raise Refused(ErrorCode.SIGN_IN_FAILED, "no sign-in was started in this browser")
        pending = Pending.from_claims(doc)
        pending.check_callback(request.query.get("state"))
        if not service.use_state(pending.state, now):
            raise Refused(ErrorCode.SIGN_IN_FAILED, "this sign-in was finished already")
        code = request.query.get("code")
        if "error" in request.query or not code or len(code) > 2048:
            raise Refused(ErrorCode.SIGN_IN_FAILED, "the provider gave no code")
        outcome = await _finish(request, pending, code, now)
    except Refused as exc:
        log.info("sign-in refused: %s", exc.refusal.detail)
        query = f"signin=failed&code={int(exc.code)}"
        return _back(request, "/?" + query if pending is None else pending.back(query))
    sealed = service.result.seal(outcome | {"exp": now + RESULT_TTL_S})
    return _back(request, pending.back("signin=done"), sealed)


async def _finish(request: web.Request, pending: Pending, code: str, now: float) -> dict[str, Any]:
    service, store = request.app[SIGNIN], request.app[STORE]
    provider = service.config.provider(pending.provider)
    if provider is None:
        raise Refused(ErrorCode.SIGN_IN_UNKNOWN_PROVIDER, "the provider is no longer configured")
    found = await service.client.discover(provider)
    iss = request.query.get("iss")  # RFC 9207: the provider that answered must be this one
    if iss is not None and iss != found.issuer:
        raise Refused(ErrorCode.SIGN_IN_FAILED, "the answer names another provider")
    token = await service.client.exchange(
        provider, found, code, pending.verifier, _redirect_uri(request)
    )
    algorithms = allowed_algorithms(found.algorithms)

    def check(jwks: dict[str, Any]) -> Verified:
        return check_id_token(
            token,
            jwks,
            issuer=found.issuer,
            client_id=provider.client_id,
            nonce=pending.nonce,
            now=now,
            algorithms=algorithms,
        )

    try:
        account = check(await service.client.jwks(found))
    except Refused:  # perhaps a key we do not hold yet (rotation): fetch the JWKS once more
        account = check(await service.client.jwks(found, refresh=True))
    held = await store.account_link_of(account.issuer, account.subject)
    device = pending.visitor_id
    device_link = None if device is None else await store.account_link(device)
    decision = links.decide(held, device, device_link)
    if isinstance(decision, links.Link):
        assert pending.visitor_secret is not None
        sealed = seal_secret(
            service.links,
            decision.visitor_id,
            pending.visitor_secret,
            account.issuer,
            account.subject,
        )
        link = links.AccountLink(
            account.issuer, account.subject, decision.visitor_id, provider.id, sealed, now
        )
        kept = await store.link_account(link)
        if kept.visitor_id == decision.visitor_id:
            return {"outcome": "linked", "provider": provider.id, "visitor_id": device}
        decision = links.Restore(kept, device)  # another device linked this account first
    if isinstance(decision, links.Already):
        return {"outcome": "signed_in", "provider": provider.id, "visitor_id": device}
    restored = decision.link
    secret = open_secret(
        service.links,
        restored.sealed_secret,
        restored.visitor_id,
        restored.issuer,
        restored.subject,
    )
    await store.authenticate_visitor(restored.visitor_id, secret)
    return {
        "outcome": "restored",
        "provider": restored.provider,
        "visitor_id": restored.visitor_id,
        "visitor_secret": secret,
        "set_aside": decision.set_aside,
    }


async def result(request: web.Request) -> web.StreamResponse:
    """A finished sign-in's result, once, to this site's page."""
    if not same_origin(request):
        return forbidden_cross_site(CROSS_SITE_TH)
    doc = request.app[SIGNIN].result.open(request.cookies.get(RESULT_COOKIE), time.time())
    if doc is None:
        response = refusal_response(ErrorCode.SIGN_IN_FAILED, "no finished sign-in to pick up")
    else:
        response = ok({k: v for k, v in doc.items() if k not in ("exp", "purpose")})
    response.del_cookie(RESULT_COOKIE, path=COOKIE_PATH)
    return response


async def status(request: web.Request) -> web.StreamResponse:
    """Whether the identity in the body is linked to an account (and which provider's)."""
    if not same_origin(request):
        return forbidden_cross_site(CROSS_SITE_TH)
    try:
        _limit(request, "signin_status")
        visitor = await _identity(request, await _object(request))
        if visitor is None:
            raise Refused(ErrorCode.RECOVERY_UNKNOWN, "no visitor here has this identity")
        link = await request.app[STORE].account_link(visitor[0])
    except Refused as exc:
        return refusal_response(ErrorCode(exc.code), exc.refusal.detail)
    return ok({"linked": None if link is None else link.provider})


async def signout(request: web.Request) -> web.StreamResponse:
    if not same_origin(request):
        return forbidden_cross_site(CROSS_SITE_TH)
    response = ok({"signed_out": True})
    response.del_cookie(START_COOKIE, path=COOKIE_PATH)
    response.del_cookie(RESULT_COOKIE, path=COOKIE_PATH)
    return response
