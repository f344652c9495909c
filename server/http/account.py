"""Accounts people keep, over HTTP: a visitor's recovery code (and its QR) and restoring an
identity from one on another device (srichan_world/world/recovery.py says why the code is the
identity itself and the server keeps nothing for it).

Both requests carry the credentials in the JSON body, never in a cookie, so a page on another
site gains nothing by sending them (there is no ambient authority to ride); they must still
name this site in ``Origin``, like every other changing request. Both are rate-limited per
client address (``ACCOUNT_RATES``); an unknown visitor and a wrong secret get one answer.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from server.client_address import client_address
from server.http.replies import (
    forbidden_cross_site,
    json_body,
    ok,
    refusal_response,
    same_origin,
)
from server.integrations.images import qr_svg
from server.keys import ACCOUNT_LIMITS, SETTINGS, STORE
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.limits import ACCOUNT_RATES
from srichan_world.world import recovery
from srichan_world.world.admission import address_key
from srichan_world.world.ratelimit import BucketTable


def add_routes(app: web.Application) -> None:
    app[ACCOUNT_LIMITS] = {k: BucketTable(r.rate, r.burst) for k, r in ACCOUNT_RATES.items()}
    app.router.add_post("/api/account/recovery", show_code)
    app.router.add_post("/api/account/restore", restore)


def _limit(request: web.Request, kind: str) -> None:
    address = client_address(request, request.app[SETTINGS].trusted_proxies)
    if not request.app[ACCOUNT_LIMITS][kind].take(address_key(address), time.monotonic()):
        raise Refused(ErrorCode.RATE_LIMITED, "too many recovery requests from this address")


async def _body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Refused(ErrorCode.BAD_VALUE, "the request body must be a JSON object")
    return body


async def _known(request: web.Request, visitor_id: object, secret: object) -> None:
    """The store knows this visitor with this secret; one ``RECOVERY_UNKNOWN`` otherwise."""
    try:
        if not isinstance(visitor_id, str) or not isinstance(secret, str):
            raise Refused(ErrorCode.BAD_IDENTITY, "visitor_id and visitor_secret must be text")
        await request.app[STORE].authenticate_visitor(visitor_id, secret)
    except Refused as exc:
        if exc.code != ErrorCode.BAD_IDENTITY:
            raise
        raise Refused(ErrorCode.RECOVERY_UNKNOWN, "no visitor here has this code") from None


async def show_code(request: web.Request) -> web.StreamResponse:
    """The visitor's own code and its QR (SVG text), for the credentials in the body."""
    if not same_origin(request):
        return forbidden_cross_site("คำขอนี้ต้องมาจากหน้าเว็บของถนนศรีจันทร์เท่านั้น")
    try:
        _limit(request, "recovery_show")
        body = await _body(request)
        visitor_id, secret = body.get("visitor_id"), body.get("visitor_secret")
        await _known(request, visitor_id, secret)
        code = recovery.encode(str(visitor_id), str(secret))
        if code is None:
            raise Refused(ErrorCode.RECOVERY_UNKNOWN, "this identity is not in a form with a code")
    except Refused as exc:
        return refusal_response(ErrorCode(exc.code), exc.refusal.detail)
    return ok({"code": code, "qr_svg": qr_svg(code.replace("-", "")).decode("utf-8")})


async def restore(request: web.Request) -> web.StreamResponse:
    """The identity a typed or scanned code holds, once the store confirms it is a visitor."""
    if not same_origin(request):
        return forbidden_cross_site("คำขอนี้ต้องมาจากหน้าเว็บของถนนศรีจันทร์เท่านั้น")
    try:
        visitor_id, secret = recovery.decode((await _body(request)).get("code"))
        _limit(request, "recovery_restore")  # only codes that pass the check ask the store
        await _known(request, visitor_id, secret)
    except Refused as exc:
        return refusal_response(ErrorCode(exc.code), exc.refusal.detail)
    return ok({"visitor_id": visitor_id, "visitor_secret": secret})
