"""The street itself: carriageway, kerbed sidewalks, verges, lane markings, trees, lamps and
the empty booth kiosks, all laid along the centreline polyline.

Trees and lamps are :class:`Instances`: one template and a placement per copy, so the GLB can
store each template once and draw its copies in one instanced call (EXT_mesh_gpu_instancing);
:meth:`Instances.merged` gives the copies as plain geometry for a GLB without the extension.

Heights: the carriageway and verges are at ``y = 0`` (where avatars stand), sidewalks are
``SIDEWALK_TOP`` higher, markings float ``MARKING_LIFT`` above the asphalt so that they never
z-fight with it on a phone's depth buffer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from srichan_world.gltf.solids import Solid, blob, box, cylinder, merged, placement
from srichan_world.scene.geometry import Point, Polygon, Polyline, distance_to_polygon
from srichan_world.scene.model import BoothSlot, Scene, Street

Part = tuple[str, Solid]

SIDEWALK_TOP = 0.15
MARKING_LIFT = 0.02
MARKING_WIDTH = 0.15
DASH, GAP = 3.0, 6.0
TREE_CLEARANCE = 1.6
LAMP_CLEARANCE = 0.6


@dataclass(frozen=True)
class Instances:
    """Copies of one ``template`` solid: ``matrices (n, 4, 4)`` yaw, uniform scale and move."""

    name: str
    role: str
    template: Solid
    matrices: np.ndarray

    def merged(self) -> Solid:
        return _instances(self.template, self.matrices)


def street_parts(scene: Scene) -> list[Part]:
    """Everything that is neither a landmark nor street furniture, in world coordinates."""
    street = scene.street
    points = street.centreline.points
    ch, ph, wh = street.carriageway_half, street.paved_half, street.walkable_half_width
    parts: list[Part] = [("asphalt", _band(points, -ch, ch, -0.1, 0.0))]
    for lo, hi in ((ch, ph), (-ph, -ch)):
        parts.append(("paving", _band(points, lo, hi, -0.1, SIDEWALK_TOP)))
    for lo, hi in ((ph, wh), (-wh, -ph)):
        parts.append(("ground", _band(points, lo, hi, -0.1, 0.0)))
    parts += _markings(street)
    for booth in scene.booth_slots:
        parts += kiosk(booth)
    return parts


# -- strips along the centreline ------------------------------------------------------------


def _offset(points: Sequence[Point], offset: float) -> np.ndarray:
    """The polyline moved ``offset`` metres to the left (mitred joins): ``(n, 2)``."""
    p = np.asarray(points, dtype=float)
    seg = np.diff(p, axis=0)
    seg /= np.linalg.norm(seg, axis=1)[:, None]
    tangents = np.vstack([seg[:1], seg[:-1] + seg[1:], seg[-1:]])
    tangents /= np.linalg.norm(tangents, axis=1)[:, None]
    cos_half = np.ones(len(p))
    cos_half[1:-1] = np.einsum("ij,ij->i", tangents[1:-1], seg[1:])
    reach = offset / np.maximum(cos_half, 0.2)
    left = np.column_stack([tangents[:, 1], -tangents[:, 0]])
    return p + left * reach[:, None]


def _lift(xz: np.ndarray, y: float) -> np.ndarray:
    return np.column_stack([xz[:, 0], np.full(len(xz), y), xz[:, 1]])


def _outward(solid: Solid) -> Solid:
    """Flip the winding if the (closed) solid's signed volume is negative."""
    v = solid.vertices[solid.faces]
    volume = np.einsum("ij,ij->i", v[:, 0], np.cross(v[:, 1], v[:, 2])).sum()
    return solid if volume >= 0 else Solid(solid.vertices, solid.faces[:, ::-1].copy())


def _band(points: Sequence[Point], lo: float, hi: float, y0: float, y1: float) -> Solid:
    """A closed slab from lateral ``lo`` to ``hi`` and height ``y0`` to ``y1``."""
    a, b = _offset(points, lo), _offset(points, hi)
    n = len(a)
    rings = np.stack([_lift(a, y0), _lift(b, y0), _lift(b, y1), _lift(a, y1)], axis=1)
    vertices = rings.reshape(-1, 3)
    faces = []
    for i in range(n - 1):
        for k in range(4):
            p, q = i * 4 + k, i * 4 + (k + 1) % 4
            faces += [(p, q, q + 4), (p, q + 4, p + 4)]
    last = (n - 1) * 4
    faces += [(0, 2, 1), (0, 3, 2), (last, last + 1, last + 2), (last, last + 2, last + 3)]
    return _outward(Solid(vertices, np.array(faces, dtype=np.int64)))


