"""Courses in the scene description: reading ``[[courses]]`` and checking their references.

A course is short lessons to read plus quests of the scene to complete (docs/scene-format.md,
*Courses*). Reading follows :mod:`srichan_world.scene.reader` (every fault recorded with its
path, a harmless stand-in, reading goes on); the cross-check that needs the whole scene (each
quest a course names exists) follows :mod:`srichan_world.scene.checks`. The glossary check
reads the lessons' text like every other string of the scene. A lesson's image is checked
(it exists, is a PNG/JPEG/WebP, is small enough) when the scene's folder is known.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from srichan_world.scene.images import IMAGE_SUFFIXES, image_fault
from srichan_world.scene.model import QUEST_ORDERS, Course, Lesson, Scene
from srichan_world.scene.problems import Problem, nearest
from srichan_world.scene.reader import Reader

LESSONS_MAX = 12
"""Lessons in one course: a course is read in a visit or two, not a semester."""
QUESTS_MAX = 12
LESSON_TITLE_MAX = 80
LESSON_TEXT_MAX = 1200
"""Characters per language of one lesson: about a minute of reading (or listening)."""
IMAGE_ALT_MAX = 200
COURSE_KEYS = {"id", "title", "description", "order", "lessons", "quests"}
LESSON_KEYS = {"id", "title", "text", "image", "image_alt"}


def read_course(reader: Reader, data: Any, path: str) -> Course:
    """One ``[[courses]]`` table, its faults recorded on ``reader``."""
    d = reader.table(data, path, COURSE_KEYS, COURSE_KEYS - {"order", "quests"})
    raw_lessons = reader.array(d, "lessons", path)
    if not 1 <= len(raw_lessons) <= LESSONS_MAX:
        reader.fail(f"{path}.lessons", f"must have 1 to {LESSONS_MAX} lessons")
    lessons = tuple(_lesson(reader, x, f"{path}.lessons[{i}]") for i, x in enumerate(raw_lessons))
    quests = []
    raw_quests = reader.array(d, "quests", path)
    if len(raw_quests) > QUESTS_MAX:
        reader.fail(f"{path}.quests", f"must have at most {QUESTS_MAX} quests")
    for i, q in enumerate(raw_quests):
        if isinstance(q, str):
            quests.append(q)
        else:
            reader.fail(f"{path}.quests[{i}]", "must be a quest id (a string)")
    return Course(
        id=reader.slug(d, "id", path),
        title=reader.text(d, "title", path, 80),
        description=reader.text(d, "description", path, 400),
        order=reader.string({"order": "free"} | d, "order", path, QUEST_ORDERS),
        lessons=lessons,
        quests=tuple(quests),
    )


def _lesson(reader: Reader, data: Any, path: str) -> Lesson:
    d = reader.table(data, path, LESSON_KEYS, LESSON_KEYS - {"image", "image_alt"})
    image = reader.string(d, "image", path)
    if image and not image.lower().endswith(IMAGE_SUFFIXES):
        reader.fail(f"{path}.image", "must be a .png, .jpg, .jpeg or .webp file")
    elif image.startswith(("/", "\\")) or ":" in image:
        reader.fail(f"{path}.image", "must be a path relative to the scene file")
    if image and "image_alt" not in d:
        reader.fail(
            f"{path}.image_alt", "is required with an image: what it shows, for screen readers"
        )
    elif "image_alt" in d and not image:
        reader.fail(f"{path}.image_alt", "describes an image: give the image too")
    return Lesson(
        id=reader.slug(d, "id", path),
        title=reader.text(d, "title", path, LESSON_TITLE_MAX),
        text=reader.text(d, "text", path, LESSON_TEXT_MAX),
        image=image,
        image_alt=reader.text(d, "image_alt", path, IMAGE_ALT_MAX),
    )


def image_problems(scene: Scene, base: Path, faulty: Collection[str]) -> list[Problem]:
    """Every lesson image that is missing, too big or not an image (read from ``base``, the
    scene file's folder); a path the reader refused (``faulty``: absolute, not an image's
    name) is never opened."""
    problems = []
    for i, course in enumerate(scene.courses):
        for j, lesson in enumerate(course.lessons):
            where = f"courses[{i}].lessons[{j}].image"
            if not lesson.image or where in faulty:
                continue
            try:
                fault = image_fault((base / lesson.image).read_bytes())
            except OSError:
                fault = f"file not found: {base / lesson.image}"
            if fault is not None:
                problems.append(Problem(where, fault))
    return problems


Add = Callable[[str, str, Mapping[str, Iterable[str]] | None, str], None]
"""The cross-checker's ``add(path, message, uses, did_you_mean)``."""


def check_courses(scene: Scene, add: Add) -> None:
    """Unique course and lesson ids, and every quest a course names exists (once)."""
    quest_ids = {q.id for q in scene.quests}
    quest_paths = {f"quests[{i}]": ("id",) for i in range(len(scene.quests))}
    courses: dict[str, int] = {}
    for i, course in enumerate(scene.courses):
        path = f"courses[{i}]"
        if course.id and course.id in courses:
            add(f"{path}.id", f"duplicate course id {course.id!r}", None, "")
        courses.setdefault(course.id, i)
        lessons: set[str] = set()
        for j, lesson in enumerate(course.lessons):
            if lesson.id and lesson.id in lessons:
                add(f"{path}.lessons[{j}].id", f"duplicate lesson id {lesson.id!r}", None, "")
            lessons.add(lesson.id)
        named: set[str] = set()
        for j, quest in enumerate(course.quests):
            where = f"{path}.quests[{j}]"
            if quest not in quest_ids:
                add(where, f"unknown quest {quest!r}", quest_paths, nearest(quest, quest_ids))
            if quest in named:
                add(where, f"names quest {quest!r} twice", None, "")
            named.add(quest)
