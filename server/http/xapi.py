"""``GET /api/xapi/statements``: the learning record, for the city's analysts and LRS backfills.

Admin only (``Authorization: Bearer <SRICHAN_ADMIN_TOKEN>``); a server with no admin token
configured does not serve it at all (404 that says so). The answer has the shape of an xAPI
``StatementResult``: ``statements``, oldest first, and ``more``, the URL of the next page (empty
when there is nothing more yet), which repeats ``since`` and adds the store's cursor ``after``.

Query: ``since`` (Unix seconds, or an ISO 8601 time with a zone, e.g. ``2026-05-09T00:00:00Z``;
default: the beginning), ``after`` (a cursor from ``more``), ``limit`` (1–1000, default 100).
"""

from __future__ import annotations

import hmac
import json
import math
from datetime import datetime
from functools import partial
from urllib.parse import urlencode

from aiohttp import web

from server.keys import SETTINGS, STORE
from server.store import StoreError
from server.store.base import PAGE_MAX

ROUTE = "/api/xapi/statements"
XAPI_VERSION = "1.0.3"
DEFAULT_LIMIT = 100

_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def add_routes(app: web.Application) -> None:
    app.router.add_get(ROUTE, export_statements)


async def export_statements(request: web.Request) -> web.Response:
    token = request.app[SETTINGS].admin_token
    if not token:
        return _problem(
            404,
            "xapi_export_disabled",
            "the xAPI export is off: start the server with an admin token "
            "(SRICHAN_ADMIN_TOKEN or --admin-token)",
        )
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return _problem(
            401,
            "admin_only",
            "send Authorization: Bearer <admin token>",
            {"WWW-Authenticate": 'Bearer realm="xapi"'},
        )
    query = request.query
    try:
        since = parse_since(query.get("since"))
        limit = _limit(query.get("limit"))
    except ValueError as exc:
        return _problem(400, "bad_query", str(exc))
    after = query.get("after") or None
    try:
        page = await request.app[STORE].statements_since(since, after=after, limit=limit)
    except ValueError as exc:  # a cursor this store never gave out
        return _problem(400, "bad_query", f"after: {exc}")
    except StoreError as exc:
        return _problem(503, "store_unavailable", str(exc))
    more = ""
    if page.next is not None:
        params = {"since": query.get("since", "0"), "after": page.next, "limit": str(limit)}
        more = f"{ROUTE}?{urlencode(params)}"
    return web.json_response(
        {"statements": list(page.statements), "more": more},
        dumps=_dumps,
        headers={"X-Experience-API-Version": XAPI_VERSION, "Cache-Control": "no-store"},
    )


def parse_since(raw: str | None) -> float:
    """Unix seconds from ``since``: a number of seconds or an ISO 8601 time with its zone."""
    if raw is None or raw == "":
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        try:
            stamp = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(
                f"since: {raw[:40]!r} is neither Unix seconds nor an ISO 8601 time"
            ) from None
        if stamp.tzinfo is None:
            raise ValueError("since: give the time zone, e.g. 2026-05-09T00:00:00Z") from None
        return stamp.timestamp()
    if not math.isfinite(seconds):
        raise ValueError("since: must be a finite number of seconds")
    return seconds


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise ValueError(f"limit: {raw[:20]!r} is not a whole number") from None
    if not 1 <= limit <= PAGE_MAX:
        raise ValueError(f"limit: must be 1..{PAGE_MAX}")
    return limit


def _problem(
    status: int, error: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(
        {"error": error, "message": message},
        status=status,
        dumps=_dumps,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
