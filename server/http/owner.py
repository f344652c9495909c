"""HTTP for shop owners and the admin: the owner page, its JSON API, booth photos, coupon QR.

Owners sign in once with the link an admin gave them; after that a session cookie
(``HttpOnly``, ``SameSite=Strict``, path ``/owner``) says who they are. Every request that
changes something must also come from this site (its ``Origin`` names this host) and carry the
session's CSRF token in ``X-CSRF-Token``, which only the owner's own page can read (from
``GET /owner/api/me``). The admin API takes ``Authorization: Bearer <SRICHAN_ADMIN_TOKEN>``.

Refusals are JSON ``{"error", "code", "th", "en"}`` (plus ``errors`` by form field for a bad
booth): 401 not signed in, 403 not yours or a cross-site request, 404 unknown, 409 a coupon
refused, 422 invalid (a bad form, a bad or too large picture), 429 too many requests.

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
import json
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from server.integrations.images import MAX_UPLOAD_BYTES, BadImage, qr_svg
from server.keys import BOOTHS, SETTINGS
from server.services.booths import photo_url
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.booths import IMAGE_ID, BoothRecord, Invalid
from srichan_world.world.coupons import CODE, CouponRecord, display_code
from srichan_world.world.owners import SESSION_TTL_S, OwnerSession, csrf_matches, csrf_token

COOKIE = "srichan_owner"
CSRF_HEADER = "X-CSRF-Token"
JSON_MAX_BYTES = 64 * 1024
PAGE_DIR = Path(__file__).parents[1] / "web" / "owner"
_ASSET = re.compile(r"^[a-z0-9-]+\.(js|css|svg)$")
_TYPES = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_STATUS = {
    ErrorCode.SIGN_IN_INVALID: 401,
    ErrorCode.SESSION_INVALID: 401,
    ErrorCode.NOT_BOOTH_OWNER: 403,
    ErrorCode.UNKNOWN_BOOTH: 404,
    ErrorCode.COUPON_UNKNOWN: 409,
    ErrorCode.COUPON_USED: 409,
    ErrorCode.COUPON_EXPIRED: 409,
    ErrorCode.COUPON_OTHER_SHOP: 409,
    ErrorCode.IMAGE_LIMIT: 409,
    ErrorCode.BAD_BOOTH: 422,
    ErrorCode.BAD_IMAGE: 422,
    ErrorCode.RATE_LIMITED: 429,
}
_THAI = {
    ErrorCode.SIGN_IN_INVALID: "ลิงก์เข้าสู่ระบบนี้ใช้ไม่ได้ (ใช้แล้ว หมดอายุ หรือถูกยกเลิก)",
    ErrorCode.SESSION_INVALID: "กรุณาเข้าสู่ระบบใหม่ด้วยลิงก์ใหม่",
    ErrorCode.NOT_BOOTH_OWNER: "ซุ้มนี้ไม่ใช่ของร้านคุณ",
    ErrorCode.UNKNOWN_BOOTH: "ไม่พบซุ้มนี้",
    ErrorCode.COUPON_UNKNOWN: "ไม่พบคูปองรหัสนี้",
    ErrorCode.COUPON_USED: "คูปองนี้ใช้ไปแล้ว",
    ErrorCode.COUPON_EXPIRED: "คูปองนี้หมดอายุแล้ว",
    ErrorCode.COUPON_OTHER_SHOP: "คูปองนี้เป็นของร้านอื่น",
    ErrorCode.IMAGE_LIMIT: "รูปของซุ้มนี้เต็มแล้ว กรุณาบันทึกแล้วลองใหม่ภายหลัง",
    ErrorCode.BAD_BOOTH: "ข้อมูลซุ้มไม่ถูกต้อง",
    ErrorCode.RATE_LIMITED: "ทำรายการถี่เกินไป กรุณารอสักครู่",
}


def _secure(response: web.StreamResponse) -> web.StreamResponse:
    response.headers.update(SECURITY_HEADERS)
    return response


def refusal_response(code: ErrorCode, detail: str, **extra: Any) -> web.Response:
    body = {
        "error": code.name.lower(),
        "code": int(code),
        "th": _THAI.get(code, "คำขอถูกปฏิเสธ"),
        "en": detail,
        **extra,
    }
    response = web.json_response(body, status=_STATUS.get(code, 400), dumps=_dumps)
    _secure(response)
    return response


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _ok(body: Any, status: int = 200) -> web.Response:
    response = web.json_response(body, status=status, dumps=_dumps)
    _secure(response)
    return response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OwnerHandler = Callable[[web.Request, OwnerSession], Awaitable[web.StreamResponse]]


def _refusals(handler: Handler) -> Handler:
    """Turn a refusal, an invalid form or a bad picture into its JSON response."""

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
                dumps=_dumps,
                headers=SECURITY_HEADERS,
            )

    return wrapped


def _same_origin(request: web.Request) -> bool:
    """A browser names the page's site in ``Origin`` on every POST/PUT; it must be ours."""
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc == request.host


def _forbidden_cross_site() -> web.Response:
    return web.json_response(
        {
            "error": "cross_site",
            "code": 0,
            "th": "คำขอนี้ต้องมาจากหน้าเว็บของร้านเท่านั้น",
            "en": "this request must come from the owner page of this site",
        },
        status=403,
        dumps=_dumps,
        headers=SECURITY_HEADERS,
    )


