"""HTTP for shop owners and the admin: the owner page, its JSON API, booth photos, coupon QR.

Owners sign in once with the link an admin gave them; after that a session cookie
(``HttpOnly``, ``SameSite=Strict``, path ``/owner``) says who they are. Every request that
changes something must also come from this site (its ``Origin`` names this host) and carry the
session's CSRF token in ``X-CSRF-Token``, which only the owner's own page can read (from
``GET /owner/api/me``); the cookie, the CSRF check and the refusals are shared with the
city's console (server/http/replies.py). The admin API takes ``Authorization: Bearer
<SRICHAN_ADMIN_TOKEN>``.

Refusals are JSON ``{"error", "code", "th", "en"}`` (plus ``errors`` by form field for a bad
booth): 401 not signed in, 403 not yours or a cross-site request, 404 unknown, 408 a body that
stalled, 409 a coupon refused, 422 invalid (a bad form, a bad or too large picture), 429 too
many requests. A bad form never costs a 500: the rules bound every field before parsing it, and
anything they still let through unparsed is a 422 too. A coupon code that does not exist and
one that belongs to another shop get the same answer, so the counter cannot be used to learn
which codes exist elsewhere (the audit log keeps the real reason for the admin).

| method | path | who |
|---|---|---|
| GET | ``/owner``, ``/owner/login`` | the page (``#<token>`` or ``?token=`` signs in) |
| POST | ``/owner/api/login`` ``{token}`` | anyone with a link |
| POST | ``/owner/api/logout`` | owner |
| GET | ``/owner/api/me`` | owner: shop, slots, CSRF token |
| GET | ``/owner/api/booths/{slot}`` | owner of the slot: draft, published, stock, photos |
| PUT | ``/owner/api/booths/{slot}/draft`` | owner of the slot: the booth form |
| POST | ``/owner/api/booths/{slot}/publish`` | owner of the slot |
| POST | ``/owner/api/booths/{slot}/photos`` | owner of the slot: the picture as the body |
| GET | ``/owner/api/booths/{slot}/redemptions`` | owner of the slot |
| POST | ``/owner/api/booths/{slot}/coupons/verify`` ``{code}`` | owner of the slot |
| GET | ``/booth-images/{id}`` | anyone |
| GET | ``/coupon-qr/{code}.svg`` | anyone |
| POST | ``/admin/api/booths/{slot}/hide`` ``{hidden}`` | admin |
| GET | ``/admin/api/audit?after=&limit=``, ``/admin/api/owners`` | admin |
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from server.client_address import client_address
from server.http.bodies import BodyTooLarge, BodyTooSlow, read_body
from server.http.replies import (
    SECURITY_HEADERS,
    Handler,
    csrf_refusal,
    dumps,
    forbidden_cross_site,
    json_body,
    ok,
    refusal_response,
    refused,
    same_origin,
    secure,
    set_session_cookie,
    too_slow,
)
from server.integrations.images import MAX_UPLOAD_BYTES, BadImage, qr_svg
from server.keys import BOOTHS, SETTINGS
from server.services.booths import photo_url
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.booths import IMAGE_ID, BoothRecord, FieldError, Invalid
from srichan_world.world.coupons import CODE, CouponRecord, display_code
from srichan_world.world.owners import SESSION_TTL_S, OwnerSession, csrf_token

log = logging.getLogger(__name__)

COOKIE = "srichan_owner"
NO_SUCH_COUPON = "no coupon with this code for this booth"
PAGE_DIR = Path(__file__).parents[1] / "web" / "owner"
_COUNT = re.compile(r"^[0-9]{1,12}$")
_ASSET = re.compile(r"^[a-z0-9-]+\.(js|css|svg)$")
_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}

OwnerHandler = Callable[[web.Request, OwnerSession], Awaitable[web.StreamResponse]]


def _refusals(handler: Handler) -> Handler:
    """Turn a refusal, an invalid form, a bad picture or a stalled body into its JSON."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refused as exc:
            return refusal_response(ErrorCode(exc.code), exc.refusal.detail)
        except Invalid as exc:
            return refusal_response(
                ErrorCode.BAD_BOOTH,
                "the booth form has problems",
                errors=[e.to_json() for e in exc.errors],
            )
        except BadImage as exc:
            return web.json_response(
                {
                    "error": "bad_image",
                    "code": int(ErrorCode.BAD_IMAGE),
                    "th": exc.th,
                    "en": exc.en,
                },
                status=422,
                dumps=dumps,
                headers=SECURITY_HEADERS,
            )
        except BodyTooSlow:
            return too_slow()

    return wrapped


