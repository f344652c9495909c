"""Plane geometry of the street: stations along a polyline, walkable area, interest grid.

Shared by the compiler (to place things) and the server (to judge moves), so both agree on
what "inside the street" means. Points are ``(x, z)`` tuples in metres on the ground plane.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]
Polygon = tuple[Point, ...]


@dataclass(frozen=True)
class Polyline:
    """A centreline; ``station`` is arc length from the first point."""

    points: tuple[Point, ...]

    @property
    def length(self) -> float:
        return sum(math.dist(a, b) for a, b in zip(self.points, self.points[1:], strict=False))

    def frame(self, station: float) -> tuple[Point, Point]:
        """Return ``(point, unit tangent)`` at ``station`` (clamped to the ends)."""
        remaining = max(0.0, station)
        segments = list(zip(self.points, self.points[1:], strict=False))
        for index, (a, b) in enumerate(segments):
            seg = math.dist(a, b)
            if remaining <= seg or index == len(segments) - 1:
                t = min(remaining, seg) / seg
                tangent = ((b[0] - a[0]) / seg, (b[1] - a[1]) / seg)
                return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t), tangent
            remaining -= seg
        raise ValueError("polyline needs at least two points")

    def place(self, station: float, offset: float) -> Point:
        """Point at ``station``, ``offset`` metres to the left (positive) of travel."""
        (x, z), (tx, tz) = self.frame(station)
        # Left of travel with Y up and looking down: rotate the tangent +90° about Y.
        return (x + tz * offset, z - tx * offset)

    def heading(self, station: float) -> float:
        """Heading of the road at ``station`` in degrees (0 = +x, counter-clockwise from above)."""
        _, (tx, tz) = self.frame(station)
        return math.degrees(math.atan2(-tz, tx))

    def rectangle(self, station: float, length: float, near: float, far: float) -> Polygon:
        """Rectangle along the road: ``length`` centred on ``station``, lateral ``near..far``."""
        (x, z), (tx, tz) = self.frame(station)
        lx, lz = tz, -tx
        half = length / 2
        corners = ((-half, near), (half, near), (half, far), (-half, far))
        return tuple((x + tx * a + lx * o, z + tz * a + lz * o) for a, o in corners)

    def corridor(self, half_width: float) -> Polygon:
        """The band ``± half_width`` around the polyline, as one polygon (mitred corners)."""
        left: list[Point] = []
        right: list[Point] = []
        for i, p in enumerate(self.points):
            tangents = []
            if i > 0:
                tangents.append(_unit(self.points[i - 1], p))
            if i < len(self.points) - 1:
                tangents.append(_unit(p, self.points[i + 1]))
            tx = sum(t[0] for t in tangents)
            tz = sum(t[1] for t in tangents)
            norm = math.hypot(tx, tz) or 1.0
            tx, tz = tx / norm, tz / norm
            cos_half = tx * tangents[0][0] + tz * tangents[0][1]
            reach = half_width / max(cos_half, 0.2)
            left.append((p[0] + tz * reach, p[1] - tx * reach))
            right.append((p[0] - tz * reach, p[1] + tx * reach))
        return tuple(left + right[::-1])


def oriented_rectangle(centre: Point, facing: float, width: float, depth: float) -> Polygon:
    """A ``width`` × ``depth`` box whose front faces ``facing`` degrees (0 = +x, 90 = −z):
    a booth's counter runs across its facing direction."""
    a = math.radians(facing)
    fx, fz = math.cos(a), -math.sin(a)  # front direction
    sx, sz = -fz, fx  # side direction
    hw, hd = width / 2, depth / 2
    cx, cz = centre
    return tuple(
        (cx + fx * d + sx * w, cz + fz * d + sz * w)
        for d, w in ((-hd, -hw), (-hd, hw), (hd, hw), (hd, -hw))
    )


