"""Courses: short lessons to read and quests of the scene to complete. Sans-I/O.

A visitor's standing in a course is the lessons they marked read (kept by the store, once
each) and the course's quests they completed (the quests' own progress, in *any* version: an
author who edits a quest's steps does not take a finished course step away). A course is
complete when every lesson is read and every quest completed; completing it is kept once, with
its "completed" statement, and earns the course's badge.

Order: in an ``ordered`` course each lesson opens once the ones before it are read (reading
ahead is refused ``lesson_locked``; reading again is always allowed and changes nothing); in a
``free`` course any lesson may be read at any time. Quests are the street's: they are done on
the street in whatever order their own rules allow, before or after the lessons.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Course, Lesson
from srichan_world.world.quests import QuestState


@dataclass(frozen=True)
class CourseState:
    """What the store keeps of one visitor in one course."""

    lessons: frozenset[str] = frozenset()
    """The ids of the lessons read (ids the course no longer has are ignored)."""
    completed_at: float | None = None


class CourseBook:
    """The scene's courses, looked up by id and by the quests they name."""

    def __init__(self, courses: Iterable[Course]) -> None:
        self._by_id = {c.id: c for c in courses}

    def __iter__(self) -> Iterator[Course]:
        return iter(self._by_id.values())

    def __bool__(self) -> bool:
        return bool(self._by_id)

    def course(self, course_id: str) -> Course:
        found = self._by_id.get(course_id)
        if found is None:
            raise Refused(ErrorCode.UNKNOWN_COURSE, f"no course {course_id!r}")
        return found

    def with_quests(self, quest_ids: Iterable[str]) -> tuple[Course, ...]:
        """The courses naming any of ``quest_ids``."""
        wanted = set(quest_ids)
        return tuple(c for c in self._by_id.values() if wanted.intersection(c.quests))


def lesson_of(course: Course, lesson_id: str) -> Lesson:
    for lesson in course.lessons:
        if lesson.id == lesson_id:
            return lesson
    raise Refused(ErrorCode.UNKNOWN_LESSON, f"course {course.id!r} has no lesson {lesson_id!r}")


def check_open(course: Course, lesson: Lesson, state: CourseState) -> None:
    """Refuse reading ``lesson`` ahead of its turn in an ordered course."""
    if course.order != "ordered" or lesson.id in state.lessons:
        return
    for earlier in course.lessons:
        if earlier.id == lesson.id:
            return
        if earlier.id not in state.lessons:
            raise Refused(
                ErrorCode.LESSON_LOCKED,
                f"read the lesson {earlier.id!r} of this course first",
            )


def lessons_read(course: Course, state: CourseState) -> tuple[str, ...]:
    """The course's lessons read, in the course's order."""
    return tuple(x.id for x in course.lessons if x.id in state.lessons)


def quests_done(course: Course, quests: Mapping[str, QuestState]) -> tuple[str, ...]:
    """The course's quests completed in any version (``quests`` by ``id@version``), in the
    course's order."""
    completed = {key.partition("@")[0] for key, s in quests.items() if s.completed_at is not None}
    return tuple(q for q in course.quests if q in completed)


def is_complete(course: Course, state: CourseState, quests: Mapping[str, QuestState]) -> bool:
    """Every lesson read and every quest completed (or completed before: kept for good)."""
    if state.completed_at is not None:
        return True
    return len(lessons_read(course, state)) == len(course.lessons) and len(
        quests_done(course, quests)
    ) == len(course.quests)