def owner_only(handler: OwnerHandler) -> Handler:
    """Needs a live session; a state-changing method also needs our Origin and the CSRF token."""

    @_refusals
    async def wrapped(request: web.Request) -> web.StreamResponse:
        changing = request.method not in ("GET", "HEAD")
        if changing and not same_origin(request):
            return forbidden_cross_site()
        secret = request.cookies.get(COOKIE, "")
        owner = await request.app[BOOTHS].session(secret, time.time())
        if csrf_refusal(request, secret):
            return forbidden_cross_site()
        return await handler(request, owner)

    return wrapped


def admin_only(handler: Handler) -> Handler:
    """The admin token (automation): ``Authorization: Bearer <SRICHAN_ADMIN_TOKEN>``."""

    @_refusals
    async def wrapped(request: web.Request) -> web.StreamResponse:
        if not bearer_ok(request):
            auth = {"WWW-Authenticate": "Bearer"}
            return refused("admin_only", "สำหรับผู้ดูแลระบบ", "admin token needed", 401, **auth)
        return await handler(request)

    return wrapped


def bearer_ok(request: web.Request) -> bool:
    """Whether the request carries the admin token (constant-time compare; none set: never)."""
    expected = request.app[SETTINGS].admin_token
    offered = request.headers.get("Authorization", "")
    return bool(expected) and hmac.compare_digest(offered.encode(), f"Bearer {expected}".encode())


async def _body(request: web.Request, limit: int) -> bytes:
    """The whole body, within the size and the time allowed (``BodyTooLarge``/``BodyTooSlow``)."""
    return await read_body(request, limit, request.app[SETTINGS].body_timeout_s)


async def _json_body(request: web.Request) -> Any:
    return await json_body(request, ErrorCode.BAD_BOOTH)


def _slot(request: web.Request) -> str:
    return request.match_info["slot"]


# -- the page --------------------------------------------------------------------------------


async def page(_request: web.Request) -> web.StreamResponse:
    return secure(web.FileResponse(PAGE_DIR / "index.html"))


async def page_asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = PAGE_DIR / name
    if not _ASSET.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    response = web.FileResponse(path, headers={"Content-Type": _TYPES[name.rsplit(".", 1)[1]]})
    return secure(response)


# -- owner API -------------------------------------------------------------------------------


@_refusals
async def login(request: web.Request) -> web.StreamResponse:
    if not same_origin(request):
        return forbidden_cross_site()
    body = await _json_body(request)
    token = body.get("token") if isinstance(body, dict) else None
    service = request.app[BOOTHS]
    trusted = request.app[SETTINGS].trusted_proxies
    client = client_address(request, trusted)
    secret, owner = await service.sign_in(str(token or ""), client, time.time())
    response = ok(_me(owner, secret))
    set_session_cookie(response, request, COOKIE, secret, max_age=SESSION_TTL_S, path="/owner")
    return response


@owner_only
async def logout(request: web.Request, _owner: OwnerSession) -> web.StreamResponse:
    await request.app[BOOTHS].sign_out(request.cookies.get(COOKIE, ""))
    response = ok({"signed_out": True})
    response.del_cookie(COOKIE, path="/owner")
    return response


