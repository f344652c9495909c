"""Courses on the street: reading lessons, the visitor's standing, completion. Sans-I/O.

:class:`CourseDesk` answers ``lesson_read`` and ``courses_get`` with programs (see
:mod:`srichan_world.street.steps`) and hears of every quest a visitor completes (from
:class:`~srichan_world.street.learning.LearningDesk`). The rules are in
:mod:`srichan_world.world.courses`; here they meet the store.

Once each: a lesson read and a course completed are kept by the store once per visitor (the
step answers whether this was the first time), and only that first time does the statement go
to the LRS; reading a lesson again answers the same standing and changes nothing.

Nothing earned is lost: should the store fail between the last lesson (or quest) and the
completion, the next ``courses_get`` (the wallet asks after every welcome) finds the course
complete by the rules and completes it then; its badge follows the same way as a quest's
(:class:`~srichan_world.street.badges.BadgeDesk`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from srichan_world.errors import Refused
from srichan_world.protocol.messages import (
    CourseProgress,
    Courses,
    CourseStanding,
    Error,
    Message,
)
from srichan_world.scene.model import Course
from srichan_world.street.badges import BadgeDesk
from srichan_world.street.steps import (
    CompleteCourse,
    MarkLessonRead,
    Outcome,
    Program,
    ReadCourseProgress,
    ReadQuestProgress,
    StoreUnavailable,
)
from srichan_world.world import xapi
from srichan_world.world.badges.achievements import achievement_id
from srichan_world.world.courses import (
    CourseBook,
    CourseState,
    check_open,
    is_complete,
    lesson_of,
    lessons_read,
    quests_done,
)
from srichan_world.world.quests import QuestState, QuestUpdate


class CourseDesk:
    """The scene's courses and the programs that read, list and complete them."""

    def __init__(self, book: CourseBook, badges: BadgeDesk | None = None) -> None:
        self.book = book
        self.badges = badges
        """Issues the badge of each course completed (``None``: a street without badges)."""

    def read(self, visitor_id: str, course_id: str, lesson_id: str, now: float) -> Program[Outcome]:
        """Mark a lesson read; the standing goes to every tab of the visitor, with the
        course's badge when this lesson completed it."""
        try:
            course = self.book.course(course_id)
            lesson = lesson_of(course, lesson_id)
            states: dict[str, CourseState] = yield ReadCourseProgress(visitor_id)
            state = states.get(course.id, CourseState())
            check_open(course, lesson, state)
        except Refused as exc:
            return Outcome([Error(int(exc.refusal.code), exc.refusal.detail)])
        statement = xapi.experienced_statement(visitor_id, course, lesson, now)
        first: bool = yield MarkLessonRead(visitor_id, course.id, lesson.id, statement, now)
        done = Outcome(statements=[statement] if first else [])
        state = CourseState(state.lessons | {lesson.id}, state.completed_at)
        quests: dict[str, QuestState] = yield ReadQuestProgress(visitor_id)
        told = yield from self._settle(visitor_id, course, state, quests, now, done.statements)
        done.replies = told
        done.tell = [(visitor_id, m) for m in told]
        return done

    def standings(self, visitor_id: str, now: float) -> Program[Outcome]:
        """Every course's standing, completing (once) any course the rules find complete
        but the store does not yet (its completion met an outage)."""
        states: dict[str, CourseState] = yield ReadCourseProgress(visitor_id)
        quests: dict[str, QuestState] = yield ReadQuestProgress(visitor_id)
        done = Outcome()
        rows: list[CourseStanding] = []
        for course in self.book:
            state = states.get(course.id, CourseState())
            told = yield from self._settle(visitor_id, course, state, quests, now, done.statements)
            progress = told[0]
            assert isinstance(progress, CourseProgress)
            rows.append(progress.course)
            done.tell += [(visitor_id, m) for m in told[1:]]
            done.replies += told[1:]
        done.replies.insert(0, Courses(tuple(rows)))
        return done

    def quests_completed(
        self,
        visitor_id: str,
        updates: Iterable[QuestUpdate],
        quests: Mapping[str, QuestState],
        now: float,
        statements: list[dict[str, Any]],
    ) -> Program[list[Message]]:
        """The standing of each course naming a quest just completed (``quests``: the
        visitor's progress after it), completing the course when that was its last step.
        Never holds up the answer that completed the quest: on an outage, the next
        ``courses_get`` completes the course."""
        courses = self.book.with_quests(u.quest_id for u in updates if u.just_completed)
        if not courses:
            return []
        told: list[Message] = []
        try:
            states: dict[str, CourseState] = yield ReadCourseProgress(visitor_id)
            for course in courses:
                state = states.get(course.id, CourseState())
                told += yield from self._settle(visitor_id, course, state, quests, now, statements)
        except (StoreUnavailable, Refused):
            pass
        return told

    def _settle(
        self,
        visitor_id: str,
        course: Course,
        state: CourseState,
        quests: Mapping[str, QuestState],
        now: float,
        statements: list[dict[str, Any]],
    ) -> Program[list[Message]]:
        """The course's standing, first completing it (once) when the rules say it is
        complete: ``[course_progress, badge_earned?]``."""
        earned: list[Message] = []
        if state.completed_at is None and is_complete(course, state, quests):
            statement = xapi.course_completed_statement(visitor_id, course, now)
            first: bool = yield CompleteCourse(visitor_id, course.id, statement, now)
            if first:
                statements.append(statement)
            state = CourseState(state.lessons, now)
            if self.badges is not None:
                course_badge = achievement_id("course", course.id)
                badge = yield from self.badges.grant(visitor_id, course_badge, now, statements)
                earned += [badge] if badge is not None else []
        return [CourseProgress(standing(course, state, quests)), *earned]


def standing(
    course: Course, state: CourseState, quests: Mapping[str, QuestState]
) -> CourseStanding:
    return CourseStanding(
        course=course.id,
        lessons=lessons_read(course, state),
        quests=quests_done(course, quests),
        completed=state.completed_at is not None,
    )
