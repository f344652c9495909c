"""What the city gives badges for: one :class:`Achievement` per quest, per course and per
event of the scene (attending it).

An achievement's id is ``<kind>-<source id>`` (``quest-heritage-walk``), stable across scene
builds while the quest keeps its id, so its URL stays the same for every badge ever issued.
Names and texts are Thai first, English second; Open Badges carries one string per field, so
both languages go into that string, Thai first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from srichan_world.scene.model import Course, Event, Quest, Text

KINDS = ("quest", "course", "event")
"""What a credential may be about: a completed quest or course, an event attended."""
ACHIEVEMENT_ID = re.compile(r"^(quest|course|event)-[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Achievement:
    id: str
    kind: str
    source: str
    """The quest (course, event) id in the scene."""
    name: Text
    description: Text
    criteria: Text


def achievement_id(kind: str, source: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    return f"{kind}-{source}"


def quest_achievement(quest: Quest) -> Achievement:
    steps = len(quest.steps)
    order_th = "ตามลำดับ" if quest.order == "ordered" else "ในลำดับใดก็ได้"
    order_en = "in order" if quest.order == "ordered" else "in any order"
    return Achievement(
        id=achievement_id("quest", quest.id),
        kind="quest",
        source=quest.id,
        name=quest.title,
        description=quest.description,
        criteria=Text(
            th=f"ทำภารกิจ “{quest.title.th}” บนถนนศรีจันทร์เสมือนครบทั้ง {steps} ขั้น {order_th}: "
            "ไปเยือนสถานที่และตอบคำถามให้ถูก",
            en=f"Complete all {steps} steps of the quest “{quest.title.en}” on the virtual "
            f"Sri Chan Road {order_en}: visit the places and answer the questions correctly.",
        ),
    )


def course_achievement(course: Course) -> Achievement:
    lessons, quests = len(course.lessons), len(course.quests)
    return Achievement(
        id=achievement_id("course", course.id),
        kind="course",
        source=course.id,
        name=course.title,
        description=course.description,
        criteria=Text(
            th=f"เรียนหลักสูตร “{course.title.th}” บนถนนศรีจันทร์เสมือนจนจบ: "
            f"อ่านบทเรียนครบทั้ง {lessons} บท และทำภารกิจของหลักสูตรสำเร็จทั้ง {quests} ภารกิจ",
            en=f"Finish the course “{course.title.en}” on the virtual Sri Chan Road: read all "
            f"{lessons} lessons and complete all {quests} of its quests.",
        ),
    )


def event_achievement(event: Event) -> Achievement:
    return Achievement(
        id=achievement_id("event", event.id),
        kind="event",
        source=event.id,
        name=event.title,
        description=event.description,
        criteria=Text(
            th=f"เข้าร่วมกิจกรรม “{event.title.th}” ของ{event.host.th} บนถนนศรีจันทร์เสมือน "
            "ระหว่างเวลาจัดงาน: เปิดคำถามของกิจกรรมในที่จัดงาน",
            en=f"Attend “{event.title.en}”, hosted by {event.host.en}, on the virtual Sri Chan "
            "Road while it runs: open one of the event's questions at its place.",
        ),
    )


def achievements_of(
    quests: Iterable[Quest], courses: Iterable[Course] = (), events: Iterable[Event] = ()
) -> dict[str, Achievement]:
    """Every achievement of the scene by id (events authored in the scene; an operator's
    event added at run time has none)."""
    found = [
        *(quest_achievement(q) for q in quests),
        *(course_achievement(c) for c in courses),
        *(event_achievement(e) for e in events),
    ]
    return {a.id: a for a in found}


def both(text: Text, sep: str = " · ") -> str:
    """Thai first, then English, in the one string Open Badges has for a field."""
    return text.th if text.th == text.en else f"{text.th}{sep}{text.en}"
