"""Courses in SQLite: ``lessons_read`` and ``courses_completed``, one row per visitor and
lesson (course), written with the statement in one transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from server.store.sqlite.database import Database
from server.store.sqlite.learning import keep_statement
from srichan_world.world.courses import CourseState


class SQLiteCourses(Database):
    async def course_progress(self, visitor_id: str) -> dict[str, CourseState]:
        def run(conn: sqlite3.Connection) -> dict[str, CourseState]:
            lessons: dict[str, set[str]] = {}
            for course_id, lesson_id in conn.execute(
                "SELECT course_id, lesson_id FROM lessons_read WHERE visitor_id = ?",
                (visitor_id,),
            ):
                lessons.setdefault(course_id, set()).add(lesson_id)
            completed = dict(
                conn.execute(
                    "SELECT course_id, completed_at FROM courses_completed WHERE visitor_id = ?",
                    (visitor_id,),
                ).fetchall()
            )
            return {
                course_id: CourseState(
                    frozenset(lessons.get(course_id, ())), completed.get(course_id)
                )
                for course_id in lessons.keys() | completed.keys()
            }

        return await self._call(run, write=False)

    async def read_lesson(
        self,
        visitor_id: str,
        course_id: str,
        lesson_id: str,
        statement: dict[str, Any],
        now: float,
    ) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            first = conn.execute(
                "INSERT INTO lessons_read (visitor_id, course_id, lesson_id, read_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (visitor_id, course_id, lesson_id, now),
            ).rowcount
            if first:
                keep_statement(conn, statement, now)
            return bool(first)

        return await self._call(run, write=True)

    async def complete_course(
        self, visitor_id: str, course_id: str, statement: dict[str, Any], now: float
    ) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            first = conn.execute(
                "INSERT INTO courses_completed (visitor_id, course_id, completed_at) "
                "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (visitor_id, course_id, now),
            ).rowcount
            if first:
                keep_statement(conn, statement, now)
            return bool(first)

        return await self._call(run, write=True)
