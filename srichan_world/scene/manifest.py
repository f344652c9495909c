"""What the compiled scene tells the world: the public manifest and the server-only answers.

The manifest is what browsers download, so it must never carry a quiz's correct choice; the
answers go in a separate document that only the server reads. Both are written as plain JSON
values (:func:`public_manifest`, :func:`answers`), so the browser needs no scene code to use
them. The server reads the manifest back once, with :meth:`Manifest.parse`, into the typed
parts the rules use; a value of the wrong shape is refused there, by its path, rather than
deep inside the rules at the first visitor.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from srichan_world.scene.events import event_from_json, event_json
from srichan_world.scene.geometry import InterestGrid, Point, Polygon, Walkable
from srichan_world.scene.images import IMAGE_NAME
from srichan_world.scene.model import (
    QUEST_ORDERS,
    STEP_KINDS,
    Course,
    Event,
    Lesson,
    Policy,
    Quest,
    QuestStep,
    Scene,
    Text,
)

MANIFEST_FORMAT = 1


def _r(value: float) -> float:
    """Centimetre precision is plenty for a manifest and keeps the JSON stable."""
    return round(value, 2) + 0.0


def _pt(p: tuple[float, float]) -> list[float]:
    return [_r(p[0]), _r(p[1])]


def public_manifest(scene: Scene, images: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything a client may know about the scene; ``content_hash`` and ``glb`` are added by
    the compiler once the GLB exists. ``images``: each lesson image's path → its built name
    (a lesson whose image was not built goes without it)."""
    images = images or {}
    return {
        "format": MANIFEST_FORMAT,
        "scene_id": scene.id,
        "title": scene.title.to_json(),
        "street": {
            "centreline": [_pt(p) for p in scene.street.centreline.points],
            "length": _r(scene.street.centreline.length),
            "lanes": scene.street.lanes,
            "lane_width": scene.street.lane_width,
            "sidewalk_width": scene.street.sidewalk_width,
            "walkable_half_width": scene.street.walkable_half_width,
        },
        "policy": {
            "quiz_attempts": scene.policy.quiz_attempts,
            "quiz_cooldown_s": scene.policy.quiz_cooldown_s,
            "daily_earn_cap": scene.policy.daily_earn_cap,
        },
        "walkable": {
            "corridor": [_pt(p) for p in scene.walkable.corridor],
            "obstacles": [[_pt(p) for p in o] for o in scene.walkable.obstacles],
        },
        "interest_grid": {
            "origin": _pt(scene.grid.origin),
            "cell": scene.grid.cell,
            "cols": scene.grid.cols,
            "rows": scene.grid.rows,
        },
        "landmarks": [
            {
                "id": lm.id,
                "kind": lm.kind,
                "name": lm.name.to_json(),
                "description": lm.description.to_json(),
                "station": lm.station,
                "side": lm.side,
                "position": _pt(lm.position),
                "heading": _r(lm.heading),
                "height": lm.height,
                "storeys": lm.storeys,
                "highlight": lm.highlight,
                "footprints": [[_pt(p) for p in f] for f in lm.footprints],
            }
            for lm in scene.landmarks
        ],
        "quiz_points": [
            {
                "id": q.id,
                "landmark": q.landmark,
                "position": _pt(q.position),
                "radius": q.radius,
                "reward": q.reward,
                "attempts": q.attempts,
                "cooldown_s": q.cooldown_s,
                "question": q.question.to_json(),
                "choices": [c.to_json() for c in q.choices],
            }
            for q in scene.quiz_points
        ],
        "quests": [
            {
                "id": quest.id,
                "title": quest.title.to_json(),
                "description": quest.description.to_json(),
                "order": quest.order,
                "bonus": quest.bonus,
                "steps": [{step.kind: step.target} for step in quest.steps],
            }
            for quest in scene.quests
        ],
        "booth_slots": [
            {
                "id": b.id,
                "position": _pt(b.position),
                "facing": b.facing,
                "width": b.width,
                "depth": b.depth,
            }
            for b in scene.booth_slots
        ],
        "spawn_points": [
            {"id": s.id, "position": _pt(s.position), "heading": s.heading}
            for s in scene.spawn_points
        ],
        "courses": [
            {
                "id": c.id,
                "title": c.title.to_json(),
                "description": c.description.to_json(),
                "order": c.order,
                "lessons": [_lesson_json(x, images) for x in c.lessons],
                "quests": list(c.quests),
            }
            for c in scene.courses
        ],
        "events": [event_json(e) for e in scene.events],
    }


def _lesson_json(lesson: Lesson, images: Mapping[str, str]) -> dict[str, Any]:
    out = {"id": lesson.id, "title": lesson.title.to_json(), "text": lesson.text.to_json()}
    if lesson.image in images:
        out |= {"image": images[lesson.image], "image_alt": lesson.image_alt.to_json()}
    return out