def _up(vertices: np.ndarray, faces: np.ndarray) -> Solid:
    """Flat decal: make every triangle face +Y."""
    v = vertices[faces]
    ny = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])[:, 1]
    faces = np.where((ny < 0)[:, None], faces[:, ::-1], faces)
    return Solid(vertices, faces)


def _ribbon(points: Sequence[Point], centre: float, width: float) -> Solid:
    a = _lift(_offset(points, centre - width / 2), MARKING_LIFT)
    b = _lift(_offset(points, centre + width / 2), MARKING_LIFT)
    n = len(a)
    vertices = np.vstack([a, b])
    faces = [f for i in range(n - 1) for f in ((i, n + i, n + i + 1), (i, n + i + 1, i + 1))]
    return _up(vertices, np.array(faces, dtype=np.int64))


def _dashes(line: Polyline, offset: float) -> Solid:
    starts = np.arange(0.0, line.length, DASH + GAP)
    quads = []
    for s in starts:
        e = min(s + DASH, line.length)
        if e - s < 0.5:
            continue
        (x0, z0), (x1, z1) = line.place(s, offset), line.place(e, offset)
        length = math.hypot(x1 - x0, z1 - z0)
        lx, lz = (z1 - z0) / length * MARKING_WIDTH / 2, -(x1 - x0) / length * MARKING_WIDTH / 2
        quads.append(
            [(x0 - lx, z0 - lz), (x1 - lx, z1 - lz), (x1 + lx, z1 + lz), (x0 + lx, z0 + lz)]
        )
    if not quads:
        return merged([])
    corners = np.asarray(quads, dtype=float).reshape(-1, 2)
    base = np.arange(len(quads))[:, None] * 4
    faces = np.concatenate([base + np.array([0, 2, 1]), base + np.array([0, 3, 2])])
    return _up(_lift(corners, MARKING_LIFT), faces)


def _markings(street: Street) -> list[Part]:
    """Centre line per ``street.markings``, dashed lane dividers, solid edge lines."""
    if street.markings == "none":
        return []
    line, points = street.centreline, street.centreline.points
    parts: list[Part] = []
    for k in range(1, street.lanes):
        offset = k * street.lane_width - street.carriageway_half
        centre = abs(offset) < 1e-9
        if centre and street.markings == "solid":
            parts.append(("paint-yellow", _ribbon(points, 0.0, MARKING_WIDTH)))
        elif centre and street.markings == "double":
            for side in (-1, 1):
                parts.append(("paint-yellow", _ribbon(points, side * 0.18, MARKING_WIDTH)))
        else:
            parts.append(("paint", _dashes(line, offset)))
    edge = street.carriageway_half - 0.3
    if edge > MARKING_WIDTH:
        for side in (-1, 1):
            parts.append(("paint", _ribbon(points, side * edge, MARKING_WIDTH)))
    return parts


# -- street furniture -----------------------------------------------------------------------


@dataclass(frozen=True)
class Spot:
    """Where a tree or lamp stands: ``side`` is +1 left of travel, -1 right."""

    point: Point
    heading: float
    side: int


def tree_spots(scene: Scene) -> list[Spot]:
    """Trees every ``tree_spacing`` on both sidewalks, near their outer edge."""
    street = scene.street
    offset = street.carriageway_half + 0.72 * street.sidewalk_width
    return _spots(street, street.tree_spacing, offset, TREE_CLEARANCE, _obstacles(scene))


def lamp_spots(scene: Scene) -> list[Spot]:
    """Lamps every ``lamp_spacing`` on both sidewalks, at the kerb."""
    street = scene.street
    offset = street.carriageway_half + 0.45
    return _spots(street, street.lamp_spacing, offset, LAMP_CLEARANCE, _obstacles(scene))


def _obstacles(scene: Scene) -> list[Polygon]:
    return [f for lm in scene.landmarks for f in lm.footprints] + [
        b.footprint for b in scene.booth_slots
    ]


