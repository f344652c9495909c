"""What the owner page and the console share: refusals in one JSON shape, security headers,
bounded JSON bodies, and sessions with their CSRF defence.

A signed-in page (an owner's, an operator's) holds a session cookie (``HttpOnly``,
``SameSite=Strict``, ``Secure`` behind TLS, its own name and path) whose secret the store
keeps only as a hash. Every request that changes something must also come from this site
(``Origin`` names this host) and carry the session's CSRF token in ``X-CSRF-Token``: a token
derived from the session secret (srichan_world/world/owners.py ``csrf_token``), which only the
page itself can read (from its ``/me`` answer), so another site cannot forge it.

Refusals are JSON ``{"error", "code", "th", "en"}``: the status comes from the code.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from server.client_address import is_https
from server.http.bodies import BodyTooLarge, read_body
from server.keys import SETTINGS
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.owners import csrf_matches

CSRF_HEADER = "X-CSRF-Token"
JSON_MAX_BYTES = 64 * 1024
JSON_DIGITS_MAX = 20
"""A JSON number with more digits is read as infinity (every field then refuses it by name)
instead of Python's ``ValueError`` for the whole body past 4,300 digits."""
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

STATUS = {
    ErrorCode.SIGN_IN_INVALID: 401,
    ErrorCode.SESSION_INVALID: 401,
    ErrorCode.NOT_BOOTH_OWNER: 403,
    ErrorCode.UNKNOWN_BOOTH: 404,
    ErrorCode.COUPON_UNKNOWN: 409,
    ErrorCode.COUPON_USED: 409,
    ErrorCode.COUPON_EXPIRED: 409,
    ErrorCode.IMAGE_LIMIT: 409,
    ErrorCode.BAD_BOOTH: 422,
    ErrorCode.BAD_IMAGE: 422,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.OPERATOR_LINK_INVALID: 401,
    ErrorCode.OPERATOR_SESSION_INVALID: 401,
    ErrorCode.OPERATOR_ROLE: 403,
    ErrorCode.UNKNOWN_REPORT: 404,
    ErrorCode.UNKNOWN_OPERATOR: 404,
    ErrorCode.RECOVERY_CODE_INVALID: 422,
    ErrorCode.RECOVERY_UNKNOWN: 404,
    ErrorCode.UNKNOWN_QUESTION: 404,
    ErrorCode.UNKNOWN_OPINION: 404,
    ErrorCode.SIGN_IN_REQUIRED: 403,
    ErrorCode.SIGN_IN_UNKNOWN_PROVIDER: 404,
    ErrorCode.SIGN_IN_FAILED: 401,
    ErrorCode.SIGN_IN_IDENTITY_LINKED: 409,
    ErrorCode.SIGN_IN_NO_IDENTITY: 409,
    ErrorCode.SIGN_IN_UNAVAILABLE: 503,
}
THAI = {
    ErrorCode.SIGN_IN_INVALID: "ลิงก์เข้าสู่ระบบนี้ใช้ไม่ได้ (ใช้แล้ว หมดอายุ หรือถูกยกเลิก)",
    ErrorCode.SESSION_INVALID: "กรุณาเข้าสู่ระบบใหม่ด้วยลิงก์ใหม่",
    ErrorCode.NOT_BOOTH_OWNER: "ซุ้มนี้ไม่ใช่ของร้านคุณ",
    ErrorCode.UNKNOWN_BOOTH: "ไม่พบซุ้มนี้",
    ErrorCode.COUPON_UNKNOWN: "ไม่พบคูปองรหัสนี้ของซุ้มนี้",
    ErrorCode.COUPON_USED: "คูปองนี้ใช้ไปแล้ว",
    ErrorCode.COUPON_EXPIRED: "คูปองนี้หมดอายุแล้ว",
    ErrorCode.IMAGE_LIMIT: "รูปของซุ้มนี้เต็มแล้ว กรุณาบันทึกแล้วลองใหม่ภายหลัง",
    ErrorCode.BAD_BOOTH: "ข้อมูลซุ้มไม่ถูกต้อง",
    ErrorCode.RATE_LIMITED: "ทำรายการถี่เกินไป กรุณารอสักครู่",
    ErrorCode.OPERATOR_LINK_INVALID: "ลิงก์เข้าสู่ระบบนี้ใช้ไม่ได้ (ใช้แล้ว หมดอายุ หรือถูกยกเลิก)",
    ErrorCode.OPERATOR_SESSION_INVALID: "กรุณาเข้าสู่ระบบใหม่ด้วยลิงก์ใหม่",
    ErrorCode.OPERATOR_ROLE: "บทบาทของคุณทำรายการนี้ไม่ได้",
    ErrorCode.UNKNOWN_REPORT: "ไม่พบรายงานนี้",
    ErrorCode.UNKNOWN_OPERATOR: "ไม่พบผู้ดูแลคนนี้",
    ErrorCode.BAD_VALUE: "ข้อมูลไม่ถูกต้อง",
    ErrorCode.RECOVERY_CODE_INVALID: "รหัสกู้คืนไม่ถูกต้อง กรุณาตรวจดูว่าพิมพ์ครบและถูกทุกตัว",
    ErrorCode.RECOVERY_UNKNOWN: "ไม่พบผู้มาเยือนของรหัสกู้คืนนี้",
    ErrorCode.UNKNOWN_QUESTION: "ไม่พบคำถามนี้",
    ErrorCode.UNKNOWN_OPINION: "ไม่พบความคิดเห็นนี้",
    ErrorCode.SIGN_IN_REQUIRED: "โปรโมชันนี้สำหรับผู้ที่เข้าสู่ระบบแล้ว กรุณาเข้าสู่ระบบที่กระเป๋า",
    ErrorCode.SIGN_IN_UNKNOWN_PROVIDER: "ไม่มีช่องทางเข้าสู่ระบบนี้",
    ErrorCode.SIGN_IN_FAILED: "เข้าสู่ระบบไม่สำเร็จ กรุณาลองใหม่อีกครั้ง",
    ErrorCode.SIGN_IN_IDENTITY_LINKED: "ตัวตนบนเครื่องนี้เชื่อมกับบัญชีอื่นอยู่แล้ว",
    ErrorCode.SIGN_IN_NO_IDENTITY: "กรุณาเข้าชมถนนก่อน แล้วจึงเข้าสู่ระบบ",
    ErrorCode.SIGN_IN_UNAVAILABLE: "ติดต่อผู้ให้บริการเข้าสู่ระบบไม่ได้ กรุณาลองใหม่ภายหลัง",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def secure(response: web.StreamResponse) -> web.StreamResponse:
    response.headers.update(SECURITY_HEADERS)
    return response


def ok(body: Any, status: int = 200) -> web.Response:
    response = web.json_response(body, status=status, dumps=dumps)
    secure(response)
    return response


def refusal_response(code: ErrorCode, detail: str, **extra: Any) -> web.Response:
    body = {
        "error": code.name.lower(),
        "code": int(code),
        "th": THAI.get(code, "คำขอถูกปฏิเสธ"),
        "en": detail,
        **extra,
    }
    return ok(body, status=STATUS.get(code, 400))


def refused(error: str, th: str, en: str, status: int, **headers: str) -> web.Response:
    """A refusal that no protocol error code names (it concerns HTTP only), same JSON shape."""
    body = {"error": error, "code": 0, "th": th, "en": en}
    return web.json_response(
        body, status=status, dumps=dumps, headers={**SECURITY_HEADERS, **headers}
    )


def too_slow() -> web.Response:
    th, en = "ส่งข้อมูลช้าเกินไป กรุณาลองใหม่", "the request body came too slowly; try again"
    response = refused("request_timeout", th, en, 408)
    response.force_close()
    return response


def same_origin(request: web.Request) -> bool:
    """A browser names the page's site in ``Origin`` on every POST/PUT; it must be ours."""
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc == request.host


def forbidden_cross_site(th: str = "คำขอนี้ต้องมาจากหน้าเว็บของร้านเท่านั้น") -> web.Response:
    return refused("cross_site", th, "this request must come from this site's own page", 403)


def csrf_refusal(request: web.Request, secret: str) -> bool:
    """Whether a request must be refused as cross-site: one that changes something without
    our ``Origin`` or without the session's CSRF token."""
    if request.method in ("GET", "HEAD"):
        return False
    return not same_origin(request) or not csrf_matches(
        secret, request.headers.get(CSRF_HEADER, "")
    )


def set_session_cookie(
    response: web.StreamResponse, request: web.Request, name: str, secret: str, **cookie: Any
) -> None:
    """The session cookie: ``HttpOnly``, ``SameSite=Strict``, ``Secure`` behind TLS."""
    trusted = request.app[SETTINGS].trusted_proxies
    response.set_cookie(
        name,
        secret,
        httponly=True,
        samesite="Strict",
        secure=is_https(request, trusted),
        **cookie,
    )


async def json_body(request: web.Request, too_large: ErrorCode = ErrorCode.BAD_VALUE) -> Any:
    """The body as JSON, within the size and the time allowed; ``Refused`` otherwise."""
    try:
        data = await read_body(request, JSON_MAX_BYTES, request.app[SETTINGS].body_timeout_s)
    except BodyTooLarge:
        raise Refused(too_large, f"the request is over {JSON_MAX_BYTES} bytes") from None
    try:
        return json.loads(data.decode("utf-8"), parse_int=_bounded_int)
    except (UnicodeDecodeError, ValueError):
        raise Refused(ErrorCode.BAD_VALUE, "the request body is not JSON") from None


def _bounded_int(digits: str) -> int | float:
    if len(digits) > JSON_DIGITS_MAX:
        return -math.inf if digits.startswith("-") else math.inf
    return int(digits)
