"""HTTP for the console's figures: aggregate JSON under ``/api/admin/figures/…``.

Only the analyst and admin roles hold :attr:`~srichan_world.world.operators.Power.FIGURES`
(no session → 401, another role → 403, as every console route). The figures are computed by
srichan_world/world/figures.py from the store's anonymous per-day counters; groups under five
are suppressed there, before anything leaves the server.

| method | path | power |
|---|---|---|
| GET | ``/api/admin/figures/learning?from=YYYY-MM-DD&to=YYYY-MM-DD`` | figures |
"""

from __future__ import annotations

import datetime as dt
import time

from aiohttp import web

from server.http.console import operator
from server.http.replies import Handler, ok
from server.keys import SCENE, STORE
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import figures
from srichan_world.world.operators import OperatorSession, Power

DEFAULT_DAYS = 30
"""With no range given: the last 30 days, today included."""


def _range(request: web.Request) -> tuple[str, str]:
    today = dt.date.fromisoformat(figures.day_of(time.time()))
    first = request.query.get("from", (today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    last = request.query.get("to", today.isoformat())
    try:
        return figures.day_range(first, last)
    except ValueError as exc:
        raise Refused(ErrorCode.BAD_VALUE, str(exc)) from None


@operator(Power.FIGURES)
async def learning(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    first, last = _range(request)
    rows = await request.app[STORE].usage_totals(first, last)
    manifest = request.app[SCENE].current.manifest
    return ok({"from": first, "to": last, **figures.learning(rows, manifest)})


ROUTES: tuple[tuple[str, str, Handler], ...] = (("GET", "/api/admin/figures/learning", learning),)
"""Every figures route (the authorization matrix test walks this table)."""


def add_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
