"""The console's dialogue section over a real app on 127.0.0.1: an admin writes, edits,
closes and exports a question; a moderator hides an opinion; bad input is refused by field."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.keys import STORE
from srichan_world.protocol.limits import DIALOGUE_QUESTIONS_MAX
from srichan_world.world.dialogue import Question
from tests.server.booth_fixtures import BoothSite
from tests.server.console_fixtures import call, console_site
from tests.server.dialogue_fixtures import QUESTION, QUESTION_JSON, seed_dialogue

BASE = "/api/admin/dialogue"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[BoothSite]:
    async with console_site(tmp_path) as s:
        await seed_dialogue(s.app[STORE])
        yield s


async def test_an_admin_writes_closes_and_exports_a_question(site: BoothSite) -> None:
    admin = site.actors["admin-op"]
    walking = QUESTION_JSON | {
        "title": {"th": "ถนนคนเดินศรีจันทร์", "en": "Sri Chan walking street"},
        "options": [],
    }
    status, made = await call(site, "PUT", f"{BASE}/walking-street", admin, walking)
    assert status == 200 and made["id"] == "walking-street" and made["state"] == 1
    status, listed = await call(site, "GET", BASE, admin)
    assert [q["id"] for q in listed["questions"]] == ["light-rail", "walking-street"]

    await site.app[STORE].cast_vote(QUESTION.id, "visitor-0003", 1, {"id": "x"}, 0)
    status, closed = await call(site, "POST", f"{BASE}/light-rail/close", admin)
    assert status == 200 and closed["state"] == 2
    status, exported = await call(site, "GET", f"{BASE}/light-rail/export.json", admin)
    assert [v["votes"] for v in exported["votes"]] == [0, 1, 0]
    assert exported["opinions"][0]["text"] == "ดี" and "visitor_id" not in exported["opinions"][0]
    status, raw = await call(site, "GET", f"{BASE}/light-rail/export.csv", admin)
    assert status == 200 and raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode()[1:])))
    assert rows[0][:5] == ["kind", "number", "text_th", "text_en", "count"]
    assert rows[2][:5] == ["option", "1", "อาจจะใช้", "Maybe", "1"]
    assert rows[4][:3] == ["opinion", "1", "ดี"]
    actions = [a.action for a in await site.app[STORE].owner_actions(limit=100)]
    assert actions[-2:] == ["dialogue_create", "dialogue_close"]


async def test_a_moderator_hides_an_opinion_from_visitors(site: BoothSite) -> None:
    moderator = site.actors["moderator"]
    path = f"{BASE}/light-rail/opinions/1/hide"
    status, hidden = await call(site, "POST", path, moderator, {"hidden": True})
    assert status == 200 and hidden["hidden"] is True
    assert (await site.app[STORE].dialogue_tally("light-rail")).shown() == ()
    status, results = await call(site, "GET", f"{BASE}/light-rail/results", moderator)
    assert results["opinions"][0]["hidden"] is True, "the city still sees it, marked"
    unknown = f"{BASE}/light-rail/opinions/9/hide"
    status, _ = await call(site, "POST", unknown, moderator, {"hidden": True})
    assert status == 404
    status, _ = await call(site, "POST", path, moderator, {"hidden": "yes"})
    assert status == 400


def bad(**changes: Any) -> dict[str, Any]:
    return QUESTION_JSON | changes


BAD_QUESTIONS = {
    "one option": bad(options=[{"th": "ก", "en": "a"}]),
    "seven options": bad(options=[{"th": "ก", "en": "a"}] * 7),
    "neither poll nor opinions": bad(options=[], opinions=False),
    "closes before it opens": bad(closes_at=QUESTION_JSON["opens_at"] - 1),
    "reward over the cap": bad(reward=9),
    "an invisible character": bad(title={"th": "รถ\u200bไฟ", "en": "Rail"}),
    "no English": bad(title={"th": "รถไฟ"}),
    "a long title": bad(title={"th": "ก" * 121, "en": "a"}),
    "not an object": ["light-rail"],
}


@pytest.mark.parametrize("body", BAD_QUESTIONS.values(), ids=list(BAD_QUESTIONS))
async def test_bad_questions_are_refused_by_field(site: BoothSite, body: Any) -> None:
    status, answer = await call(site, "PUT", f"{BASE}/other", site.actors["admin-op"], body)
    assert status == 400 and answer["error"] == "bad_value" and answer["en"], answer
    assert [q.id for q in await site.app[STORE].questions()] == ["light-rail"]


async def test_an_opened_poll_keeps_its_options_and_ids_are_checked(site: BoothSite) -> None:
    admin = site.actors["admin-op"]
    fewer = bad(options=QUESTION_JSON["options"][:2])
    status, answer = await call(site, "PUT", f"{BASE}/light-rail", admin, fewer)
    assert status == 400 and "options" in answer["en"]
    status, _ = await call(site, "PUT", f"{BASE}/Bad_Id!", admin, QUESTION_JSON)
    assert status == 400
    status, _ = await call(site, "POST", f"{BASE}/nothing/close", admin)
    assert status == 404


async def test_the_number_of_questions_is_bounded(site: BoothSite) -> None:
    store = site.app[STORE]
    for i in range(DIALOGUE_QUESTIONS_MAX - 1):
        await store.put_question(Question.from_json(QUESTION_JSON | {"id": f"q{i}"}))
    admin = site.actors["admin-op"]
    status, answer = await call(site, "PUT", f"{BASE}/one-more", admin, QUESTION_JSON)
    assert status == 400 and str(DIALOGUE_QUESTIONS_MAX) in answer["en"]