def _unit(a: Point, b: Point) -> Point:
    d = math.dist(a, b)
    return ((b[0] - a[0]) / d, (b[1] - a[1]) / d)


def point_in_polygon(point: Point, polygon: Sequence[Point]) -> bool:
    """Even-odd rule; points exactly on an edge may go either way."""
    x, z = point
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, z1 = polygon[i]
        x2, z2 = polygon[(i + 1) % n]
        if (z1 > z) != (z2 > z) and x < x1 + (z - z1) * (x2 - x1) / (z2 - z1):
            inside = not inside
    return inside


def distance_to_polygon(point: Point, polygon: Sequence[Point]) -> float:
    """0 inside, else the distance to the nearest edge."""
    if point_in_polygon(point, polygon):
        return 0.0
    return min(
        _distance_to_segment(point, polygon[i], polygon[(i + 1) % len(polygon)])
        for i in range(len(polygon))
    )


def _distance_to_segment(p: Point, a: Point, b: Point) -> float:
    ax, az = a
    dx, dz = b[0] - ax, b[1] - az
    length2 = dx * dx + dz * dz
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - az) * dz) / length2))
    return math.dist(p, (ax + t * dx, az + t * dz))


def polygons_overlap(a: Sequence[Point], b: Sequence[Point]) -> bool:
    """True when two convex polygons share interior (separating-axis test)."""
    for poly in (a, b):
        for i in range(len(poly)):
            x1, z1 = poly[i]
            x2, z2 = poly[(i + 1) % len(poly)]
            nx, nz = z1 - z2, x2 - x1
            pa = [nx * x + nz * z for x, z in a]
            pb = [nx * x + nz * z for x, z in b]
            if max(pa) <= min(pb) + 1e-9 or max(pb) <= min(pa) + 1e-9:
                return False
    return True


@dataclass(frozen=True)
class Walkable:
    """Where an avatar may stand: the corridor minus the building footprints."""

    corridor: Polygon
    obstacles: tuple[Polygon, ...]

    def contains(self, point: Point) -> bool:
        if not point_in_polygon(point, self.corridor):
            return False
        return not any(point_in_polygon(point, o) for o in self.obstacles)

    def to_json(self) -> dict[str, object]:
        return {
            "corridor": [list(p) for p in self.corridor],
            "obstacles": [[list(p) for p in o] for o in self.obstacles],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Walkable:
        return cls(
            corridor=tuple((float(x), float(z)) for x, z in data["corridor"]),
            obstacles=tuple(tuple((float(x), float(z)) for x, z in o) for o in data["obstacles"]),
        )


@dataclass(frozen=True)
class InterestGrid:
    """Square cells over the street's bounding box; cell ``(col, row)`` has id ``row*cols+col``."""

    origin: Point
    cell: float
    cols: int
    rows: int

    def cell_of(self, point: Point) -> tuple[int, int]:
        col = int((point[0] - self.origin[0]) // self.cell)
        row = int((point[1] - self.origin[1]) // self.cell)
        return (min(max(col, 0), self.cols - 1), min(max(row, 0), self.rows - 1))

    def neighbourhood(self, cell: tuple[int, int]) -> list[tuple[int, int]]:
        """The cell and its (up to) eight neighbours: what an avatar in ``cell`` can see."""
        col, row = cell
        return [
            (c, r)
            for r in range(row - 1, row + 2)
            for c in range(col - 1, col + 2)
            if 0 <= c < self.cols and 0 <= r < self.rows
        ]

    @classmethod
    def covering(cls, polygon: Sequence[Point], cell: float) -> InterestGrid:
        xs = [p[0] for p in polygon]
        zs = [p[1] for p in polygon]
        cols = max(1, math.ceil((max(xs) - min(xs)) / cell))
        rows = max(1, math.ceil((max(zs) - min(zs)) / cell))
        return cls(origin=(min(xs), min(zs)), cell=cell, cols=cols, rows=rows)
