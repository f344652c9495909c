"""xAPI statements for quiz answers, quest completions, badges earned, lessons read,
courses completed and events attended.

A learning city reports learning in a standard form: each answer and each completed quest
becomes an xAPI 1.0.3 statement that any Learning Record Store can take. Visitors are
anonymous, so the actor is an account on our home page named by the visitor id. A statement's
id is a UUID derived from the idempotency key of the event it records, so a retried event
yields the same id and a store (or LRS) keeps one copy.
"""

from __future__ import annotations

import uuid
from typing import Any

from srichan_world.scene.model import Course, Event, Lesson, Quest, QuizPoint, Text
from srichan_world.world.periods import iso_timestamp

HOME_PAGE = "https://srichan.world"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
MODULE = "http://adlnet.gov/expapi/activities/module"
EARNED = "http://id.tincanapi.com/verb/earned"
"""The xAPI registry's verb for receiving an award (ADL's own verbs have none)."""
BADGE = "http://activitystrea.ms/schema/1.0/badge"
EXPERIENCED = "http://adlnet.gov/expapi/verbs/experienced"
COURSE = "http://adlnet.gov/expapi/activities/course"
LESSON = "http://adlnet.gov/expapi/activities/lesson"
PLATFORM = "Sri Chan World"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, f"{HOME_PAGE}/xapi/statements")


def statement_id(key: str) -> str:
    """The statement id for an event's idempotency key: same key, same id."""
    return str(uuid.uuid5(NAMESPACE, key))


def quiz_activity_id(quiz_id: str, version: str) -> str:
    """One activity per quiz *version*: a rewritten question is a different interaction."""
    return f"{HOME_PAGE}/activities/quiz/{quiz_id}/{version}"


def quest_activity_id(quest_id: str, version: str) -> str:
    return f"{HOME_PAGE}/activities/quest/{quest_id}/{version}"


def choice_id(index: int) -> str:
    return f"choice-{index}"


def _lang(text: Text) -> dict[str, str]:
    return {"th-TH": text.th, "en-US": text.en}


def _actor(visitor_id: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": HOME_PAGE, "name": visitor_id}}


def _context() -> dict[str, Any]:
    return {"platform": PLATFORM, "language": "th-TH"}


def answered_statement(
    key: str,
    visitor_id: str,
    quiz: QuizPoint,
    version: str,
    choice: int,
    correct: bool,
    now: float,
) -> dict[str, Any]:
    """The statement for one graded answer (``choice`` is the 0-based index chosen)."""
    return {
        "id": statement_id(key),
        "actor": _actor(visitor_id),
        "verb": {"id": ANSWERED, "display": {"en-US": "answered", "th-TH": "ตอบ"}},
        "object": {
            "objectType": "Activity",
            "id": quiz_activity_id(quiz.id, version),
            "definition": {
                "type": INTERACTION,
                "name": _lang(quiz.question),
                "description": _lang(quiz.question),
                "interactionType": "choice",
                "choices": [
                    {"id": choice_id(i), "description": _lang(text)}
                    for i, text in enumerate(quiz.choices)
                ],
                "correctResponsesPattern": [choice_id(quiz.correct)],
            },
        },
        "result": {
            "response": choice_id(choice),
            "success": correct,
            "score": {"scaled": 1.0 if correct else 0.0, "raw": int(correct), "min": 0, "max": 1},
        },
        "context": _context(),
        "timestamp": iso_timestamp(now),
    }


def completed_statement(
    key: str, visitor_id: str, quest: Quest, version: str, now: float
) -> dict[str, Any]:
    """The statement for a completed quest."""
    return {
        "id": statement_id(key),
        "actor": _actor(visitor_id),
        "verb": {"id": COMPLETED, "display": {"en-US": "completed", "th-TH": "สำเร็จ"}},
        "object": {
            "objectType": "Activity",
            "id": quest_activity_id(quest.id, version),
            "definition": {
                "type": MODULE,
                "name": _lang(quest.title),
                "description": _lang(quest.description),
            },
        },
        "result": {"success": True, "completion": True},
        "context": _context(),
        "timestamp": iso_timestamp(now),
    }


def badge_activity_id(achievement_id: str) -> str:
    return f"{HOME_PAGE}/activities/badge/{achievement_id}"


def earned_statement(
    visitor_id: str, achievement_id: str, name: Text, description: Text, now: float
) -> dict[str, Any]:
    """The statement for a badge earned: once per visitor and achievement (its id comes from
    both), like the badge itself."""
    return {
        "id": statement_id(f"badge:{visitor_id}:{achievement_id}"),
        "actor": _actor(visitor_id),
        "verb": {"id": EARNED, "display": {"en-US": "earned", "th-TH": "ได้รับ"}},
        "object": {
            "objectType": "Activity",
            "id": badge_activity_id(achievement_id),
            "definition": {
                "type": BADGE,
                "name": _lang(name),
                "description": _lang(description),
            },
        },
        "context": _context(),
        "timestamp": iso_timestamp(now),
    }


def course_activity_id(course_id: str) -> str:
    return f"{HOME_PAGE}/activities/course/{course_id}"


def _course_activity(course: Course) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": course_activity_id(course.id),
        "definition": {
            "type": COURSE,
            "name": _lang(course.title),
            "description": _lang(course.description),
        },
    }


