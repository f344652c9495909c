"""Turn a parsed TOML document into a :class:`Scene`, reporting every problem at once.

Authors fix a scene in one pass only if they see all of its problems together, each with the
path of the value at fault (``landmarks[3].height: must be > 0``). So parsing never stops at the
first error: it records a :class:`Problem`, substitutes a harmless value and carries on; the
cross-checks (ids, references, geometry) run over whatever parsed.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from srichan_world.scene.geometry import (
    InterestGrid,
    Polygon,
    Polyline,
    Walkable,
    distance_to_polygon,
    oriented_rectangle,
    point_in_polygon,
    polygons_overlap,
)
from srichan_world.scene.model import (
    LANDMARK_KINDS,
    MARKINGS,
    QUEST_ORDERS,
    SIDES,
    STEP_KINDS,
    BoothSlot,
    Budget,
    Colors,
    Landmark,
    Policy,
    Quest,
    QuestStep,
    QuizPoint,
    Scene,
    SpawnPoint,
    Street,
    Text,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
BOOTH_ID = re.compile(r"^B[0-9]{2}$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
QUIZ_MAX_DISTANCE = 40.0
"""A quiz point must stand within this many metres of its landmark's footprint."""


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SceneError(Exception):
    """The scene description is invalid; ``problems`` lists every fault found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_scene_text(text: str) -> Scene:
    """Parse TOML text; syntax errors become a single :class:`Problem`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SceneError([Problem("<toml>", str(exc))]) from None
    return load_scene(data)