def answers(scene: Scene) -> dict[str, Any]:
    """Server-only grading data: the correct choice and the explanation of every quiz point."""
    return {
        "format": MANIFEST_FORMAT,
        "scene_id": scene.id,
        "quiz_points": {
            q.id: {"correct": q.correct, "explanation": q.explanation.to_json()}
            for q in scene.quiz_points
        },
    }


class ManifestError(ValueError):
    """A manifest value of the wrong shape; ``path`` names it (``landmarks[2].footprints``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"manifest.{path}: {problem}" if path else f"manifest: {problem}")
        self.path = path


@dataclass(frozen=True)
class PlacedSpawn:
    id: str
    position: Point
    heading: float


@dataclass(frozen=True)
class PlacedBooth:
    id: str
    position: Point
    facing: float
    width: float
    depth: float


@dataclass(frozen=True)
class PlacedLandmark:
    id: str
    position: Point
    footprints: tuple[Polygon, ...]
    """What a visit is measured against."""
    name: Text


@dataclass(frozen=True)
class PublicQuiz:
    """A quiz point as browsers see it: everything but the correct choice and explanation."""

    id: str
    landmark: str
    position: Point
    radius: float
    reward: int
    attempts: int
    cooldown_s: float
    question: Text
    choices: tuple[Text, ...]


@dataclass(frozen=True)
class Manifest:
    """The parts of a compiled manifest that the server's rules use, checked once."""

    scene_id: str
    content_hash: str
    """Added by the compiler; empty in a manifest made straight from a scene."""
    policy: Policy
    walkable: Walkable
    grid: InterestGrid
    landmarks: tuple[PlacedLandmark, ...]
    quiz_points: tuple[PublicQuiz, ...]
    quests: tuple[Quest, ...]
    booth_slots: tuple[PlacedBooth, ...]
    spawn_points: tuple[PlacedSpawn, ...]
    courses: tuple[Course, ...] = ()
    events: tuple[Event, ...] = ()
    """As authored in the scene; operators' changes are kept in the store."""

    @classmethod
    def parse(cls, value: object) -> Manifest:
        """Read a manifest's JSON value; :class:`ManifestError` names the first bad part."""
        m = _object(value, "")
        if _field(m, "", "format", _int) != MANIFEST_FORMAT:
            raise ManifestError("format", f"this server reads format {MANIFEST_FORMAT}")
        return cls(
            scene_id=_field(m, "", "scene_id", _str),
            content_hash=_str(m.get("content_hash", ""), "content_hash"),
            policy=_field(m, "", "policy", _policy),
            walkable=_field(m, "", "walkable", _walkable),
            grid=_field(m, "", "interest_grid", _grid),
            landmarks=_field(m, "", "landmarks", _each(_landmark)),
            quiz_points=_field(m, "", "quiz_points", _each(_quiz)),
            quests=_field(m, "", "quests", _each(_quest)),
            booth_slots=_field(m, "", "booth_slots", _each(_booth)),
            spawn_points=_field(m, "", "spawn_points", _each(_spawn)),
            courses=_each(_course)(m.get("courses", []), "courses"),
            events=_each(_event)(m.get("events", []), "events"),
        )


# -- readers: each takes a JSON value and its path, and returns it typed or raises -------------

