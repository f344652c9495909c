"""Where avatars appear: where a new visitor starts, and where a jump to a landmark lands.

A new visitor starts where the street's first quest starts (the spawn point nearest its first
step), facing that step, so the first thing on screen is the first thing to do. They stand
side by side across their heading rather than on one spot. A jump (``travel``) lands on the
landmark's *arrival point*: the first walkable spot found going from the landmark's centre
towards its nearest quiz point (or spawn point), a little outside its footprint and a few
metres from its centre, facing it.

Headings are degrees, 0 = +x, counter-clockwise seen from above (``Polyline.heading``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from srichan_world.scene.geometry import Point, point_in_polygon
from srichan_world.scene.manifest import Manifest, PlacedLandmark

Place = tuple[float, float, float]
"""``(x, z, heading)``."""
Walkable = Callable[[float, float], bool]

SIDE_BY_SIDE_M = (0.0, 1.5, -1.5, 3.0, -3.0)
"""Lateral offsets of the start places, in the order they are handed out."""
ARRIVAL_CLEARANCE_M = 1.5
"""How far outside a footprint an arrival point stands."""
ARRIVAL_DISTANCE_M = 6.0
"""And at least this far from the landmark's centre, to see it (a gate's centre is open)."""
_STEP_M = 0.5


def heading_to(start: Point, target: Point) -> float:
    return math.degrees(math.atan2(-(target[1] - start[1]), target[0] - start[0])) % 360.0


def first_target(manifest: Manifest) -> Point | None:
    """Where the street's first quest begins (its first step's landmark or quiz point)."""
    if not manifest.quests or not manifest.quests[0].steps:
        return None
    step = manifest.quests[0].steps[0]
    places = {lm.id: lm.position for lm in manifest.landmarks}
    places |= {q.id: q.position for q in manifest.quiz_points}
    return places.get(step.target)


def start_places(manifest: Manifest, walkable: Walkable) -> list[Place]:
    """Where new avatars appear, in turn: beside the spawn point nearest the first quest,
    facing its first step; every spawn point as the scene lists them when it has no quest."""
    spawns = [(*p.position, p.heading) for p in manifest.spawn_points]
    target = first_target(manifest)
    if target is None or not spawns:
        return spawns
    x, z, _ = min(spawns, key=lambda s: math.dist((s[0], s[1]), target))
    heading = heading_to((x, z), target)
    # left of the heading: with dx = cos h and dz = -sin h, left is (-dz, dx)
    lx, lz = math.sin(math.radians(heading)), math.cos(math.radians(heading))
    places = []
    for offset in SIDE_BY_SIDE_M:
        px, pz = x + lx * offset, z + lz * offset
        if walkable(px, pz):
            places.append((px, pz, heading_to((px, pz), target)))
    return places or [(x, z, heading)]


def arrival_points(manifest: Manifest, walkable: Walkable) -> dict[str, Place]:
    """Each landmark's arrival point (landmarks with no walkable spot near them have none)."""
    anchors = [p.position for p in manifest.spawn_points]
    quizzes: dict[str, list[Point]] = {}
    for q in manifest.quiz_points:
        quizzes.setdefault(q.landmark, []).append(q.position)
    points = {}
    for landmark in manifest.landmarks:
        towards = quizzes.get(landmark.id) or anchors
        if not towards:
            continue
        toward = min(towards, key=lambda p: math.dist(p, landmark.position))
        arrival = _arrival(landmark, toward, walkable)
        if arrival is not None:
            points[landmark.id] = arrival
    return points


def _arrival(landmark: PlacedLandmark, toward: Point, walkable: Walkable) -> Place | None:
    """Walk from the landmark's centre towards ``toward``; the first walkable spot that is
    clear of every footprint by :data:`ARRIVAL_CLEARANCE_M`."""
    (cx, cz), (tx, tz) = landmark.position, toward
    length = math.dist((cx, cz), (tx, tz))
    if length == 0.0:
        return (tx, tz, 0.0) if walkable(tx, tz) else None
    ux, uz = (tx - cx) / length, (tz - cz) / length
    clear_from: float | None = None
    for i in range(int(length / _STEP_M) + 1):
        d = i * _STEP_M
        x, z = cx + ux * d, cz + uz * d
        inside = any(point_in_polygon((x, z), f) for f in landmark.footprints)
        if inside:
            clear_from = None
            continue
        clear_from = d if clear_from is None else clear_from
        far_enough = d - clear_from >= ARRIVAL_CLEARANCE_M and d >= ARRIVAL_DISTANCE_M
        if far_enough and walkable(x, z):
            return (x, z, heading_to((x, z), landmark.position))
    return (tx, tz, heading_to((tx, tz), landmark.position)) if walkable(tx, tz) else None
