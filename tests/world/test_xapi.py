"""xAPI statements: the anonymous actor, the choice interaction, deterministic ids."""

from __future__ import annotations

import json
import uuid

from srichan_world.world import xapi
from srichan_world.world.quests import quest_version
from srichan_world.world.quizzes import quiz_version
from tests.world.learning_fixtures import quest, quiz

T = 1_770_000_000.25  # 2026-02-02T02:40:00.250Z


def test_an_answer_statement_describes_the_choice_interaction_in_thai_and_english() -> None:
    q = quiz()
    s = xapi.answered_statement("answer:v:n1", "visitor-aaaa", q, quiz_version(q), 0, False, T)
    assert s["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": "https://srichan.world", "name": "visitor-aaaa"},
    }
    assert s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    definition = s["object"]["definition"]
    assert definition["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
    assert definition["interactionType"] == "choice"
    assert [c["id"] for c in definition["choices"]] == ["choice-0", "choice-1", "choice-2"]
    assert definition["choices"][1]["description"] == {"th-TH": "พ.ศ. 2567", "en-US": "2024"}
    assert definition["correctResponsesPattern"] == ["choice-1"]
    assert definition["name"]["th-TH"].startswith("ขอนแก่น")
    assert s["object"]["id"].endswith(f"/quiz/q-gate/{quiz_version(q)}")
    assert s["result"] == {
        "response": "choice-0",
        "success": False,
        "score": {"scaled": 0.0, "raw": 0, "min": 0, "max": 1},
    }
    assert s["timestamp"] == "2026-02-02T02:40:00.250Z"
    assert json.loads(json.dumps(s, ensure_ascii=False)) == s


def test_a_right_answer_scores_one() -> None:
    q = quiz()
    s = xapi.answered_statement("k", "visitor-aaaa", q, "v", 1, True, T)
    assert s["result"]["success"] is True and s["result"]["score"]["scaled"] == 1.0


def test_statement_ids_are_uuid5_of_the_idempotency_key() -> None:
    a = xapi.statement_id("answer:visitor-aaaa:n1")
    assert a == xapi.statement_id("answer:visitor-aaaa:n1")
    assert a != xapi.statement_id("answer:visitor-aaaa:n2")
    assert uuid.UUID(a).version == 5
    q = quiz()
    s = xapi.answered_statement("answer:visitor-aaaa:n1", "visitor-aaaa", q, "v", 1, True, T)
    assert s["id"] == a


def test_a_quest_completion_statement() -> None:
    qu = quest(steps=(("visit", "city-gate"), ("quiz", "q-gate")))
    s = xapi.completed_statement("quest:v:walk@x", "visitor-aaaa", qu, quest_version(qu), T)
    assert s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert s["object"]["definition"]["name"] == {"th-TH": "เดินเรียนรู้", "en-US": "Learning walk"}
    assert s["result"] == {"success": True, "completion": True}
    assert s["id"] == xapi.statement_id("quest:v:walk@x")