T = TypeVar("T")
Reader = Callable[[object, str], T]


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _object(value: object, path: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ManifestError(path, f"expected an object, got {_kind(value)}")
    return value


def _field(m: dict[str, object], path: str, key: str, read: Reader[T]) -> T:
    here = f"{path}.{key}" if path else key
    if key not in m:
        raise ManifestError(here, "missing")
    return read(m[key], here)


def _each(read: Reader[T]) -> Reader[tuple[T, ...]]:
    def each(value: object, path: str) -> tuple[T, ...]:
        if not isinstance(value, list):
            raise ManifestError(path, f"expected an array, got {_kind(value)}")
        return tuple(read(v, f"{path}[{i}]") for i, v in enumerate(value))

    return each


def _str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise ManifestError(path, f"expected a string, got {_kind(value)}")
    return value


def _int(value: object, path: str) -> int:
    if type(value) is not int:
        raise ManifestError(path, f"expected an integer, got {_kind(value)}")
    return value


def _float(value: object, path: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            number = math.inf
        if math.isfinite(number):
            return number
    raise ManifestError(path, f"expected a finite number, got {_kind(value)} {value!r:.40}")


def _point(value: object, path: str) -> Point:
    if not isinstance(value, list) or len(value) != 2:
        raise ManifestError(path, "expected a point [x, z]")
    return (_float(value[0], f"{path}[0]"), _float(value[1], f"{path}[1]"))


def _polygon(value: object, path: str) -> Polygon:
    points = _each(_point)(value, path)
    if len(points) < 3:
        raise ManifestError(path, "a polygon needs at least 3 points")
    return points


def _text(value: object, path: str) -> Text:
    m = _object(value, path)
    return Text(th=_field(m, path, "th", _str), en=_field(m, path, "en", _str))


def _policy(value: object, path: str) -> Policy:
    m = _object(value, path)
    return Policy(
        quiz_attempts=_field(m, path, "quiz_attempts", _int),
        quiz_cooldown_s=_field(m, path, "quiz_cooldown_s", _float),
        daily_earn_cap=_field(m, path, "daily_earn_cap", _int),
    )


def _walkable(value: object, path: str) -> Walkable:
    m = _object(value, path)
    return Walkable(
        corridor=_field(m, path, "corridor", _polygon),
        obstacles=_field(m, path, "obstacles", _each(_polygon)),
    )


def _grid(value: object, path: str) -> InterestGrid:
    m = _object(value, path)
    grid = InterestGrid(
        origin=_field(m, path, "origin", _point),
        cell=_field(m, path, "cell", _float),
        cols=_field(m, path, "cols", _int),
        rows=_field(m, path, "rows", _int),
    )
    if grid.cell <= 0 or grid.cols < 1 or grid.rows < 1:
        raise ManifestError(path, "needs a positive cell size and at least one column and row")
    return grid


def _landmark(value: object, path: str) -> PlacedLandmark:
    m = _object(value, path)
    return PlacedLandmark(
        id=_field(m, path, "id", _str),
        position=_field(m, path, "position", _point),
        footprints=_field(m, path, "footprints", _each(_polygon)),
        name=_field(m, path, "name", _text),
    )


def _quiz(value: object, path: str) -> PublicQuiz:
    m = _object(value, path)
    return PublicQuiz(
        id=_field(m, path, "id", _str),
        landmark=_field(m, path, "landmark", _str),
        position=_field(m, path, "position", _point),
        radius=_field(m, path, "radius", _float),
        reward=_field(m, path, "reward", _int),
        attempts=_field(m, path, "attempts", _int),
        cooldown_s=_field(m, path, "cooldown_s", _float),
        question=_field(m, path, "question", _text),
        choices=_field(m, path, "choices", _each(_text)),
    )


def _step(value: object, path: str) -> QuestStep:
    m = _object(value, path)
    if len(m) != 1 or next(iter(m)) not in STEP_KINDS:
        raise ManifestError(path, 'expected {"quiz": id} or {"visit": id}')
    ((kind, target),) = m.items()
    return QuestStep(kind, _str(target, f"{path}.{kind}"))


def _order(value: object, path: str) -> str:
    if value not in QUEST_ORDERS:
        raise ManifestError(path, f"expected one of {', '.join(QUEST_ORDERS)}")
    return _str(value, path)


def _quest(value: object, path: str) -> Quest:
    m = _object(value, path)
    return Quest(
        id=_field(m, path, "id", _str),
        title=_field(m, path, "title", _text),
        description=_field(m, path, "description", _text),
        order=_field(m, path, "order", _order),
        bonus=_field(m, path, "bonus", _int),
        steps=_field(m, path, "steps", _each(_step)),
    )


def _booth(value: object, path: str) -> PlacedBooth:
    m = _object(value, path)
    return PlacedBooth(
        id=_field(m, path, "id", _str),
        position=_field(m, path, "position", _point),
        facing=_field(m, path, "facing", _float),
        width=_field(m, path, "width", _float),
        depth=_field(m, path, "depth", _float),
    )


def _spawn(value: object, path: str) -> PlacedSpawn:
    m = _object(value, path)
    return PlacedSpawn(
        id=_field(m, path, "id", _str),
        position=_field(m, path, "position", _point),
        heading=_field(m, path, "heading", _float),
    )


def _lesson(value: object, path: str) -> Lesson:
    m = _object(value, path)
    image = _str(m.get("image", ""), f"{path}.image")
    if image and not IMAGE_NAME.match(image):
        raise ManifestError(f"{path}.image", "expected a built name lesson-<hash>.<ext>")
    return Lesson(
        id=_field(m, path, "id", _str),
        title=_field(m, path, "title", _text),
        text=_field(m, path, "text", _text),
        image=image,
        image_alt=_field(m, path, "image_alt", _text) if image else Text("", ""),
    )


def _course(value: object, path: str) -> Course:
    m = _object(value, path)
    return Course(
        id=_field(m, path, "id", _str),
        title=_field(m, path, "title", _text),
        description=_field(m, path, "description", _text),
        order=_field(m, path, "order", _order),
        lessons=_field(m, path, "lessons", _each(_lesson)),
        quests=_field(m, path, "quests", _each(_str)),
    )


def _event(value: object, path: str) -> Event:
    try:
        return event_from_json(value)
    except ValueError as exc:
        raise ManifestError(path, str(exc)) from None
