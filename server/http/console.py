"""HTTP for the city's console at ``/admin``: operators sign in, moderate, read the audit log.

Operators sign in once with the link ``srichan admin add`` printed; the session cookie
(``srichan_operator``, path ``/api/admin``) and the CSRF defence are the owner page's
(server/http/replies.py). Each route needs a :class:`~srichan_world.world.operators.Power`
its role has: no session → 401, the wrong role → 403 (``operator_role``). The bearer token
does not open these routes (it keeps its own under ``/admin/api/…``). Every change is written
to the audit log with the operator as ``operator:<id>``.

| method | path | power |
|---|---|---|
| GET | ``/admin``, ``/admin/login``, ``/admin/static/{name}`` | the page |
| POST | ``/api/admin/login`` ``{token}``; ``/api/admin/logout`` | anyone with a link; signed in |
| GET | ``/api/admin/me`` | signed in: name, role, powers, CSRF token |
| GET | ``/api/admin/reports?status=open|all&after=`` | moderate |
| POST | ``/api/admin/reports/{seq}/close`` ``{note}`` | moderate |
| POST | ``/api/admin/sanctions`` ``{action, target, reason, minutes?, …}`` | moderate |
| GET, PUT | ``/api/admin/words`` ``{words}`` | moderate |
| POST | ``/api/admin/booths/{slot}/hide`` ``{hidden}`` | moderate |
| GET | ``/api/admin/owners``; POST ``/api/admin/owners/{shop_id}/revoke`` | revoke_owner |
| GET | ``/api/admin/audit?after=&limit=`` | audit |
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from server.client_address import client_address
from server.http.bodies import BodyTooSlow
from server.http.replies import (
    Handler,
    csrf_refusal,
    forbidden_cross_site,
    json_body,
    ok,
    refusal_response,
    same_origin,
    secure,
    set_session_cookie,
    too_slow,
)
from server.keys import BOOTHS, MODERATION, SETTINGS, STORE
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.chatfilter import clean_words
from srichan_world.world.moderation import Sanction
from srichan_world.world.operators import SESSION_TTL_S, OperatorSession, Power
from srichan_world.world.owners import csrf_token, link_hash, session_hash, well_formed

COOKIE = "srichan_operator"
COOKIE_PATH = "/api/admin"
PAGE_DIR = Path(__file__).parents[1] / "web" / "admin"
_ASSET = re.compile(r"^[a-z0-9-]+\.(js|css)$")
_TYPES = {"js": "text/javascript", "css": "text/css"}
_COUNT = re.compile(r"^[0-9]{1,12}$")
_CROSS_SITE_TH = "คำขอนี้ต้องมาจากหน้าคอนโซลของเว็บนี้เท่านั้น"

OperatorHandler = Callable[[web.Request, OperatorSession], Awaitable[web.StreamResponse]]


def _refusals(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refused as exc:
            return refusal_response(ErrorCode(exc.code), exc.refusal.detail)
        except BodyTooSlow:
            return too_slow()

    return wrapped


async def _session(request: web.Request) -> OperatorSession:
    secret = request.cookies.get(COOKIE, "")
    if not well_formed(secret):
        raise Refused(ErrorCode.OPERATOR_SESSION_INVALID, "sign in with your link")
    return await request.app[STORE].operator_session(session_hash(secret), time.time())


def operator(power: Power | None) -> Callable[[OperatorHandler], Handler]:
    """A console route: a live operator session whose role has ``power`` (``None``: any);
    a change also needs our ``Origin`` and the session's CSRF token."""

    def decorate(handler: OperatorHandler) -> Handler:
        @_refusals
        async def wrapped(request: web.Request) -> web.StreamResponse:
            if request.method not in ("GET", "HEAD") and not same_origin(request):
                return forbidden_cross_site(_CROSS_SITE_TH)
            session = await _session(request)
            if csrf_refusal(request, request.cookies.get(COOKIE, "")):
                return forbidden_cross_site(_CROSS_SITE_TH)
            if power is not None:
                session.require(power)
            return await handler(request, session)

        return wrapped

    return decorate


