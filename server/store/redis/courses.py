"""Courses in Redis: one hash per visitor, ``srichan:{v:<visitor id>}:crs``, in the visitor's
slot. Fields: ``l:<course id>\\n<lesson id>`` → the time the lesson was first read, and
``c:<course id>`` → the time the course was completed; ``HSETNX`` makes each happen once.

The statement goes to the sequencer slot (the statement stream) before the mark, once per
statement id there: a call that dies between the two is finished by the next one (the mark is
not yet set, so it answers "first time" then, and the statement is not kept twice).
"""

from __future__ import annotations

from typing import Any

from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import statement_item
from server.store.redis.slots import VisitorSlots
from srichan_world.world.courses import CourseState


def _key(visitor_id: str) -> str:
    return f"srichan:{{v:{visitor_id}}}:crs"


class RedisCourses:
    """Lessons read and courses completed."""

    _conn: Connection
    _slots: VisitorSlots

    @guarded
    async def course_progress(self, visitor_id: str) -> dict[str, CourseState]:
        fields: dict[str, str] = await self._conn.redis.hgetall(_key(visitor_id))
        lessons: dict[str, set[str]] = {}
        completed: dict[str, float] = {}
        for name, value in fields.items():
            kind, _, rest = name.partition(":")
            if kind == "l":
                course_id, _, lesson_id = rest.partition("\n")
                lessons.setdefault(course_id, set()).add(lesson_id)
            elif kind == "c":
                completed[rest] = float(value)
        return {
            course_id: CourseState(frozenset(lessons.get(course_id, ())), completed.get(course_id))
            for course_id in lessons.keys() | completed.keys()
        }

    @guarded
    async def read_lesson(
        self,
        visitor_id: str,
        course_id: str,
        lesson_id: str,
        statement: dict[str, Any],
        now: float,
    ) -> bool:
        return await self._once(visitor_id, f"l:{course_id}\n{lesson_id}", statement, now)

    @guarded
    async def complete_course(
        self, visitor_id: str, course_id: str, statement: dict[str, Any], now: float
    ) -> bool:
        return await self._once(visitor_id, f"c:{course_id}", statement, now)

    async def _once(
        self, visitor_id: str, field: str, statement: dict[str, Any], now: float
    ) -> bool:
        redis = self._conn.redis
        if await redis.hexists(_key(visitor_id), field):
            return False
        await self._slots.post([statement_item(statement, now)])
        return bool(await redis.hsetnx(_key(visitor_id), field, repr(now)))
