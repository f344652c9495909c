"""The console's data-protection section (Thailand's PDPA): one visitor's data exported or
erased on their request, and the retention of raw records.

Admins only (:attr:`~srichan_world.world.operators.Power.PRIVACY`); same sign-in, CSRF and
audit as the rest of the console (:mod:`server.http.console`). The visitor is named by their
id or by the recovery code they show (checked against the store: a code for nobody here is
refused), always in the request body, never in a URL (a recovery code is a secret, and URLs
end up in logs). An erasure must repeat the visitor id in ``confirm``.

| method | path | power |
|---|---|---|
| GET | ``/api/admin/privacy`` | privacy: the retention and the last purge |
| POST | ``/api/admin/privacy/export`` ``{visitor_id | recovery_code}`` | privacy |
| POST | ``/api/admin/privacy/erase`` ``{visitor_id | recovery_code, confirm}`` | privacy |
| POST | ``/api/admin/privacy/purge`` | privacy: purge now |
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.http.console import operator
from server.http.replies import Handler, json_body, ok, refused
from server.keys import PRIVACY, STORE
from server.services.privacy import PURGE_EVERY_S
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import recovery
from srichan_world.world.operators import OperatorSession, Power
from srichan_world.world.visitors import VISITOR_ID

_UNKNOWN_TH = "ไม่พบข้อมูลของผู้มาเยือนรายนี้ (ไม่เคยมี หรือลบไปแล้ว)"
_UNKNOWN_EN = "the store holds nothing about this visitor (never here, or erased already)"


async def _visitor(request: web.Request, body: Any) -> str:
    """The visitor the body names, by id or by recovery code (checked)."""
    if not isinstance(body, dict):
        raise Refused(ErrorCode.BAD_VALUE, "the body must be a JSON object")
    code, visitor_id = body.get("recovery_code"), body.get("visitor_id")
    if code:
        visitor_id, secret = recovery.decode(code)
        try:
            await request.app[STORE].authenticate_visitor(visitor_id, secret)
        except Refused:
            raise Refused(ErrorCode.RECOVERY_UNKNOWN, "no visitor here has this code") from None
        return visitor_id
    if not isinstance(visitor_id, str) or not VISITOR_ID.match(visitor_id.strip()):
        raise Refused(ErrorCode.BAD_VALUE, "visitor_id: 8-64 of A-Z a-z 0-9 _ -, or a code")
    return visitor_id.strip()


def _unknown(visitor_id: str) -> web.Response:
    return refused("visitor_unknown", _UNKNOWN_TH, f"{visitor_id}: {_UNKNOWN_EN}", 404)


@operator(Power.PRIVACY)
async def settings(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    privacy = request.app[PRIVACY]
    return ok(
        {
            "retention": privacy.retention.to_json(),
            "purge_every_s": PURGE_EVERY_S,
            "last_purge": privacy.last_purge,
        }
    )


@operator(Power.PRIVACY)
async def export(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    visitor_id = await _visitor(request, await json_body(request))
    doc = await request.app[PRIVACY].export(visitor_id, session.actor)
    if not doc["found"]:
        return _unknown(visitor_id)
    response = ok(doc)
    name = f"srichan-visitor-{visitor_id}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@operator(Power.PRIVACY)
async def erase(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    body = await json_body(request)
    visitor_id = await _visitor(request, body)
    if body.get("confirm") != visitor_id:
        raise Refused(ErrorCode.BAD_VALUE, "confirm: type the visitor id again to erase")
    done = await request.app[PRIVACY].erase(visitor_id, session.actor)
    if not done["erased"]:
        return _unknown(visitor_id)
    return ok(done)


@operator(Power.PRIVACY)
async def purge(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    return ok(await request.app[PRIVACY].purge(session.actor))


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/api/admin/privacy", settings),
    ("POST", "/api/admin/privacy/export", export),
    ("POST", "/api/admin/privacy/erase", erase),
    ("POST", "/api/admin/privacy/purge", purge),
)


def add_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
