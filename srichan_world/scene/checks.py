"""Place a read scene on the plane, then check what no single value can show on its own:
unique ids, known references, footprints, trigger circles and booths that fit together.

The checks run even where reading found faults, so an author sees every problem in one pass.
Only a check that *uses* a value the reader had to replace is skipped (its verdict would be
about the stand-in, not the author's value): each check names the fields it reads.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from srichan_world.scene.courses import check_courses
from srichan_world.scene.events import check_events
from srichan_world.scene.geometry import (
    InterestGrid,
    Polygon,
    Walkable,
    distance_to_polygon,
    oriented_rectangle,
    point_in_polygon,
    polygons_overlap,
)
from srichan_world.scene.model import (
    BoothSlot,
    Event,
    Landmark,
    Quest,
    QuizPoint,
    Scene,
    SpawnPoint,
)
from srichan_world.scene.problems import Problem, nearest

QUIZ_MAX_DISTANCE = 40.0
"""A quiz point must stand within this many metres of its landmark's footprint."""

LANDMARK_PLACE: tuple[str, ...] = ("station", "side", "setback", "width", "depth", "kind")
QUIZ_PLACE: tuple[str, ...] = ("station", "offset", "radius")
BOOTH_PLACE: tuple[str, ...] = ("station", "offset", "facing", "width", "depth")
SPAWN_PLACE: tuple[str, ...] = ("station", "offset")
EVENT_PLACE: tuple[str, ...] = ("starts", "ends", "landmark", "point", "quiz_points", "quest")


def place(scene: Scene) -> Scene:
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
    at = {lm.id: lm.position for lm in landmarks}
    events = tuple(
        replace(e, position=e.point if e.point is not None else at.get(e.landmark, (0.0, 0.0)))
        for e in scene.events
    )
    corridor = line.corridor(street.walkable_half_width)
    walkable = Walkable(corridor, tuple(f for lm in landmarks for f in lm.footprints))
    return replace(
        scene,
        landmarks=tuple(landmarks),
        quiz_points=quiz_points,
        booth_slots=tuple(booths),
        spawn_points=spawns,
        events=events,
        walkable=walkable,
        grid=InterestGrid.covering(corridor, street.interest_cell),
    )


_Placed = Landmark | QuizPoint | BoothSlot | SpawnPoint
"""What stands at a station along the road."""
Uses = Mapping[str, Iterable[str]]
"""Item path -> the fields of it a check reads."""


class _Checker:
    """Collects cross-check problems, skipping those that rest on a replaced value."""

    def __init__(self, faulty: Collection[str]) -> None:
        self.faulty = faulty
        self.problems: list[Problem] = []

    def broken(self, item: str, uses: Iterable[str]) -> bool:
        """Did reading replace ``item`` itself or any of the fields in ``uses``?"""
        if item in self.faulty:
            return True
        return any(
            f == f"{item}.{u}" or f.startswith((f"{item}.{u}.", f"{item}.{u}["))
            for u in uses
            for f in self.faulty
        )

    def add(
        self,
        path: str,
        message: str,
        uses: Uses | None = None,
        did_you_mean: str = "",
    ) -> None:
        """Report ``message`` at ``path`` unless an item in ``uses`` (item -> fields) is broken."""
        if uses and any(self.broken(item, fields) for item, fields in uses.items()):
            return
        self.problems.append(Problem(path, message, did_you_mean=did_you_mean))


