"""HTTP for the console's figures: aggregate JSON under ``/api/admin/figures/…``.

Only the analyst and admin roles hold :attr:`~srichan_world.world.operators.Power.FIGURES`
(no session → 401, another role → 403, as every console route). The figures are computed by
srichan_world/world/figures.py from the store's anonymous per-day counters; groups of under
five visitors (not requests: the ``people:`` counters, ``figures.PEOPLE``) are suppressed
there, before anything leaves the server.

| method | path | power |
|---|---|---|
| GET | ``/api/admin/figures/learning?from=YYYY-MM-DD&to=YYYY-MM-DD`` | figures |
| GET | ``/api/admin/figures/economy?from=YYYY-MM-DD&to=YYYY-MM-DD`` | figures |
| GET | ``/api/admin/figures/inclusion?from=YYYY-MM-DD&to=YYYY-MM-DD`` | figures |
| GET | ``/api/admin/figures/now`` (every live process's visitors: server/now_board.py) | figures |
| GET | ``/api/admin/figures/signals`` (abuse signals, every live process: the same) | figures |
| GET | ``/api/admin/figures/report.html?month=YYYY-MM`` (printable page) | figures |
| GET | ``/api/admin/figures/report.pdf?month=YYYY-MM`` (the same, as a PDF) | figures |

And the owner's figures for a booth of theirs (their session, as every owner route):
``GET /owner/api/booths/{slot}/figures?from=&to=`` — visitors near the booth per day (a day
under five hidden) and coupons bought per day and promotion.

The report pages live under ``/api/admin`` because the console's cookie is scoped there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

from aiohttp import web

from server import reports
from server.http.console import operator
from server.http.owner import owner_only
from server.http.replies import Handler, ok, secure
from server.keys import BOOTHS, NOW, SCENE, STORE
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import figures, inclusion, report
from srichan_world.world.operators import OperatorSession, Power
from srichan_world.world.owners import OwnerSession

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


@operator(Power.FIGURES)
async def now(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    return ok(await request.app[NOW].view())


@operator(Power.FIGURES)
async def signals(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    """The abuse signals of ``/metrics`` for the economy section (srichan_world/world/signals.py):
    no address, no visitor, small groups hidden."""
    return ok(await request.app[NOW].signals_view())


@operator(Power.FIGURES)
async def economy(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    first, last = _range(request)
    store = request.app[STORE]
    daily = await store.usage_by_day(first, last, figures.ECONOMY_DAILY)
    totals = await store.usage_totals(first, last)
    held = await store.outstanding_tokens()
    return ok({"from": first, "to": last, **figures.economy(daily, totals, first, last, held)})


@operator(Power.FIGURES)
async def inclusion_figures(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    first, last = _range(request)
    daily = await request.app[STORE].usage_by_day(first, last, inclusion.KINDS)
    return ok({"from": first, "to": last, **inclusion.inclusion(daily, first, last)})


@owner_only
async def booth_figures(request: web.Request, owner: OwnerSession) -> web.StreamResponse:
    slot = request.match_info["slot"]
    request.app[BOOTHS].check_owner(owner, slot)
    first, last = _range(request)
    kinds = (figures.BOOTH_NEAR, figures.COUPON_ISSUED)
    daily = await request.app[STORE].usage_by_day(first, last, kinds)
    return ok({"slot": slot, "from": first, "to": last, **figures.booth(daily, slot, first, last)})


async def _monthly(request: web.Request) -> report.Report:
    today = figures.day_of(time.time())
    month = request.query.get("month", today[:7])
    try:
        first, last = report.month_range(month)
    except ValueError as exc:
        raise Refused(ErrorCode.BAD_VALUE, str(exc)) from None
    store = request.app[STORE]
    rows = await store.usage_totals(first, last)
    daily = await store.usage_by_day(first, last, figures.ECONOMY_DAILY)
    money = figures.economy(daily, rows, first, last, await store.outstanding_tokens())
    learned = figures.learning(rows, request.app[SCENE].current.manifest)
    return report.monthly(month, learned, money)


@operator(Power.FIGURES)
async def report_html(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    page = reports.html(await _monthly(request))
    return secure(web.Response(text=page, content_type="text/html", charset="utf-8"))


@operator(Power.FIGURES)
async def report_pdf(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    monthly = await _monthly(request)
    body = await asyncio.to_thread(reports.pdf, monthly)  # ~0.1 s of CPU: off the event loop
    name = f"srichan-report-{monthly.month}.pdf"
    headers = {"Content-Disposition": f'inline; filename="{name}"'}
    return secure(web.Response(body=body, content_type="application/pdf", headers=headers))


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/api/admin/figures/learning", learning),
    ("GET", "/api/admin/figures/economy", economy),
    ("GET", "/api/admin/figures/inclusion", inclusion_figures),
    ("GET", "/api/admin/figures/now", now),
    ("GET", "/api/admin/figures/signals", signals),
    ("GET", "/api/admin/figures/report.html", report_html),
    ("GET", "/api/admin/figures/report.pdf", report_pdf),
)
"""Every figures route (the authorization matrix test walks this table)."""


def add_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_get("/owner/api/booths/{slot}/figures", booth_figures)