@owner_only
async def me(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    return ok(_me(owner, request.cookies.get(COOKIE, "")))


def _me(owner: OwnerSession, secret: str) -> dict[str, Any]:
    return {
        "shop_id": owner.shop_id,
        "name": owner.name,
        "slots": list(owner.slots),
        "csrf": csrf_token(secret),
        "expires_at": owner.expires_at,
    }


@owner_only
async def get_booth(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    record = await request.app[BOOTHS].booth_for(owner, _slot(request))
    return ok(_booth_json(record))


@owner_only
async def put_draft(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    form = await _json_body(request)
    try:
        record = await request.app[BOOTHS].save_draft(owner, _slot(request), form, time.time())
    except Invalid:
        raise
    except (ValueError, ArithmeticError):  # input the rules let through unbounded: still a 422
        log.exception("booth form for %s not caught by the form rules", _slot(request))
        problem = FieldError("", "อ่านข้อมูลฟอร์มไม่ได้", "the form could not be read")
        raise Invalid([problem]) from None
    return ok(_booth_json(record))


@owner_only
async def publish(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    record = await request.app[BOOTHS].publish(owner, _slot(request), time.time())
    return ok(_booth_json(record))


@owner_only
async def upload_photo(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    service = request.app[BOOTHS]
    service.check_owner(owner, _slot(request))
    try:
        data = await _body(request, MAX_UPLOAD_BYTES)
    except BodyTooLarge:
        raise BadImage("ไฟล์ใหญ่เกิน 1 MB", "the file is larger than 1 MB") from None
    image_id = await service.upload_photo(owner, _slot(request), data, time.time())
    return ok({"id": image_id, "url": photo_url(image_id)}, status=201)


@owner_only
async def redemptions(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    coupons = await request.app[BOOTHS].redemptions(owner, _slot(request))
    return ok({"redemptions": [_coupon_json(c) for c in coupons]})


@owner_only
async def verify(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    body = await _json_body(request)
    typed = body.get("code") if isinstance(body, dict) else None
    try:
        coupon = await request.app[BOOTHS].verify(
            owner, _slot(request), str(typed or ""), time.time()
        )
    except Refused as exc:  # unknown and another shop's: one answer, no existence oracle
        if exc.code in (ErrorCode.COUPON_UNKNOWN, ErrorCode.COUPON_OTHER_SHOP):
            raise Refused(ErrorCode.COUPON_UNKNOWN, NO_SUCH_COUPON) from None
        raise
    return ok({"ok": True, "coupon": _coupon_json(coupon)})


def _booth_json(record: BoothRecord) -> dict[str, Any]:
    published = record.published
    return {
        "slot": record.slot,
        "version": record.version,
        "hidden": record.hidden,
        "draft": None if record.draft is None else record.draft.to_json(),
        "published": None if published is None else published.to_json(),
        "issued": dict(record.issued),
        "photos": {p: photo_url(p) for p in sorted(record.photos)},
    }


def _coupon_json(c: CouponRecord) -> dict[str, Any]:
    return {
        "code": display_code(c.code),
        "promotion": c.promotion_id,
        "title": c.title.to_json(),
        "cost": c.cost,
        "issued_at": c.issued_at,
        "expires_at": c.expires_at,
        "used_at": c.used_at,
    }


# -- public pictures -------------------------------------------------------------------------


async def booth_image(request: web.Request) -> web.StreamResponse:
    image_id = request.match_info["id"]
    found = await request.app[BOOTHS].store.image(image_id) if IMAGE_ID.match(image_id) else None
    if found is None:
        raise web.HTTPNotFound()
    content_type, data = found
    return web.Response(
        body=data,
        content_type=content_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


async def coupon_qr(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    if not CODE.match(code):
        raise web.HTTPNotFound()
    return web.Response(
        body=qr_svg(code),
        content_type="image/svg+xml",
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


# -- admin -----------------------------------------------------------------------------------


@admin_only
async def hide(request: web.Request) -> web.StreamResponse:
    body = await _json_body(request)
    hidden = body.get("hidden", True) if isinstance(body, dict) else None
    if not isinstance(hidden, bool):
        raise Refused(ErrorCode.BAD_VALUE, "hidden must be true or false")
    record = await request.app[BOOTHS].set_hidden(_slot(request), hidden, time.time())
    return ok({"slot": record.slot, "hidden": record.hidden, "version": record.version})


@admin_only
async def audit(request: web.Request) -> web.StreamResponse:
    after, limit = request.query.get("after", "0"), request.query.get("limit", "100")
    if not (_COUNT.match(after) and _COUNT.match(limit)):
        raise Refused(ErrorCode.BAD_VALUE, "after and limit must be whole numbers (12 digits)")
    actions = await request.app[BOOTHS].audit_log(int(after), int(limit))
    return ok({"actions": [a.to_json() for a in actions]})


@admin_only
async def owners(request: web.Request) -> web.StreamResponse:
    shops = await request.app[BOOTHS].owners()
    return ok(
        {
            "owners": [
                {
                    "shop_id": o.shop_id,
                    "name": o.name,
                    "slots": list(o.slots),
                    "created_at": o.created_at,
                    "revoked_at": o.revoked_at,
                }
                for o in shops
            ]
        }
    )


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/owner", page)
    r.add_get("/owner/login", page)
    r.add_get("/owner/static/{name}", page_asset)
    r.add_post("/owner/api/login", login)
    r.add_post("/owner/api/logout", logout)
    r.add_get("/owner/api/me", me)
    r.add_get("/owner/api/booths/{slot}", get_booth)
    r.add_put("/owner/api/booths/{slot}/draft", put_draft)
    r.add_post("/owner/api/booths/{slot}/publish", publish)
    r.add_post("/owner/api/booths/{slot}/photos", upload_photo)
    r.add_get("/owner/api/booths/{slot}/redemptions", redemptions)
    r.add_post("/owner/api/booths/{slot}/coupons/verify", verify)
    r.add_get("/booth-images/{id}", booth_image)
    r.add_get("/coupon-qr/{code}.svg", coupon_qr)
    r.add_post("/admin/api/booths/{slot}/hide", hide)
    r.add_get("/admin/api/audit", audit)
    r.add_get("/admin/api/owners", owners)