def experienced_statement(
    visitor_id: str, course: Course, lesson: Lesson, now: float
) -> dict[str, Any]:
    """The statement for a lesson read: once per visitor, course and lesson."""
    return {
        "id": statement_id(f"lesson:{visitor_id}:{course.id}:{lesson.id}"),
        "actor": _actor(visitor_id),
        "verb": {"id": EXPERIENCED, "display": {"en-US": "experienced", "th-TH": "ได้เรียนรู้"}},
        "object": {
            "objectType": "Activity",
            "id": f"{course_activity_id(course.id)}/lesson/{lesson.id}",
            "definition": {"type": LESSON, "name": _lang(lesson.title)},
        },
        "context": _context() | {"contextActivities": {"parent": [_course_activity(course)]}},
        "timestamp": iso_timestamp(now),
    }


def course_completed_statement(visitor_id: str, course: Course, now: float) -> dict[str, Any]:
    """The statement for a course completed: once per visitor and course."""
    return {
        "id": statement_id(f"course:{visitor_id}:{course.id}"),
        "actor": _actor(visitor_id),
        "verb": {"id": COMPLETED, "display": {"en-US": "completed", "th-TH": "สำเร็จ"}},
        "object": _course_activity(course),
        "result": {"success": True, "completion": True},
        "context": _context(),
        "timestamp": iso_timestamp(now),
    }


ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
EVENT = "http://activitystrea.ms/schema/1.0/event"


def event_activity_id(event_id: str) -> str:
    return f"{HOME_PAGE}/activities/event/{event_id}"


def attended_statement(visitor_id: str, event: Event, now: float) -> dict[str, Any]:
    """The statement for attending an event (once per visitor and event: the id says so)."""
    return {
        "id": statement_id(f"attended:{visitor_id}:{event.id}"),
        "actor": _actor(visitor_id),
        "verb": {"id": ATTENDED, "display": {"en-US": "attended", "th-TH": "เข้าร่วม"}},
        "object": {
            "objectType": "Activity",
            "id": event_activity_id(event.id),
            "definition": {
                "type": EVENT,
                "name": _lang(event.title),
                "description": _lang(event.description),
            },
        },
        "context": _context(),
        "timestamp": iso_timestamp(now),
    }


RESPONDED = "http://adlnet.gov/expapi/verbs/responded"
COMMENTED = "http://adlnet.gov/expapi/verbs/commented"
SURVEY = "http://adlnet.gov/expapi/activities/survey"


def dialogue_activity_id(question_id: str) -> str:
    return f"{HOME_PAGE}/activities/dialogue/{question_id}"


def _dialogue_activity(question_id: str, title: Text) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": dialogue_activity_id(question_id),
        "definition": {"type": SURVEY, "name": _lang(title)},
    }


def responded_statement(
    visitor_id: str, question_id: str, title: Text, choice: Text, now: float
) -> dict[str, Any]:
    """A dialogue vote: kept once per visitor and question (a changed vote sends no other)."""
    return {
        "id": statement_id(f"dialogue-vote:{visitor_id}:{question_id}"),
        "actor": _actor(visitor_id),
        "verb": {"id": RESPONDED, "display": {"en-US": "responded", "th-TH": "ลงคะแนน"}},
        "object": _dialogue_activity(question_id, title),
        "result": {"response": choice.en},
        "context": _context(),
        "timestamp": iso_timestamp(now),
    }


def commented_statement(
    visitor_id: str, question_id: str, title: Text, text: str, now: float
) -> dict[str, Any]:
    """A dialogue opinion, as kept (masked): once per visitor and question."""
    return {
        "id": statement_id(f"dialogue-opinion:{visitor_id}:{question_id}"),
        "actor": _actor(visitor_id),
        "verb": {"id": COMMENTED, "display": {"en-US": "commented", "th-TH": "แสดงความเห็น"}},
        "object": _dialogue_activity(question_id, title),
        "result": {"response": text},
        "context": _context(),
        "timestamp": iso_timestamp(now),
    }
