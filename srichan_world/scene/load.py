"""Turn TOML text into a :class:`Scene`, reporting every problem at once.

Authors fix a scene in one pass only if they see all of its problems together, each with the
path of the value at fault (``landmarks[3].height: must be > 0``), its line and column, the id
of its item and, for an unknown name, the nearest known one. So nothing stops at the first
error (TOML syntax errors aside: there is no document to read then):

1. :mod:`~srichan_world.scene.reader` reads every value, recording faults and substituting
   harmless stand-ins;
2. :mod:`~srichan_world.scene.checks` places the scene and runs the cross-checks, skipping only
   those that would judge a stand-in;
3. :mod:`~srichan_world.scene.glossary` reports every avoided spelling of the street's terms;
4. :mod:`~srichan_world.scene.problems` points each problem at its place in the text.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from srichan_world.scene.checks import QUIZ_MAX_DISTANCE, cross_check, place
from srichan_world.scene.courses import image_problems, read_course
from srichan_world.scene.glossary import glossary_problems
from srichan_world.scene.model import Scene
from srichan_world.scene.problems import Problem, SceneError, annotate, syntax_problem
from srichan_world.scene.reader import BOOTH_ID, COLOR, SLUG, Reader

__all__ = [
    "BOOTH_ID",
    "COLOR",
    "QUIZ_MAX_DISTANCE",
    "SLUG",
    "Problem",
    "SceneError",
    "load_scene",
    "load_scene_text",
]


def load_scene_text(text: str, base: Path | None = None) -> Scene:
    """Parse TOML text; a syntax error becomes a single :class:`Problem` with its position.

    ``base`` is the scene file's folder: given, landmark ``model`` files must exist there, and
    lesson images be images.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SceneError([syntax_problem(exc)]) from None
    return load_scene(data, text, base)


def load_scene(data: dict[str, Any], text: str | None = None, base: Path | None = None) -> Scene:
    """Read, place and check ``data``; ``text`` (its TOML source) adds lines and columns."""
    reader = Reader()
    scene = reader.scene(data)
    scene = replace(scene, courses=reader.each(data, "courses", partial(read_course, reader)))
    problems = reader.problems
    if base is not None:
        problems += [
            Problem(f"landmarks[{i}].model", f"file not found: {base / lm.model}")
            for i, lm in enumerate(scene.landmarks)
            if lm.model and not (base / lm.model).is_file()
        ]
        problems += image_problems(scene, base, {p.path for p in problems})
    # Without a street nothing can be placed: every geometric verdict would be about the
    # stand-in road.
    if not any(p.path.startswith("street") or p.path == "" for p in problems):
        scene = place(scene)
        problems = problems + cross_check(scene, {p.path for p in problems})
    problems = problems + glossary_problems(data)
    if problems:
        raise SceneError(annotate(problems, text, data))
    return scene