def load_scene(data: dict[str, Any]) -> Scene:
    reader = _Reader()
    scene = reader.scene(data)
    problems = reader.problems
    # Cross-checks still run after parse errors, so the author sees everything at once, but
    # not where a parse error already replaced a value: that would only add false alarms.
    if not any(p.path.startswith(("street", "<toml>")) or p.path == "" for p in problems):
        faulty = {p.path.split(".")[0] for p in problems}
        scene = _place(scene)
        problems += [p for p in _cross_check(scene) if p.path.split(".")[0] not in faulty]
    if problems:
        raise SceneError(problems)
    return scene


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- primitives -------------------------------------------------------------------------

    def table(self, data: Any, path: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(path, "must be a table")
            return {}
        for key in sorted(set(data) - allowed):
            self.fail(f"{path}.{key}" if path else key, "unknown key")
        for key in sorted(required - set(data)):
            self.fail(f"{path}.{key}" if path else key, "is required")
        return data

    def number(
        self,
        data: dict[str, Any],
        key: str,
        path: str,
        default: float | None = None,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
    ) -> float:
        where = f"{path}.{key}"
        value = data.get(key, default)
        if value is None:
            return 0.0 if default is None else default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.fail(where, "must be a finite number")
            return 0.0 if default is None else default
        if lo is not None and (value <= lo if lo_open else value < lo):
            self.fail(where, f"must be {'>' if lo_open else '>='} {lo:g}")
        if hi is not None and value > hi:
            self.fail(where, f"must be <= {hi:g}")
        return float(value)

    def integer(
        self,
        data: dict[str, Any],
        key: str,
        path: str,
        default: int | None = None,
        lo: int = 0,
        hi: int = 0,
    ) -> int:
        where = f"{path}.{key}"
        value = data.get(key, default)
        if value is None:
            return 0 if default is None else default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, "must be a whole number")
            return lo
        if not lo <= value <= hi:
            self.fail(where, f"must be between {lo} and {hi}")
        return value

    def string(
        self, data: dict[str, Any], key: str, path: str, choices: tuple[str, ...] = ()
    ) -> str:
        where = f"{path}.{key}"
        value = data.get(key, "")
        if not isinstance(value, str):
            self.fail(where, "must be a string")
            return ""
        if choices and value not in choices:
            self.fail(where, f"must be one of {', '.join(choices)}")
        return value

    def slug(
        self, data: dict[str, Any], key: str, path: str, pattern: re.Pattern[str] = SLUG
    ) -> str:
        value = self.string(data, key, path)
        if value and not pattern.match(value):
            self.fail(f"{path}.{key}", f"must match {pattern.pattern}")
        return value

    def text(self, data: dict[str, Any], key: str, path: str, max_len: int = 600) -> Text:
        where = f"{path}.{key}"
        value = data.get(key)
        if value is None:
            return Text("", "")
        if not isinstance(value, dict):
            self.fail(where, "must be a table { th = …, en = … }")
            return Text("", "")
        return self.bilingual(value, where, max_len)

    def bilingual(
        self, value: dict[str, Any], where: str, max_len: int, thai_script: bool = True
    ) -> Text:
        """``thai_script`` catches English pasted into the Thai field; short choices such as
        a year (2567) legitimately have none."""
        self.table(value, where, {"th", "en"}, set())
        parts = {}
        for lang, label in (("th", "Thai"), ("en", "English")):
            s = value.get(lang, "")
            if not isinstance(s, str) or not s.strip():
                self.fail(f"{where}.{lang}", f"missing {label} text")
                s = ""
            elif len(s) > max_len:
                self.fail(f"{where}.{lang}", f"longer than {max_len} characters")
            elif CONTROL.search(s):
                self.fail(f"{where}.{lang}", "contains control characters")
            parts[lang] = s.strip()
        if thai_script and parts["th"] and not re.search("[\u0e00-\u0e7f]", parts["th"]):
            self.fail(f"{where}.th", "Thai text has no Thai characters")
        return Text(parts["th"], parts["en"])

    def array(self, data: dict[str, Any], key: str, path: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail(f"{path}.{key}" if path else key, "must be an array")
            return []
        return value

    # -- sections ---------------------------------------------------------------------------

    def scene(self, data: dict[str, Any]) -> Scene:
        top = self.table(
            data,
            "",
            {
                "scene",
                "budget",
                "policy",
                "street",
                "landmarks",
                "quiz_points",
                "quests",
                "booth_slots",
                "spawn_points",
            },
            {
                "scene",
                "street",
                "landmarks",
                "quiz_points",
                "quests",
                "booth_slots",
                "spawn_points",
            },
        )
        head = self.table(top.get("scene", {}), "scene", {"id", "title"}, {"id", "title"})
        return Scene(
            id=self.slug(head, "id", "scene"),
            title=self.text(head, "title", "scene", 80),
            budget=self.budget(top.get("budget", {})),
            policy=self.policy(top.get("policy", {})),
            street=self.street(top.get("street", {})),
            landmarks=tuple(
                self.landmark(x, f"landmarks[{i}]")
                for i, x in enumerate(self.array(top, "landmarks", ""))
            ),
            quiz_points=tuple(
                self.quiz_point(x, f"quiz_points[{i}]")
                for i, x in enumerate(self.array(top, "quiz_points", ""))
            ),
            quests=tuple(
                self.quest(x, f"quests[{i}]") for i, x in enumerate(self.array(top, "quests", ""))
            ),
            booth_slots=tuple(
                self.booth(x, f"booth_slots[{i}]")
                for i, x in enumerate(self.array(top, "booth_slots", ""))
            ),
            spawn_points=tuple(
                self.spawn(x, f"spawn_points[{i}]")
                for i, x in enumerate(self.array(top, "spawn_points", ""))
            ),
        )

    def budget(self, data: Any) -> Budget:
        d = self.table(data, "budget", {"max_triangles", "max_materials", "max_glb_bytes"}, set())
        b = Budget()
        return Budget(
            max_triangles=self.integer(d, "max_triangles", "budget", b.max_triangles, 1, 10**7),
            max_materials=self.integer(d, "max_materials", "budget", b.max_materials, 1, 1024),
            max_glb_bytes=self.integer(d, "max_glb_bytes", "budget", b.max_glb_bytes, 1, 10**9),
        )

    def policy(self, data: Any) -> Policy:
        d = self.table(
            data, "policy", {"quiz_attempts", "quiz_cooldown_s", "daily_earn_cap"}, set()
        )
        p = Policy()
        return Policy(
            quiz_attempts=self.integer(d, "quiz_attempts", "policy", p.quiz_attempts, 1, 100),
            quiz_cooldown_s=self.number(
                d, "quiz_cooldown_s", "policy", p.quiz_cooldown_s, 0, 86400
            ),
            daily_earn_cap=self.integer(d, "daily_earn_cap", "policy", p.daily_earn_cap, 1, 10**6),
        )

    def street(self, data: Any) -> Street:
        keys = {
            "centreline",
            "lanes",
            "lane_width",
            "sidewalk_width",
            "walkable_half_width",
            "markings",
            "tree_spacing",
            "lamp_spacing",
            "interest_cell",
        }
        d = self.table(data, "street", keys, keys - {"markings", "tree_spacing", "lamp_spacing"})
        points: list[tuple[float, float]] = []
        raw = d.get("centreline", [])
        if not isinstance(raw, list) or len(raw) < 2:
            self.fail("street.centreline", "must be an array of at least 2 [x, z] points")
        else:
            for i, p in enumerate(raw):
                ok = (
                    isinstance(p, list)
                    and len(p) == 2
                    and all(
                        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                        for v in p
                    )
                )
                if not ok:
                    self.fail(f"street.centreline[{i}]", "must be [x, z] finite numbers")
                    continue
                if points and math.dist(points[-1], (p[0], p[1])) < 0.01:
                    self.fail(f"street.centreline[{i}]", "repeats the previous point")
                    continue
                points.append((float(p[0]), float(p[1])))
        if len(points) < 2:
            points = [(0.0, 0.0), (1.0, 0.0)]
        return Street(
            centreline=Polyline(tuple(points)),
            lanes=self.integer(d, "lanes", "street", 2, 1, 8),
            lane_width=self.number(d, "lane_width", "street", 3.0, 0, 10, lo_open=True),
            sidewalk_width=self.number(d, "sidewalk_width", "street", 2.0, 0, 20, lo_open=True),
            walkable_half_width=self.number(
                d, "walkable_half_width", "street", 20.0, 0, 500, lo_open=True
            ),
            markings=self.string({"markings": "dashed"} | d, "markings", "street", MARKINGS),
            tree_spacing=self.number(d, "tree_spacing", "street", 0.0, 0, 1000),
            lamp_spacing=self.number(d, "lamp_spacing", "street", 0.0, 0, 1000),
            interest_cell=self.number(d, "interest_cell", "street", 32.0, 4, 1000),
        )

    def landmark(self, data: Any, path: str) -> Landmark:
        keys = {
            "id",
            "kind",
            "name",
            "description",
            "station",
            "side",
            "setback",
            "width",
            "depth",
            "height",
            "storeys",
            "highlight",
            "colors",
        }
        d = self.table(data, path, keys, keys - {"highlight", "setback", "storeys"})
        colors = self.table(
            d.get("colors", {}), f"{path}.colors", {"primary", "secondary", "roof"}, set()
        )
        palette = {}
        for key, default in (("primary", "#cccccc"), ("secondary", "#999999"), ("roof", "#666666")):
            value = colors.get(key, default)
            if not isinstance(value, str) or not COLOR.match(value):
                self.fail(f"{path}.colors.{key}", "must be a colour like #a1b2c3")
                value = default
            palette[key] = value.lower()
        highlight = d.get("highlight", False)
        if not isinstance(highlight, bool):
            self.fail(f"{path}.highlight", "must be true or false")
            highlight = False
        return Landmark(
            id=self.slug(d, "id", path),
            kind=self.string(d, "kind", path, LANDMARK_KINDS),
            name=self.text(d, "name", path, 80),
            description=self.text(d, "description", path, 400),
            station=self.number(d, "station", path, 0.0, 0),
            side=self.string(d, "side", path, SIDES),
            setback=self.number(d, "setback", path, 0.0, 0, 500),
            width=self.number(d, "width", path, 1.0, 1, 300),
            depth=self.number(d, "depth", path, 1.0, 1, 300),
            height=self.number(d, "height", path, 3.0, 3, 300),
            storeys=self.integer(d, "storeys", path, 1, 1, 80),
            highlight=highlight,
            colors=Colors(**palette),
        )

    def quiz_point(self, data: Any, path: str) -> QuizPoint:
        keys = {
            "id",
            "landmark",
            "station",
            "offset",
            "radius",
            "reward",
            "question",
            "choices",
            "correct",
            "explanation",
            "attempts",
            "cooldown_s",
        }
        d = self.table(data, path, keys, keys - {"attempts", "cooldown_s"})
        raw_choices = self.array(d, "choices", path)
        if not 3 <= len(raw_choices) <= 4:
            self.fail(f"{path}.choices", "must have 3 or 4 choices")
        choices = []
        for i, c in enumerate(raw_choices):
            if isinstance(c, dict):
                choices.append(self.bilingual(c, f"{path}.choices[{i}]", 160, thai_script=False))
            else:
                self.fail(f"{path}.choices[{i}]", "must be a table { th = …, en = … }")
        correct = self.integer(d, "correct", path, 0, 0, 3)
        if choices and correct >= len(choices):
            self.fail(f"{path}.correct", f"is out of range: there are {len(choices)} choices")
        attempts = d.get("attempts")
        cooldown = d.get("cooldown_s")
        return QuizPoint(
            id=self.slug(d, "id", path),
            landmark=self.string(d, "landmark", path),
            station=self.number(d, "station", path, 0.0, 0),
            offset=self.number(d, "offset", path, 0.0),
            radius=self.number(d, "radius", path, 4.0, 1, 15),
            reward=self.integer(d, "reward", path, 1, 1, 1000),
            question=self.text(d, "question", path, 400),
            choices=tuple(choices),
            correct=correct,
            explanation=self.text(d, "explanation", path, 600),
            attempts=self.integer(d, "attempts", path, 0, 1, 100) if attempts is not None else 0,
            cooldown_s=self.number(d, "cooldown_s", path, 0, 0, 86400)
            if cooldown is not None
            else -1.0,
        )

    def quest(self, data: Any, path: str) -> Quest:
        keys = {"id", "title", "description", "order", "bonus", "steps"}
        d = self.table(data, path, keys, keys)
        steps = []
        raw = self.array(d, "steps", path)
        if len(raw) < 2:
            self.fail(f"{path}.steps", "must have at least 2 steps")
        for i, s in enumerate(raw):
            where = f"{path}.steps[{i}]"
            if not isinstance(s, dict) or len(s) != 1 or next(iter(s)) not in STEP_KINDS:
                self.fail(where, 'must be { quiz = "id" } or { visit = "id" }')
                continue
            kind, target = next(iter(s.items()))
            if not isinstance(target, str):
                self.fail(f"{where}.{kind}", "must be a string id")
                continue
            steps.append(QuestStep(kind, target))
        return Quest(
            id=self.slug(d, "id", path),
            title=self.text(d, "title", path, 80),
            description=self.text(d, "description", path, 400),
            order=self.string(d, "order", path, QUEST_ORDERS),
            bonus=self.integer(d, "bonus", path, 0, 0, 5000),
            steps=tuple(steps),
        )

    def booth(self, data: Any, path: str) -> BoothSlot:
        keys = {"id", "station", "offset", "facing", "width", "depth"}
        d = self.table(data, path, keys, keys)
        return BoothSlot(
            id=self.slug(d, "id", path, BOOTH_ID),
            station=self.number(d, "station", path, 0.0, 0),
            offset=self.number(d, "offset", path, 0.0),
            facing=self.number(d, "facing", path, 0.0, -360, 360),
            width=self.number(d, "width", path, 3.0, 1, 8),
            depth=self.number(d, "depth", path, 2.5, 1, 8),
        )

    def spawn(self, data: Any, path: str) -> SpawnPoint:
        keys = {"id", "station", "offset", "heading"}
        d = self.table(data, path, keys, keys)
        return SpawnPoint(
            id=self.slug(d, "id", path),
            station=self.number(d, "station", path, 0.0, 0),
            offset=self.number(d, "offset", path, 0.0),
            heading=self.number(d, "heading", path, 0.0, -360, 360),
        )


def _place(scene: Scene) -> Scene:
    """Resolve stations and offsets to plane positions, footprints and the walkable area."""
    street = scene.street
    line = street.centreline
    landmarks = []
    for lm in scene.landmarks:
        heading = line.heading(lm.station)
        footprints: tuple[Polygon, ...]
        if lm.side == "across":
            half = lm.width / 2
            footprints = (
                line.rectangle(lm.station, lm.depth, half - lm.depth, half),
                line.rectangle(lm.station, lm.depth, -half, -half + lm.depth),
            )
            position = line.place(lm.station, 0.0)
        else:
            sign = 1.0 if lm.side == "north" else -1.0
            near, far = sign * lm.setback, sign * (lm.setback + lm.depth)
            footprints = (line.rectangle(lm.station, lm.width, min(near, far), max(near, far)),)
            position = line.place(lm.station, sign * (lm.setback + lm.depth / 2))
        landmarks.append(
            replace(lm, position=position, heading=heading, footprints=tuple(footprints))
        )
    policy = scene.policy
    quiz_points = tuple(
        replace(
            q,
            position=line.place(q.station, q.offset),
            attempts=q.attempts or policy.quiz_attempts,
            cooldown_s=q.cooldown_s if q.cooldown_s >= 0 else policy.quiz_cooldown_s,
        )
        for q in scene.quiz_points
    )
    booths = []
    for b in scene.booth_slots:
        centre = line.place(b.station, b.offset)
        footprint = oriented_rectangle(centre, b.facing, b.width, b.depth)
        booths.append(replace(b, position=centre, footprint=footprint))
    spawns = tuple(replace(s, position=line.place(s.station, s.offset)) for s in scene.spawn_points)
    corridor = line.corridor(street.walkable_half_width)
    walkable = Walkable(corridor, tuple(f for lm in landmarks for f in lm.footprints))
    return replace(
        scene,
        landmarks=tuple(landmarks),
        quiz_points=quiz_points,
        booth_slots=tuple(booths),
        spawn_points=spawns,
        walkable=walkable,
        grid=InterestGrid.covering(corridor, street.interest_cell),
    )


_Placed = Landmark | QuizPoint | BoothSlot | SpawnPoint
"""What stands at a station along the road."""


def _cross_check(scene: Scene) -> list[Problem]:
    problems: list[Problem] = []
    add: Callable[[str, str], None] = lambda path, msg: problems.append(Problem(path, msg))  # noqa: E731
    street = scene.street
    length = street.centreline.length

    seen: dict[str, str] = {}
    identified: list[tuple[str, Sequence[_Placed | Quest]]] = [
        ("landmarks", scene.landmarks),
        ("quiz_points", scene.quiz_points),
        ("quests", scene.quests),
        ("booth_slots", scene.booth_slots),
        ("spawn_points", scene.spawn_points),
    ]
    for section, items in identified:
        for i, item in enumerate(items):
            path = f"{section}[{i}].id"
            if item.id in seen:
                add(path, f"duplicate id {item.id!r} (first at {seen[item.id]})")
            else:
                seen[item.id] = path

    if street.walkable_half_width <= street.paved_half:
        add("street.walkable_half_width", "must be wider than the carriageway and sidewalk")
    placed: list[tuple[str, Sequence[_Placed]]] = [
        ("landmarks", scene.landmarks),
        ("quiz_points", scene.quiz_points),
        ("booth_slots", scene.booth_slots),
        ("spawn_points", scene.spawn_points),
    ]
    for section, items in placed:
        for i, item in enumerate(items):
            if item.station > length:
                add(f"{section}[{i}].station", f"is past the end of the road ({length:g} m)")

    landmark_ids = {lm.id: lm for lm in scene.landmarks}
    for i, (before, after) in enumerate(zip(scene.landmarks, scene.landmarks[1:], strict=False)):
        if after.station <= before.station:
            add(f"landmarks[{i + 1}].station", "landmarks must be in order along the road")
    for i, lm in enumerate(scene.landmarks):
        path = f"landmarks[{i}]"
        if lm.side == "across":
            if lm.kind != "gate":
                add(f"{path}.side", '"across" is only for a gate')
            if lm.width / 2 - lm.depth < street.paved_half:
                add(f"{path}.width", "the gate's pillars must stand beyond both sidewalks")
        else:
            if lm.kind == "gate":
                add(f"{path}.side", 'a gate spans the road: use side = "across"')
            if lm.setback < street.paved_half:
                add(f"{path}.setback", f"must be >= {street.paved_half:g} (carriageway + sidewalk)")
        for j, other in enumerate(scene.landmarks[:i]):
            if any(polygons_overlap(f, g) for f in lm.footprints for g in other.footprints):
                add(f"{path}", f"footprint overlaps landmarks[{j}] ({other.id})")
        for f in lm.footprints:
            if not all(point_in_polygon(p, scene.walkable.corridor) for p in _shrunk(f)):
                add(f"{path}", "footprint reaches outside the walkable corridor")
                break

    quiz_ids = {q.id for q in scene.quiz_points}
    per_landmark = dict.fromkeys(landmark_ids, 0)
    for i, q in enumerate(scene.quiz_points):
        path = f"quiz_points[{i}]"
        near = landmark_ids.get(q.landmark)
        if near is None:
            add(f"{path}.landmark", f"unknown landmark {q.landmark!r}")
        else:
            per_landmark[near.id] += 1
            gap = min(distance_to_polygon(q.position, f) for f in near.footprints)
            if gap > QUIZ_MAX_DISTANCE:
                add(path, f"is {gap:.0f} m from {near.id}; must be within {QUIZ_MAX_DISTANCE:g} m")
        if not scene.walkable.contains(q.position):
            add(f"{path}.offset", "is off the walkable area")
        for j, other_quiz in enumerate(scene.quiz_points[:i]):
            if math.dist(q.position, other_quiz.position) < q.radius + other_quiz.radius:
                add(path, f"trigger circle overlaps quiz_points[{j}] ({other_quiz.id})")
    for lm_id, count in per_landmark.items():
        if count < 2:
            add("quiz_points", f"landmark {lm_id!r} needs at least 2 quiz points (has {count})")

    for i, quest in enumerate(scene.quests):
        targets = set()
        for j, step in enumerate(quest.steps):
            known = quiz_ids if step.kind == "quiz" else landmark_ids
            if step.target not in known:
                add(f"quests[{i}].steps[{j}].{step.kind}", f"unknown {step.kind} {step.target!r}")
            if (step.kind, step.target) in targets:
                add(f"quests[{i}].steps[{j}]", "repeats an earlier step")
            targets.add((step.kind, step.target))

    for i, b in enumerate(scene.booth_slots):
        path = f"booth_slots[{i}]"
        for lm in scene.landmarks:
            if any(polygons_overlap(b.footprint, f) for f in lm.footprints):
                add(path, f"stands inside {lm.id}")
        if not all(point_in_polygon(p, scene.walkable.corridor) for p in _shrunk(b.footprint)):
            add(f"{path}.offset", "is off the walkable area")
        road = street.centreline.corridor(street.carriageway_half)
        if any(point_in_polygon(p, road) for p in _shrunk(b.footprint)):
            add(f"{path}.offset", "stands on the carriageway")
        for j, other_slot in enumerate(scene.booth_slots[:i]):
            if polygons_overlap(b.footprint, other_slot.footprint):
                add(path, f"overlaps booth_slots[{j}] ({other_slot.id})")

    if not scene.spawn_points:
        add("spawn_points", "needs at least one spawn point")
    for i, s in enumerate(scene.spawn_points):
        if not scene.walkable.contains(s.position):
            add(f"spawn_points[{i}].offset", "is off the walkable area")
    return problems


def _shrunk(polygon: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """Corners pulled 1 cm towards the centre, so touching the corridor edge is allowed."""
    cx = sum(p[0] for p in polygon) / len(polygon)
    cz = sum(p[1] for p in polygon) / len(polygon)
    return [(x + (cx - x) * 0.001, z + (cz - z) * 0.001) for x, z in polygon]