def owner_only(handler: OwnerHandler) -> Handler:
    """Needs a live session; a state-changing method also needs our Origin and the CSRF token."""

    @_refusals
    async def wrapped(request: web.Request) -> web.StreamResponse:
        changing = request.method not in ("GET", "HEAD")
        if changing and not _same_origin(request):
            return _forbidden_cross_site()
        secret = request.cookies.get(COOKIE, "")
        owner = await request.app[BOOTHS].session(secret, time.time())
        if changing and not csrf_matches(secret, request.headers.get(CSRF_HEADER, "")):
            return _forbidden_cross_site()
        return await handler(request, owner)

    return wrapped


def admin_only(handler: Handler) -> Handler:
    @_refusals
    async def wrapped(request: web.Request) -> web.StreamResponse:
        expected = request.app[SETTINGS].admin_token
        offered = request.headers.get("Authorization", "")
        if not expected or not hmac.compare_digest(offered.encode(), f"Bearer {expected}".encode()):
            return web.json_response(
                {
                    "error": "admin_only",
                    "code": 0,
                    "th": "สำหรับผู้ดูแลระบบ",
                    "en": "admin token needed",
                },
                status=401,
                dumps=_dumps,
                headers={**SECURITY_HEADERS, "WWW-Authenticate": "Bearer"},
            )
        return await handler(request)

    return wrapped


async def _json_body(request: web.Request) -> Any:
    data = await request.content.read(JSON_MAX_BYTES + 1)
    if len(data) > JSON_MAX_BYTES:
        raise Refused(ErrorCode.BAD_BOOTH, f"the request is over {JSON_MAX_BYTES} bytes")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused(ErrorCode.BAD_VALUE, "the request body is not JSON") from None


def _slot(request: web.Request) -> str:
    return request.match_info["slot"]


# -- the page --------------------------------------------------------------------------------


async def page(_request: web.Request) -> web.StreamResponse:
    return _secure(web.FileResponse(PAGE_DIR / "index.html"))


async def page_asset(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = PAGE_DIR / name
    if not _ASSET.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    response = web.FileResponse(path, headers={"Content-Type": _TYPES[name.rsplit(".", 1)[1]]})
    return _secure(response)


# -- owner API -------------------------------------------------------------------------------


@_refusals
async def login(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        return _forbidden_cross_site()
    body = await _json_body(request)
    token = body.get("token") if isinstance(body, dict) else None
    service = request.app[BOOTHS]
    secret, owner = await service.sign_in(str(token or ""), request.remote or "?", time.time())
    response = _ok(_me(owner, secret))
    response.set_cookie(
        COOKIE,
        secret,
        max_age=SESSION_TTL_S,
        path="/owner",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    return response


@owner_only
async def logout(request: web.Request, _owner: OwnerSession) -> web.StreamResponse:
    await request.app[BOOTHS].sign_out(request.cookies.get(COOKIE, ""))
    response = _ok({"signed_out": True})
    response.del_cookie(COOKIE, path="/owner")
    return response


@owner_only
async def me(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    return _ok(_me(owner, request.cookies.get(COOKIE, "")))


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
    return _ok(_booth_json(record))


@owner_only
async def put_draft(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    form = await _json_body(request)
    record = await request.app[BOOTHS].save_draft(owner, _slot(request), form, time.time())
    return _ok(_booth_json(record))


@owner_only
async def publish(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    record = await request.app[BOOTHS].publish(owner, _slot(request), time.time())
    return _ok(_booth_json(record))


@owner_only
async def upload_photo(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    service = request.app[BOOTHS]
    service.check_owner(owner, _slot(request))
    declared = request.content_length
    if declared is not None and declared > MAX_UPLOAD_BYTES:
        raise BadImage("ไฟล์ใหญ่เกิน 1 MB", "the file is larger than 1 MB")
    data = await request.content.read(MAX_UPLOAD_BYTES + 1)
    image_id = await service.upload_photo(owner, _slot(request), data, time.time())
    return _ok({"id": image_id, "url": photo_url(image_id)}, status=201)


@owner_only
async def redemptions(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    coupons = await request.app[BOOTHS].redemptions(owner, _slot(request))
    return _ok({"redemptions": [_coupon_json(c) for c in coupons]})


@owner_only
async def verify(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    body = await _json_body(request)
    typed = body.get("code") if isinstance(body, dict) else None
    coupon = await request.app[BOOTHS].verify(owner, _slot(request), str(typed or ""), time.time())
    return _ok({"ok": True, "coupon": _coupon_json(coupon)})


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
    return _ok({"slot": record.slot, "hidden": record.hidden, "version": record.version})


@admin_only
async def audit(request: web.Request) -> web.StreamResponse:
    try:
        after = int(request.query.get("after", "0"))
        limit = int(request.query.get("limit", "100"))
        actions = await request.app[BOOTHS].audit_log(after, limit)
    except ValueError as exc:
        raise Refused(ErrorCode.BAD_VALUE, f"after and limit must be numbers: {exc}") from None
    return _ok({"actions": [a.to_json() for a in actions]})


@admin_only
async def owners(request: web.Request) -> web.StreamResponse:
    shops = await request.app[BOOTHS].owners()
    return _ok(
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
