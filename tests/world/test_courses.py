"""The course rules with no I/O: lessons in order, completion by lessons and quests, and the
course desk's programs driven by a small in-memory stand-in for the store (each step answered
as the contract says), including replays and an outage in the middle."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import BadgeEarned, CourseProgress, Courses, Error
from srichan_world.scene.model import Course, Lesson, Text
from srichan_world.street.badges import BadgeDesk
from srichan_world.street.courses import CourseDesk
from srichan_world.street.steps import (
    CompleteCourse,
    IssueBadge,
    MarkLessonRead,
    Outcome,
    Program,
    ReadCourseProgress,
    ReadQuestProgress,
    Step,
    StoreUnavailable,
)
from srichan_world.world import xapi
from srichan_world.world.badges.achievements import achievements_of
from srichan_world.world.badges.records import IssuedBadge
from srichan_world.world.courses import (
    CourseBook,
    CourseState,
    check_open,
    is_complete,
    lesson_of,
    quests_done,
)
from srichan_world.world.quests import QuestBook, QuestState, QuestUpdate
from tests.world.learning_fixtures import quest

T0 = 1_778_300_000.0
VID = "visitor-0001"
WALK = quest("walk", steps=(("visit", "gate"), ("quiz", "q-gate")))
MUSEUM = quest("museum", steps=(("visit", "museum"), ("quiz", "q-museum")))


def lesson(lesson_id: str) -> Lesson:
    return Lesson(lesson_id, Text(f"บท {lesson_id}", f"Lesson {lesson_id}"), Text("อ่าน", "Read"))


def course(order: str = "ordered", quests: tuple[str, ...] = ("walk", "museum")) -> Course:
    return Course(
        id="kk101",
        title=Text("ขอนแก่นศึกษา ๑๐๑", "Khon Kaen Studies 101"),
        description=Text("อ่านและเดิน", "Read and walk"),
        order=order,
        lessons=(lesson("one"), lesson("two"), lesson("three")),
        quests=quests,
    )


def done(quest_id: str, version: str = "v1") -> dict[str, QuestState]:
    return {f"{quest_id}@{version}": QuestState(frozenset({0, 1}), completed_at=T0)}


def test_an_ordered_course_opens_its_lessons_one_after_another() -> None:
    c = course()
    check_open(c, lesson_of(c, "one"), CourseState())
    with pytest.raises(Refused) as info:
        check_open(c, lesson_of(c, "two"), CourseState())
    assert (
        info.value.refusal.code == ErrorCode.LESSON_LOCKED and "'one'" in info.value.refusal.detail
    )
    check_open(c, lesson_of(c, "two"), CourseState(frozenset({"one"})))
    check_open(c, lesson_of(c, "two"), CourseState(frozenset({"two"})))  # reading again
    free = course("free")
    check_open(free, lesson_of(free, "three"), CourseState())
    with pytest.raises(Refused) as info:
        lesson_of(c, "four")
    assert info.value.refusal.code == ErrorCode.UNKNOWN_LESSON
    with pytest.raises(Refused) as info:
        CourseBook([c]).course("kk102")
    assert info.value.refusal.code == ErrorCode.UNKNOWN_COURSE


def test_a_course_is_complete_when_every_lesson_is_read_and_every_quest_done() -> None:
    c = course()
    every = CourseState(frozenset({"one", "two", "three", "gone"}))
    quests = done("walk") | done("museum", "old-version")
    assert quests_done(c, quests) == ("walk", "museum"), "any version of a quest counts"
    assert is_complete(c, every, quests)
    assert not is_complete(c, every, done("walk"))
    assert not is_complete(c, CourseState(frozenset({"one", "two"})), quests)
    unfinished = {"walk@v1": QuestState(frozenset({0}))}
    assert quests_done(c, unfinished) == ()
    assert is_complete(c, CourseState(completed_at=T0), {}), "completion is kept for good"
    assert CourseBook([c]).with_quests(["museum"]) == (c,)
    assert CourseBook([c]).with_quests(["other"]) == ()


@dataclass
class FakeStore:
    """Answers each step as the store contract says, in memory."""

    lessons: set[tuple[str, str]] = field(default_factory=set)
    completed: dict[str, float] = field(default_factory=dict)
    quests: dict[str, QuestState] = field(default_factory=dict)
    statements: dict[str, dict[str, Any]] = field(default_factory=dict)
    badges: list[IssuedBadge] = field(default_factory=list)
    down: bool = False

    def apply(self, step: Step) -> object:
        if self.down:
            raise StoreUnavailable("down")
        match step:
            case ReadCourseProgress():
                ids = {c for c, _ in self.lessons} | set(self.completed)
                return {
                    c: CourseState(
                        frozenset(x for k, x in self.lessons if k == c), self.completed.get(c)
                    )
                    for c in ids
                }
            case ReadQuestProgress():
                return dict(self.quests)
            case MarkLessonRead(_, course_id, lesson_id, statement, _):
                first = (course_id, lesson_id) not in self.lessons
                self.lessons.add((course_id, lesson_id))
                self.statements.setdefault(statement["id"], statement)
                return first
            case CompleteCourse(_, course_id, statement, now):
                first = course_id not in self.completed
                self.completed.setdefault(course_id, now)
                self.statements.setdefault(statement["id"], statement)
                return first
            case IssueBadge(grant, statement):
                self.statements.setdefault(statement["id"], statement)
                held = [b for b in self.badges if b.achievement_id == grant.achievement_id]
                if not held:
                    self.badges.append(
                        IssuedBadge(
                            uuid.uuid4().hex,
                            grant.visitor_id,
                            grant.achievement_id,
                            grant.kind,
                            grant.now,
                            len(self.badges),
                            "a.b.c",
                        )
                    )
                return held[0] if held else self.badges[-1]
        raise TypeError(step)

    def run(self, program: Program[Any]) -> Any:
        try:
            step = program.send(None)
            while True:
                try:
                    result = self.apply(step)
                except StoreUnavailable as exc:
                    step = program.throw(exc)
                else:
                    step = program.send(result)
        except StopIteration as stop:
            return stop.value


def desk(c: Course) -> CourseDesk:
    badges = BadgeDesk(achievements_of([WALK, MUSEUM], [c]), QuestBook([WALK, MUSEUM]))
    return CourseDesk(CourseBook([c]), badges)


def verbs(outcome: Outcome) -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[1] for s in outcome.statements]


def test_reading_every_lesson_after_the_quests_completes_the_course_once() -> None:
    c, store = course(), FakeStore()
    store.quests = done("walk") | done("museum")
    d = desk(c)
    first: Outcome = store.run(d.read(VID, "kk101", "one", T0))
    (progress,) = first.replies
    assert isinstance(progress, CourseProgress) and progress.course.lessons == ("one",)
    assert progress.course.quests == ("walk", "museum") and not progress.course.completed
    assert verbs(first) == ["experienced"] and first.tell == [(VID, progress)]
    statement = first.statements[0]
    assert statement["object"]["id"] == f"{xapi.HOME_PAGE}/activities/course/kk101/lesson/one"
    assert statement["context"]["contextActivities"]["parent"][0]["id"].endswith("/course/kk101")

    again: Outcome = store.run(d.read(VID, "kk101", "one", T0 + 5))
    assert again.replies == first.replies and again.statements == [], "a replay: no statement"

    store.run(d.read(VID, "kk101", "two", T0 + 10))
    last: Outcome = store.run(d.read(VID, "kk101", "three", T0 + 20))
    progress, earned = last.replies
    assert isinstance(progress, CourseProgress) and progress.course.completed
    assert isinstance(earned, BadgeEarned) and earned.badge.achievement == "course-kk101"
    assert earned.badge.kind == "course" and earned.badge.name.th == "ขอนแก่นศึกษา ๑๐๑"
    assert verbs(last) == ["experienced", "completed", "earned"]
    assert store.completed == {"kk101": T0 + 20}

    replay: Outcome = store.run(d.read(VID, "kk101", "three", T0 + 30))
    assert [type(m) for m in replay.replies] == [CourseProgress] and replay.statements == []
    kinds = sorted(s["verb"]["display"]["en-US"] for s in store.statements.values())
    assert kinds == ["completed", "earned", "experienced", "experienced", "experienced"]


def test_refusals_change_nothing() -> None:
    c, store = course(), FakeStore()
    d = desk(c)
    for course_id, lesson_id, code in (
        ("nope", "one", ErrorCode.UNKNOWN_COURSE),
        ("kk101", "nope", ErrorCode.UNKNOWN_LESSON),
        ("kk101", "two", ErrorCode.LESSON_LOCKED),
    ):
        out: Outcome = store.run(d.read(VID, course_id, lesson_id, T0))
        (error,) = out.replies
        assert isinstance(error, Error) and error.code == code and out.statements == []
    assert store.lessons == set() and store.statements == {}


def test_the_last_quest_completes_a_course_whose_lessons_were_read() -> None:
    c, store = course(quests=("walk",)), FakeStore()
    store.lessons = {("kk101", x) for x in ("one", "two", "three")}
    d = desk(c)
    update = QuestUpdate("walk", WALK.title, (0, 1), 2, True, True, 50, False)
    kept: list[dict[str, Any]] = []
    told = store.run(d.quests_completed(VID, [update], done("walk"), T0, kept))
    assert [type(m) for m in told] == [CourseProgress, BadgeEarned]
    assert [s["verb"]["display"]["en-US"] for s in kept] == ["completed", "earned"]
    other = QuestUpdate("museum", MUSEUM.title, (0, 1), 2, True, True, 50, False)
    assert store.run(d.quests_completed(VID, [other], done("museum"), T0, [])) == []


def test_an_outage_at_completion_is_made_good_by_courses_get() -> None:
    c, store = course(quests=("walk",)), FakeStore()
    store.lessons = {("kk101", x) for x in ("one", "two", "three")}
    store.quests = done("walk")
    d = desk(c)
    update = QuestUpdate("walk", WALK.title, (0, 1), 2, True, True, 50, False)
    store.down = True
    kept: list[dict[str, Any]] = []
    assert store.run(d.quests_completed(VID, [update], store.quests, T0, kept)) == []
    assert kept == [], "the answer that completed the quest is not held up"
    store.down = False
    out: Outcome = store.run(d.standings(VID, T0 + 60))
    listed, earned = out.replies
    assert isinstance(listed, Courses) and listed.courses[0].completed
    assert isinstance(earned, BadgeEarned) and earned.badge.achievement == "course-kk101"
    assert verbs(out) == ["completed", "earned"] and store.completed == {"kk101": T0 + 60}
    out = store.run(d.standings(VID, T0 + 90))
    assert [type(m) for m in out.replies] == [Courses] and out.statements == []


def test_a_lesson_read_during_an_outage_is_retryable() -> None:
    c, store = course(), FakeStore(down=True)
    with pytest.raises(StoreUnavailable):
        store.run(desk(c).read(VID, "kk101", "one", T0))
    store.down = False
    out: Outcome = store.run(desk(c).read(VID, "kk101", "one", T0))
    assert verbs(out) == ["experienced"]