def cross_check(scene: Scene, faulty: Collection[str] = ()) -> list[Problem]:
    """Every problem between items of a placed ``scene``; ``faulty`` holds the paths the
    reader reported (their values were replaced)."""
    check = _Checker(faulty)
    add = check.add
    street = scene.street
    length = street.centreline.length

    seen: dict[str, str] = {}
    identified: list[tuple[str, Sequence[_Placed | Quest | Event]]] = [
        ("landmarks", scene.landmarks),
        ("quiz_points", scene.quiz_points),
        ("quests", scene.quests),
        ("booth_slots", scene.booth_slots),
        ("spawn_points", scene.spawn_points),
        ("events", scene.events),
    ]
    for section, items in identified:
        for i, item in enumerate(items):
            path = f"{section}[{i}].id"
            if not item.id:
                continue
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
                add(
                    f"{section}[{i}].station",
                    f"is past the end of the road ({length:g} m)",
                    {f"{section}[{i}]": ("station",)},
                )

    landmark_ids = {lm.id: lm for lm in scene.landmarks}
    landmark_index = {lm.id: i for i, lm in enumerate(scene.landmarks)}
    for i, (before, after) in enumerate(zip(scene.landmarks, scene.landmarks[1:], strict=False)):
        if after.station <= before.station:
            add(
                f"landmarks[{i + 1}].station",
                "landmarks must be in order along the road",
                {f"landmarks[{i}]": ("station",), f"landmarks[{i + 1}]": ("station",)},
            )
    for i, lm in enumerate(scene.landmarks):
        path = f"landmarks[{i}]"
        mine = {path: LANDMARK_PLACE}
        if lm.model and lm.kind == "gate":
            add(f"{path}.model", "a gate stands on two footprints: it cannot be a model")
        if lm.side == "across":
            if lm.kind != "gate":
                add(f"{path}.side", '"across" is only for a gate', {path: ("kind", "side")})
            if lm.width / 2 - lm.depth < street.paved_half:
                add(
                    f"{path}.width",
                    "the gate's pillars must stand beyond both sidewalks",
                    {path: ("width", "depth", "side")},
                )
        else:
            if lm.kind == "gate":
                add(
                    f"{path}.side",
                    'a gate spans the road: use side = "across"',
                    {path: ("kind", "side")},
                )
            if lm.setback < street.paved_half:
                add(
                    f"{path}.setback",
                    f"must be >= {street.paved_half:g} (carriageway + sidewalk)",
                    {path: ("setback", "side")},
                )
        for j, other in enumerate(scene.landmarks[:i]):
            if any(polygons_overlap(f, g) for f in lm.footprints for g in other.footprints):
                add(
                    path,
                    f"footprint overlaps landmarks[{j}] ({other.id})",
                    mine | {f"landmarks[{j}]": LANDMARK_PLACE},
                )
        for f in lm.footprints:
            if not all(point_in_polygon(p, scene.walkable.corridor) for p in _shrunk(f)):
                add(path, "footprint reaches outside the walkable corridor", mine)
                break

    quiz_ids = {q.id for q in scene.quiz_points}
    per_landmark = dict.fromkeys(landmark_ids, 0)
    for i, q in enumerate(scene.quiz_points):
        path = f"quiz_points[{i}]"
        mine = {path: QUIZ_PLACE}
        near = landmark_ids.get(q.landmark)
        if near is None:
            add(
                f"{path}.landmark",
                f"unknown landmark {q.landmark!r}",
                {path: ("landmark",)},
                nearest(q.landmark, landmark_ids),
            )
        else:
            per_landmark[near.id] += 1
            gap = min(distance_to_polygon(q.position, f) for f in near.footprints)
            if gap > QUIZ_MAX_DISTANCE:
                add(
                    path,
                    f"is {gap:.0f} m from {near.id}; must be within {QUIZ_MAX_DISTANCE:g} m",
                    mine | {f"landmarks[{landmark_index[near.id]}]": LANDMARK_PLACE},
                )
        if not scene.walkable.contains(q.position):
            add(f"{path}.offset", "is off the walkable area", mine)
        if q.choices and q.attempts >= len(q.choices):
            add(
                f"{path}.attempts",
                f"{q.attempts} attempts on {len(q.choices)} choices: guessing through them always "
                f"wins; give at most {len(q.choices) - 1} (here or as the policy's quiz_attempts)",
                {path: ("attempts", "choices"), "policy": ("quiz_attempts",)},
            )
        for j, other_quiz in enumerate(scene.quiz_points[:i]):
            if math.dist(q.position, other_quiz.position) < q.radius + other_quiz.radius:
                add(
                    path,
                    f"trigger circle overlaps quiz_points[{j}] ({other_quiz.id})",
                    mine | {f"quiz_points[{j}]": QUIZ_PLACE},
                )
    if not any(p.startswith("quiz_points[") and p.endswith(("]", ".landmark")) for p in faulty):
        for lm_id, count in per_landmark.items():
            if count < 2:
                add(
                    f"landmarks[{landmark_index[lm_id]}]",
                    f"landmark {lm_id!r} needs at least 2 quiz points (has {count})",
                )

    landmark_paths = {f"landmarks[{i}]": ("id",) for i in range(len(scene.landmarks))}
    quiz_paths = {f"quiz_points[{i}]": ("id",) for i in range(len(scene.quiz_points))}
    for i, quest in enumerate(scene.quests):
        targets = set()
        for j, step in enumerate(quest.steps):
            known, owners = (
                (quiz_ids, quiz_paths) if step.kind == "quiz" else (landmark_ids, landmark_paths)
            )
            if step.target not in known:
                add(
                    f"quests[{i}].steps[{j}].{step.kind}",
                    f"unknown {step.kind} {step.target!r}",
                    owners,
                    nearest(step.target, known),
                )
            if (step.kind, step.target) in targets:
                add(f"quests[{i}].steps[{j}]", "repeats an earlier step")
            targets.add((step.kind, step.target))

    road = street.centreline.corridor(street.carriageway_half)
    for i, b in enumerate(scene.booth_slots):
        path = f"booth_slots[{i}]"
        mine = {path: BOOTH_PLACE}
        for k, building in enumerate(scene.landmarks):
            if any(polygons_overlap(b.footprint, f) for f in building.footprints):
                add(
                    path, f"stands inside {building.id}", mine | {f"landmarks[{k}]": LANDMARK_PLACE}
                )
        if not all(point_in_polygon(p, scene.walkable.corridor) for p in _shrunk(b.footprint)):
            add(f"{path}.offset", "is off the walkable area", mine)
        if any(point_in_polygon(p, road) for p in _shrunk(b.footprint)):
            add(f"{path}.offset", "stands on the carriageway", mine)
        for j, other_slot in enumerate(scene.booth_slots[:i]):
            if polygons_overlap(b.footprint, other_slot.footprint):
                add(
                    path,
                    f"overlaps booth_slots[{j}] ({other_slot.id})",
                    mine | {f"booth_slots[{j}]": BOOTH_PLACE},
                )

    if not scene.spawn_points:
        add("spawn_points", "needs at least one spawn point")
    for i, s in enumerate(scene.spawn_points):
        if not scene.walkable.contains(s.position):
            add(
                f"spawn_points[{i}].offset",
                "is off the walkable area",
                {f"spawn_points[{i}]": SPAWN_PLACE},
            )
    check_courses(scene, add)
    check_events(
        scene.events,
        {lm.id: lm.footprints for lm in scene.landmarks},
        {q.id: q.position for q in scene.quiz_points},
        {q.id for q in scene.quests},
        lambda path, message, hint: add(
            path, message, {path.split(".")[0]: EVENT_PLACE}, did_you_mean=hint
        ),
    )
    return check.problems


def _shrunk(polygon: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """Corners pulled 1 cm towards the centre, so touching the corridor edge is allowed."""
    cx = sum(p[0] for p in polygon) / len(polygon)
    cz = sum(p[1] for p in polygon) / len(polygon)
    return [(x + (cx - x) * 0.001, z + (cz - z) * 0.001) for x, z in polygon]
