"""Events over HTTP: the calendar as iCalendar for anyone, and the operators' changes.

* ``GET /events.ics`` and ``GET /events/{id}.ics``: the whole calendar, or one event, as
  iCalendar (``server/integrations/ical.py``);
* ``GET /admin/api/events``: every event in force (the scene's, with the operators' on top);
* ``PUT /admin/api/events/{id}``: create or replace an event (the scene format's fields as
  JSON; times as ISO 8601, Bangkok time unless they carry an offset);
* ``POST /admin/api/events/{id}/cancel``: cancel it (it stays on the calendar as cancelled).

The admin routes take ``Authorization: Bearer <SRICHAN_ADMIN_TOKEN>`` like the rest of the
admin API (``admin_only``); refusals have the usual JSON shape, with ``errors`` by field for
an invalid event (``bad_event``, 422). The console's events section does the same under
``/api/admin/events…`` for an operator with the ``events`` power (admins), with the console's
sign-in, CSRF and audit log (:data:`CONSOLE_ROUTES`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from server.http.bodies import BodyTooLarge, read_body
from server.http.console import operator
from server.http.owner import admin_only
from server.http.replies import Handler, refusal_response
from server.integrations.ical import calendar_ics
from server.keys import EVENTS, SCENE, SETTINGS, STORE
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.events import event_json
from srichan_world.scene.reader import SLUG
from srichan_world.world.events import EventInvalid
from srichan_world.world.operators import OperatorSession, Power

EVENT_MAX_BYTES = 16_384
ICS_TYPE = "text/calendar; charset=utf-8"


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/events.ics", whole_calendar)
    r.add_get("/events/{id}.ics", one_event)
    r.add_get("/admin/api/events", list_events)
    r.add_put("/admin/api/events/{id}", put_event)
    r.add_post("/admin/api/events/{id}/cancel", cancel_event)
    for method, path, handler in CONSOLE_ROUTES:
        r.add_route(method, path, handler)


def _ics(request: web.Request, only: str | None) -> web.Response:
    service = request.app[EVENTS]
    events = list(service.calendar.events.values())
    if only is not None:
        events = [e for e in events if e.id == only]
        if not events:
            response = refusal_response(ErrorCode.UNKNOWN_EVENT, f"no event {only[:64]!r}")
            response.set_status(404)
            return response
    places = {
        lm.id: f"{lm.name.th} · {lm.name.en}" if lm.name.th else lm.id
        for lm in request.app[SCENE].manifest.landmarks
    }
    body = calendar_ics(
        events,
        base_url=f"{request.scheme}://{request.host}",
        places=places,
        sequence=service.version,
        stamp=time.time(),
    )
    name = f"{only}.ics" if only else "srichan-events.ics"
    return web.Response(
        body=body,
        headers={
            "Content-Type": ICS_TYPE,
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "no-cache",
        },
    )


async def whole_calendar(request: web.Request) -> web.StreamResponse:
    return _ics(request, None)


async def one_event(request: web.Request) -> web.StreamResponse:
    return _ics(request, request.match_info["id"])


async def _listing(request: web.Request) -> web.StreamResponse:
    service = request.app[EVENTS]
    events = sorted(service.calendar.events.values(), key=lambda e: e.starts)
    operators = {e.id for e in service.overrides}
    return web.json_response(
        {
            "version": service.version,
            "events": [
                event_json(e) | {"source": "operator" if e.id in operators else "scene"}
                for e in events
            ],
        },
        dumps=_dumps,
    )


async def _put(request: web.Request) -> web.StreamResponse:
    event_id = _event_id(request)
    body = await _json(request)
    try:
        event = await request.app[EVENTS].put(event_id, body, time.time())
    except EventInvalid as exc:
        problems = [p.to_json() for p in exc.problems]
        response = refusal_response(ErrorCode.BAD_EVENT, "the event has problems", errors=problems)
        response.set_status(422)
        return response
    return web.json_response({"event": event_json(event)}, dumps=_dumps)


async def _cancel(request: web.Request) -> web.StreamResponse:
    event_id = _event_id(request)
    try:
        event = await request.app[EVENTS].cancel(event_id, time.time())
    except Refused as exc:
        response = refusal_response(ErrorCode(exc.code), exc.refusal.detail)
        response.set_status(404)
        return response
    return web.json_response({"event": event_json(event)}, dumps=_dumps)


list_events = admin_only(_listing)
put_event = admin_only(_put)
cancel_event = admin_only(_cancel)


async def _audited(
    request: web.Request, session: OperatorSession, verb: str, done: web.StreamResponse
) -> web.StreamResponse:
    if done.status == 200:
        event_id = request.match_info["id"]
        await request.app[STORE].note_action(session.actor, verb, None, event_id, time.time())
    return done


@operator(Power.EVENTS)
async def console_events(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    return await _listing(request)


@operator(Power.EVENTS)
async def console_put_event(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    return await _audited(request, session, "event_put", await _put(request))


@operator(Power.EVENTS)
async def console_cancel_event(
    request: web.Request, session: OperatorSession
) -> web.StreamResponse:
    return await _audited(request, session, "event_cancel", await _cancel(request))


CONSOLE_ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/api/admin/events", console_events),
    ("PUT", "/api/admin/events/{id}", console_put_event),
    ("POST", "/api/admin/events/{id}/cancel", console_cancel_event),
)
"""The console's events section (in the console's authorization matrix test)."""


def _event_id(request: web.Request) -> str:
    event_id = request.match_info["id"]
    if not SLUG.match(event_id):
        raise Refused(ErrorCode.BAD_VALUE, "an event id is 1–48 of a-z 0-9 -")
    return event_id


async def _json(request: web.Request) -> Any:
    timeout = request.app[SETTINGS].body_timeout_s
    try:
        data = await read_body(request, EVENT_MAX_BYTES, timeout)
    except BodyTooLarge:
        raise Refused(ErrorCode.BAD_VALUE, f"the request is over {EVENT_MAX_BYTES} bytes") from None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused(ErrorCode.BAD_VALUE, "the request body is not JSON") from None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