def _fields(body: Any, *names: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Refused(ErrorCode.BAD_VALUE, "the body must be a JSON object")
    return {n: body.get(n) for n in names}


# -- the page --------------------------------------------------------------------------------


async def page(_request: web.Request) -> web.StreamResponse:
    return secure(web.FileResponse(PAGE_DIR / "index.html"))


async def page_asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = PAGE_DIR / name
    if not _ASSET.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    return secure(web.FileResponse(path, headers={"Content-Type": _TYPES[name.rsplit(".")[1]]}))


# -- signing in ------------------------------------------------------------------------------


@_refusals
async def login(request: web.Request) -> web.StreamResponse:
    if not same_origin(request):
        return forbidden_cross_site(_CROSS_SITE_TH)
    token = _fields(await json_body(request), "token")["token"]
    now = time.time()
    client = client_address(request, request.app[SETTINGS].trusted_proxies)
    request.app[BOOTHS].allow_sign_in(client, now)
    if not well_formed(token):
        raise Refused(ErrorCode.OPERATOR_LINK_INVALID, "this sign-in link is not well formed")
    secret = secrets.token_urlsafe(32)
    session = await request.app[STORE].operator_sign_in(
        link_hash(str(token)), session_hash(secret), now + SESSION_TTL_S, now
    )
    response = ok(_me(session, secret))
    set_session_cookie(response, request, COOKIE, secret, max_age=SESSION_TTL_S, path=COOKIE_PATH)
    return response


@operator(None)
async def logout(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    await request.app[STORE].end_operator_session(session_hash(request.cookies.get(COOKIE, "")))
    response = ok({"signed_out": True})
    response.del_cookie(COOKIE, path=COOKIE_PATH)
    return response


@operator(None)
async def me(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    return ok(_me(session, request.cookies.get(COOKIE, "")))


def _me(session: OperatorSession, secret: str) -> dict[str, Any]:
    return {
        "id": session.id,
        "name": session.name,
        "role": session.role.value,
        "powers": sorted(p.value for p in Power if session.may(p)),
        "csrf": csrf_token(secret),
        "expires_at": session.expires_at,
    }


# -- moderation ------------------------------------------------------------------------------


@operator(Power.MODERATE)
async def reports(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    status = request.query.get("status", "open")
    after = request.query.get("after", "0")
    if status not in ("open", "all") or not _COUNT.match(after):
        raise Refused(ErrorCode.BAD_VALUE, "status is open or all; after a whole number")
    found = await request.app[STORE].reports(
        status=None if status == "all" else status, after=int(after), limit=200
    )
    return ok({"reports": [r.to_json() for r in found]})


@operator(Power.MODERATE)
async def close_report(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    seq = request.match_info["seq"]
    note = _fields(await json_body(request), "note")["note"] or ""
    if not _COUNT.match(seq) or not isinstance(note, str) or len(note) > 200:
        raise Refused(ErrorCode.BAD_VALUE, "a report number and a note of at most 200 characters")
    record = await request.app[STORE].close_report(int(seq), session.actor, note, time.time())
    return ok(record.to_json())


@operator(Power.MODERATE)
async def sanction(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    f = _fields(
        await json_body(request), "action", "target", "reason", "minutes", "by_address", "report"
    )
    try:
        given = Sanction.checked(
            str(f["action"]),
            str(f["target"] or ""),
            f["reason"] if isinstance(f["reason"], int) else -1,
            session.actor,
            time.time(),
            f["minutes"],
            f["by_address"] is True,
        )
    except ValueError as exc:
        raise Refused(ErrorCode.BAD_VALUE, str(exc)) from None
    report = f["report"]
    if report is not None and not (isinstance(report, int) and report > 0):
        raise Refused(ErrorCode.BAD_VALUE, "report: a report number")
    await request.app[MODERATION].act(given)
    if report is not None:
        await request.app[STORE].close_report(report, session.actor, given.action, time.time())
    return ok({"sanction": given.to_json()})


@operator(Power.MODERATE)
async def get_words(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    return ok({"words": list(await request.app[STORE].chat_words())})


@operator(Power.MODERATE)
async def put_words(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    words = _fields(await json_body(request), "words")["words"]
    try:
        cleaned = clean_words(words if isinstance(words, list) else [None])
    except ValueError as exc:
        raise Refused(ErrorCode.BAD_VALUE, str(exc)) from None
    await request.app[MODERATION].set_words(cleaned, session.actor)
    return ok({"words": list(cleaned)})


@operator(Power.MODERATE)
async def hide_booth(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    hidden = _fields(await json_body(request), "hidden")["hidden"]
    if not isinstance(hidden, bool):
        raise Refused(ErrorCode.BAD_VALUE, "hidden must be true or false")
    record = await request.app[BOOTHS].set_hidden(
        request.match_info["slot"], hidden, time.time(), session.actor
    )
    return ok({"slot": record.slot, "hidden": record.hidden, "version": record.version})


# -- owners and the audit log (admin) --------------------------------------------------------


@operator(Power.REVOKE_OWNER)
async def owners(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    shops = await request.app[STORE].owners()
    return ok(
        {
            "owners": [
                {
                    "shop_id": o.shop_id,
                    "name": o.name,
                    "slots": list(o.slots),
                    "revoked_at": o.revoked_at,
                }
                for o in shops
            ]
        }
    )


@operator(Power.REVOKE_OWNER)
async def revoke_owner(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    shop_id = request.match_info["shop_id"]
    now = time.time()
    store = request.app[STORE]
    released = await store.revoke_shop(shop_id, now)
    await store.note_action(session.actor, "revoke_owner", None, shop_id, now)
    for slot in released:
        await request.app[BOOTHS].refresh(slot)
    return ok({"shop_id": shop_id, "slots": list(released)})


@operator(Power.AUDIT)
async def audit(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    after, limit = request.query.get("after", "0"), request.query.get("limit", "200")
    if not (_COUNT.match(after) and _COUNT.match(limit) and 1 <= int(limit) <= 1000):
        raise Refused(ErrorCode.BAD_VALUE, "after and limit must be whole numbers (limit ≤ 1000)")
    actions = await request.app[STORE].owner_actions(after=int(after), limit=int(limit))
    return ok({"actions": [a.to_json() for a in actions]})


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("POST", "/api/admin/login", login),
    ("POST", "/api/admin/logout", logout),
    ("GET", "/api/admin/me", me),
    ("GET", "/api/admin/reports", reports),
    ("POST", "/api/admin/reports/{seq}/close", close_report),
    ("POST", "/api/admin/sanctions", sanction),
    ("GET", "/api/admin/words", get_words),
    ("PUT", "/api/admin/words", put_words),
    ("POST", "/api/admin/booths/{slot}/hide", hide_booth),
    ("GET", "/api/admin/owners", owners),
    ("POST", "/api/admin/owners/{shop_id}/revoke", revoke_owner),
    ("GET", "/api/admin/audit", audit),
)
"""Every console API route (the authorization matrix test walks this table)."""


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/admin", page)
    r.add_get("/admin/login", page)
    r.add_get("/admin/static/{name}", page_asset)
    for method, path, handler in ROUTES:
        r.add_route(method, path, handler)