def _spots(
    street: Street, spacing: float, offset: float, clearance: float, obstacles: list[Polygon]
) -> list[Spot]:
    """Spots every ``spacing`` metres on both sides, ``clearance`` away from every obstacle.

    A bounding-box prefilter keeps this linear in practice on long streets.
    """
    if spacing <= 0:
        return []
    line = street.centreline
    stations = np.arange(spacing / 2, line.length, spacing)
    candidates = [
        Spot(line.place(s, side * offset), line.heading(s), side)
        for s in stations
        for side in (1, -1)
    ]
    if not candidates or not obstacles:
        return candidates
    pts = np.array([c.point for c in candidates])
    boxes = np.array([(*np.min(o, axis=0), *np.max(o, axis=0)) for o in obstacles])
    near = (
        (pts[:, None, 0] > boxes[None, :, 0] - clearance)
        & (pts[:, None, 0] < boxes[None, :, 2] + clearance)
        & (pts[:, None, 1] > boxes[None, :, 1] - clearance)
        & (pts[:, None, 1] < boxes[None, :, 3] + clearance)
    )
    return [
        c
        for c, row in zip(candidates, near, strict=True)
        if all(distance_to_polygon(c.point, obstacles[j]) >= clearance for j in np.flatnonzero(row))
    ]


def _instances(template: Solid, matrices: np.ndarray) -> Solid:
    """The template placed by each ``(4, 4)`` matrix in ``matrices (n, 4, 4)``."""
    if len(matrices) == 0:
        return merged([])
    v = np.einsum("nij,kj->nki", matrices[:, :3, :3], template.vertices) + matrices[:, None, :3, 3]
    offsets = np.arange(len(matrices))[:, None, None] * len(template.vertices)
    return Solid(v.reshape(-1, 3), (template.faces[None] + offsets).reshape(-1, 3))


def furniture(scene: Scene) -> list[Instances]:
    """Trees and lamps, each part of them one :class:`Instances` (none if there are no spots)."""
    return [i for i in (*_trees(tree_spots(scene)), *_lamps(lamp_spots(scene))) if len(i.matrices)]


def _trees(spots: list[Spot]) -> list[Instances]:
    matrices = []
    for i, spot in enumerate(spots):
        scale = 0.85 + 0.3 * ((i * 0.6180339887) % 1.0)
        m = placement(spot.point[0], spot.point[1], (i * 137.5) % 360.0, SIDEWALK_TOP)
        m[:3, :3] *= scale
        matrices.append(m)
    stack = np.array(matrices).reshape(-1, 4, 4)
    trunk = cylinder(0.18, 2.8, sections=5)
    crown = blob((1.8, 1.5, 1.8), (0.0, 3.9, 0.0))
    return [
        Instances("tree_trunk", "bark", trunk, stack),
        Instances("tree_crown", "foliage", crown, stack),
    ]


def _lamps(spots: list[Spot]) -> list[Instances]:
    # Built with the arm along +Z: for a lamp left of travel, +Z points at the road.
    turns = [spot.heading + (0.0 if spot.side > 0 else 180.0) for spot in spots]
    stack = np.array(
        [
            placement(s.point[0], s.point[1], t, SIDEWALK_TOP)
            for s, t in zip(spots, turns, strict=True)
        ]
    ).reshape(-1, 4, 4)
    pole = merged([box((0.16, 6.0, 0.16)), box((0.1, 0.1, 1.6), (0.0, 5.9, 0.75))])
    head = box((0.3, 0.15, 0.6), (0.0, 5.8, 1.4))
    return [
        Instances("lamp_pole", "metal", pole, stack),
        Instances("lamp_head", "paint", head, stack),
    ]


def kiosk(booth: BoothSlot) -> list[Part]:
    """An empty market kiosk on the booth's footprint, its counter on the side it faces.

    The footprint turns with ``facing``: ``width`` runs across it, ``depth`` along it.
    """
    across, deep = booth.width, booth.depth
    # Local +Z is the facing side.
    m = placement(booth.position[0], booth.position[1], booth.facing + 90.0)
    posts = [
        box((0.1, 2.5, 0.1), (sx * (across / 2 - 0.1), 0.0, sz * (deep / 2 - 0.1)))
        for sx in (-1, 1)
        for sz in (-1, 1)
    ]
    counter = box((across - 0.3, 1.0, 0.5), (0.0, 0.0, deep / 2 - 0.35))
    canopy = box((across + 0.2, 0.12, deep + 0.2), (0.0, 2.5, 0.0))
    return [
        ("metal", merged(posts).moved(m)),
        ("bark", counter.moved(m)),
        ("paint", canopy.moved(m)),
    ]
