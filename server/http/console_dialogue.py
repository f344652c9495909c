"""The console's dialogue section: the city's questions at the Municipality.

Admins (:attr:`~srichan_world.world.operators.Power.DIALOGUE`) write, edit, close and export
questions; moderators read them with every opinion (hidden ones too) and hide an opinion or
show it again. Same sign-in, CSRF and audit as the rest of the console
(:mod:`server.http.console`).

| method | path | power |
|---|---|---|
| GET | ``/api/admin/dialogue`` | moderate: every question |
| PUT | ``/api/admin/dialogue/{id}`` ``{question}`` | dialogue: create or edit |
| POST | ``/api/admin/dialogue/{id}/close`` | dialogue |
| GET | ``/api/admin/dialogue/{id}/results`` | moderate: counts, every opinion |
| POST | ``/api/admin/dialogue/{id}/opinions/{number}/hide`` ``{hidden}`` | moderate |
| GET | ``/api/admin/dialogue/{id}/export.json``, ``…/export.csv`` | dialogue |
"""

from __future__ import annotations

import re
import time

from aiohttp import web

from server.http.console import operator
from server.http.replies import Handler, json_body, ok, secure
from server.keys import STORE
from server.store import Store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.limits import DIALOGUE_QUESTIONS_MAX
from srichan_world.world import dialogue
from srichan_world.world.dialogue import Question
from srichan_world.world.operators import OperatorSession, Power

_NUMBER = re.compile(r"^[0-9]{1,9}$")


async def _question(store: Store, question_id: str) -> Question:
    for q in await store.questions():
        if q.id == question_id:
            return q
    raise Refused(ErrorCode.UNKNOWN_QUESTION, f"no question {question_id}")


@operator(Power.MODERATE)
async def questions(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    now = time.time()
    found = await request.app[STORE].questions()
    return ok({"questions": [q.to_json() | {"state": q.state(now)} for q in found]})


@operator(Power.DIALOGUE)
async def put_question(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    """Create or edit. Once a question has opened its poll keeps its number of options (the
    votes name them by position)."""
    body = await json_body(request)
    if isinstance(body, dict):
        body = body | {"id": request.match_info["id"]}
    try:
        question = Question.from_json(body)
    except ValueError as exc:
        raise Refused(ErrorCode.BAD_VALUE, str(exc)) from None
    store, now = request.app[STORE], time.time()
    held = {q.id: q for q in await store.questions()}
    before = held.get(question.id)
    if before is None and len(held) >= DIALOGUE_QUESTIONS_MAX:
        raise Refused(ErrorCode.BAD_VALUE, f"at most {DIALOGUE_QUESTIONS_MAX} questions")
    opened = before is not None and before.state(now) != dialogue.UPCOMING
    if opened and before is not None and len(before.options) != len(question.options):
        raise Refused(ErrorCode.BAD_VALUE, "options: an opened poll keeps its number of options")
    await store.put_question(question)
    verb = "dialogue_create" if before is None else "dialogue_edit"
    await store.note_action(session.actor, verb, None, question.id, now)
    return ok(question.to_json() | {"state": question.state(now)})


@operator(Power.DIALOGUE)
async def close_question(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    store, now = request.app[STORE], time.time()
    question = (await _question(store, request.match_info["id"])).closed(now)
    await store.put_question(question)
    await store.note_action(session.actor, "dialogue_close", None, question.id, now)
    return ok(question.to_json() | {"state": question.state(now)})


@operator(Power.MODERATE)
async def results(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    store = request.app[STORE]
    question = await _question(store, request.match_info["id"])
    return ok(dialogue.export_json(question, await store.dialogue_tally(question.id)))


@operator(Power.MODERATE)
async def hide_opinion(request: web.Request, session: OperatorSession) -> web.StreamResponse:
    number, hidden = request.match_info["number"], (await json_body(request))
    if not _NUMBER.match(number) or not isinstance(hidden, dict):
        raise Refused(ErrorCode.BAD_VALUE, "an opinion number and {hidden: true|false}")
    flag = hidden.get("hidden")
    if not isinstance(flag, bool):
        raise Refused(ErrorCode.BAD_VALUE, "hidden must be true or false")
    store, now = request.app[STORE], time.time()
    question = await _question(store, request.match_info["id"])
    opinion = await store.hide_opinion(question.id, int(number), flag)
    verb = "opinion_hide" if flag else "opinion_show"
    await store.note_action(session.actor, verb, None, f"{question.id}#{number}", now)
    return ok(opinion.to_json())


@operator(Power.DIALOGUE)
async def export_json(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    store = request.app[STORE]
    question = await _question(store, request.match_info["id"])
    response = ok(dialogue.export_json(question, await store.dialogue_tally(question.id)))
    response.headers["Content-Disposition"] = f'attachment; filename="{question.id}.json"'
    return response


@operator(Power.DIALOGUE)
async def export_csv(request: web.Request, _session: OperatorSession) -> web.StreamResponse:
    store = request.app[STORE]
    question = await _question(store, request.match_info["id"])
    table = dialogue.export_csv(question, await store.dialogue_tally(question.id))
    response = web.Response(
        body=("\ufeff" + table).encode(),  # the byte-order mark: spreadsheets read Thai right
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{question.id}.csv"'},
    )
    return secure(response)


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/api/admin/dialogue", questions),
    ("PUT", "/api/admin/dialogue/{id}", put_question),
    ("POST", "/api/admin/dialogue/{id}/close", close_question),
    ("GET", "/api/admin/dialogue/{id}/results", results),
    ("POST", "/api/admin/dialogue/{id}/opinions/{number}/hide", hide_opinion),
    ("GET", "/api/admin/dialogue/{id}/export.json", export_json),
    ("GET", "/api/admin/dialogue/{id}/export.csv", export_csv),
)
"""The dialogue section's routes (in the console's authorization matrix test)."""


def add_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
