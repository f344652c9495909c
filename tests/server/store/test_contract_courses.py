"""The courses part of the Store contract (parametrized by ``store_factory``: SQLite, Redis
and a Redis Cluster, all real): a lesson read and a course completed are kept once each with
their statement, however many ask at once, and durably."""

from __future__ import annotations

import asyncio

from server.store import Store
from srichan_world.scene.model import Course, Lesson, Text
from srichan_world.world import xapi
from srichan_world.world.courses import CourseState
from tests.server.store.conftest import T0, StoreFactory

ALICE = "alice-0000001"
BOB = "bob-000000002"
LESSONS = tuple(Lesson(x, Text("บท", "Lesson"), Text("อ่าน", "Read")) for x in ("one", "two"))
COURSE = Course("kk101", Text("ขอนแก่นศึกษา", "KK"), Text("ก", "a"), "ordered", LESSONS, ("walk",))


async def read(store: Store, visitor: str, lesson: Lesson, at: float = T0) -> bool:
    statement = xapi.experienced_statement(visitor, COURSE, lesson, at)
    return await store.read_lesson(visitor, COURSE.id, lesson.id, statement, at)


async def test_a_lesson_is_read_once_however_many_ask_at_once(store: Store) -> None:
    assert await store.course_progress(ALICE) == {}
    firsts = await asyncio.gather(*(read(store, ALICE, LESSONS[0], T0 + i) for i in range(8)))
    assert sorted(firsts) == [False] * 7 + [True]
    assert await read(store, ALICE, LESSONS[1], T0 + 10) is True
    assert await store.course_progress(ALICE) == {
        "kk101": CourseState(frozenset({"one", "two"}), None)
    }
    assert await store.course_progress(BOB) == {}, "one visitor's reading is theirs alone"
    kept = (await store.statements_since(T0 - 1)).statements
    assert [s["verb"]["id"] for s in kept] == [xapi.EXPERIENCED] * 2, "one statement a lesson"


async def test_a_course_is_completed_once_and_kept(store_factory: StoreFactory) -> None:
    store = await store_factory()
    await read(store, ALICE, LESSONS[0])
    statement = xapi.course_completed_statement(ALICE, COURSE, T0 + 60)
    tries = [store.complete_course(ALICE, COURSE.id, statement, T0 + 60 + i) for i in range(6)]
    assert sorted(await asyncio.gather(*tries)) == [False] * 5 + [True]
    assert await store.complete_course(ALICE, COURSE.id, statement, T0 + 999) is False
    progress = (await store.course_progress(ALICE))["kk101"]
    assert progress.lessons == frozenset({"one"}) and progress.completed_at is not None
    assert T0 + 60 <= progress.completed_at < T0 + 66, "the first completion's time stays"
    verbs = [s["verb"]["id"] for s in (await store.statements_since(T0 - 1)).statements]
    assert verbs == [xapi.EXPERIENCED, xapi.COMPLETED]
    reopened = await store_factory()
    assert (await reopened.course_progress(ALICE))["kk101"] == progress, "durable"
