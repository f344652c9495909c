"""Constant-time "may an avatar stand here?" and "walk straight there?" for the move check,
exact at the edges.

:meth:`Walkable.contains` tests the corridor and every footprint polygon: several
microseconds, paid on every move of every avatar. A raster over the street (built once with
numpy) answers most points from one byte; only the thin band of cells that a boundary passes
through falls back to the exact polygon test, so the answer is always exactly
``walkable.contains``.

A move is also checked along its segment (:meth:`WalkMap.clear`), or a client could step
through a thin wall whose both sides are walkable. The segment's cells are walked in order
(Amanatides–Woo): an outside cell refuses at once, inside cells pass, and a boundary cell
tests the segment against the few boundary edges that pass through that cell. Touching a
boundary counts as crossing it: honest clients keep their body (0.35 m) off the walls, and a
path through a footprint's exact corners must not slip between two edges.
"""

from __future__ import annotations

import math

import numpy as np

from srichan_world.scene.geometry import Polygon, Walkable

_OUT, _IN, _EDGE = 0, 1, 2
Edge = tuple[float, float, float, float]
"""A boundary segment ``(ax, az, bx, bz)``."""


def _inside(xs: np.ndarray, zs: np.ndarray, polygon: Polygon) -> np.ndarray:
    """Even-odd rule for many points at once: ``(n,) bool`` for ``(n,)`` coordinates."""
    inside = np.zeros(xs.shape, dtype=bool)
    n = len(polygon)
    for i in range(n):
        x1, z1 = polygon[i]
        x2, z2 = polygon[(i + 1) % n]
        if z1 == z2:
            continue
        crosses = (z1 > zs) != (z2 > zs)
        inside ^= crosses & (xs < x1 + (zs - z1) * (x2 - x1) / (z2 - z1))
    return inside


class WalkMap:
    """Answers exactly what ``walkable.contains`` answers, mostly without computing it."""

    def __init__(self, walkable: Walkable, cell: float = 0.5) -> None:
        if len(walkable.corridor) < 3:
            raise ValueError("walkable.corridor: needs at least 3 points")
        self.walkable = walkable
        xs = [p[0] for p in walkable.corridor]
        zs = [p[1] for p in walkable.corridor]
        self.x0, self.z0 = min(xs), min(zs)
        self.cell = cell
        self.cols = max(1, math.ceil((max(xs) - self.x0) / cell))
        self.rows = max(1, math.ceil((max(zs) - self.z0) / cell))
        cx = self.x0 + (np.arange(self.cols) + 0.5) * cell
        cz = self.z0 + (np.arange(self.rows) + 0.5) * cell
        gx, gz = (a.ravel() for a in np.meshgrid(cx, cz))
        walk = _inside(gx, gz, walkable.corridor)
        for obstacle in walkable.obstacles:
            walk &= ~_inside(gx, gz, obstacle)
        state = np.where(walk, _IN, _OUT).astype(np.uint8).reshape(self.rows, self.cols)
        edges: dict[int, set[Edge]] = {}
        for polygon in (walkable.corridor, *walkable.obstacles):
            self._mark_edges(state, polygon, edges)
        self.state = state.tobytes()
        self.room = _room(state == _IN).tobytes()
        """Per cell, 1 + how many rings of cells around it are all inside (0: not inside):
        a move that stays within them is clear with one lookup."""
        self.edges = {cell: tuple(found) for cell, found in edges.items()}
        """The boundary segments passing through (or next to) each mixed cell."""

    def _mark_edges(self, state: np.ndarray, polygon: Polygon, edges: dict[int, set[Edge]]) -> None:
        """Mark every cell a boundary segment passes through (and its neighbours) as mixed,
        and list the segment under each of them.

        Samples every quarter cell: a crossed cell holds a segment point within an eighth of
        a cell of some sample, so it is that sample's cell or one of its eight neighbours.
        """
        for i in range(len(polygon)):
            (ax, az), (bx, bz) = polygon[i], polygon[(i + 1) % len(polygon)]
            samples = max(1, math.ceil(math.dist((ax, az), (bx, bz)) / (self.cell / 4)))
            t = np.linspace(0.0, 1.0, samples + 1)
            cols = np.floor((ax + (bx - ax) * t - self.x0) / self.cell).astype(np.int64)
            rows = np.floor((az + (bz - az) * t - self.z0) / self.cell).astype(np.int64)
            edge = (ax, az, bx, bz)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    r, c = rows + dr, cols + dc
                    ok = (r >= 0) & (r < self.rows) & (c >= 0) & (c < self.cols)
                    state[r[ok], c[ok]] = _EDGE
                    for cell in set((r[ok] * self.cols + c[ok]).tolist()):
                        edges.setdefault(cell, set()).add(edge)

    def contains(self, x: float, z: float) -> bool:
        """``x``, ``z`` must be finite (the caller checks)."""
        col = (x - self.x0) / self.cell
        row = (z - self.z0) / self.cell
        if col < 0 or row < 0 or col >= self.cols or row >= self.rows:
            return False
        s = self.state[int(row) * self.cols + int(col)]
        if s == _EDGE:
            return self.walkable.contains((x, z))
        return s == _IN

    @property
    def edge_share(self) -> float:
        """Share of the raster that needs the exact test (for tuning and tests)."""
        return self.state.count(_EDGE) / len(self.state)

    def clear(self, ax: float, az: float, bx: float, bz: float) -> bool:
        """True when the straight walk from ``(ax, az)`` to ``(bx, bz)`` touches no boundary
        of the walkable area: from a walkable start, the end is then walkable too. False for
        either point off the raster. All four must be finite (the caller checks)."""
        cols, rows, x0, z0, cell = self.cols, self.rows, self.x0, self.z0, self.cell
        fx, fz, tx, tz = (ax - x0) / cell, (az - z0) / cell, (bx - x0) / cell, (bz - z0) / cell
        if not (0.0 <= fx < cols and 0.0 <= fz < rows and 0.0 <= tx < cols and 0.0 <= tz < rows):
            return False  # off the raster is off the street
        c, r = int(fx), int(fz)
        room = self.room[r * cols + c]
        across, down = int(tx) - c, int(tz) - r
        if -room < across < room and -room < down < room:
            return True  # within the all-inside rings around the start (one free cell: room 1)
        across, down = abs(across), abs(down)
        steps = across + down
        dx, dz = tx - fx, tz - fz
        step_c, step_r = (1 if dx > 0 else -1), (1 if dz > 0 else -1)
        delta_c = abs(1.0 / dx) if dx else math.inf
        delta_r = abs(1.0 / dz) if dz else math.inf
        next_c = ((c + 1 - fx) if dx > 0 else (fx - c)) * delta_c if dx else math.inf
        next_r = ((r + 1 - fz) if dz > 0 else (fz - r)) * delta_r if dz else math.inf
        for _ in range(steps + 1):
            if not (0 <= c < cols and 0 <= r < rows):
                return False
            index = r * cols + c
            s = self.state[index]
            if s == _OUT or (s == _EDGE and not self._clear_in(index, ax, az, bx, bz)):
                return False
            if next_c < next_r:
                c += step_c
                next_c += delta_c
            else:
                r += step_r
                next_r += delta_r
        return True

    def _clear_in(self, index: int, ax: float, az: float, bx: float, bz: float) -> bool:
        return not any(_touches(ax, az, bx, bz, edge) for edge in self.edges[index])


def _room(inside: np.ndarray, most: int = 32) -> np.ndarray:
    """``(rows, cols) uint8``: 0 outside ``inside``, else 1 + the rings of neighbours (up to
    ``most - 1``) that are all inside too."""
    room = np.zeros(inside.shape, dtype=np.uint8)
    rows, cols = inside.shape
    current = inside
    for k in range(1, most + 1):
        room[current] = k
        padded = np.pad(current, 1, constant_values=False)
        shrunk = current.copy()
        for dr in (0, 1, 2):
            for dc in (0, 1, 2):
                shrunk &= padded[dr : dr + rows, dc : dc + cols]
        if not shrunk.any():
            break
        current = shrunk
    return room


def _side(ax: float, az: float, bx: float, bz: float, px: float, pz: float) -> float:
    """Twice the signed area of ``a, b, p``: > 0 left of a→b, < 0 right, 0 on its line."""
    return (bx - ax) * (pz - az) - (bz - az) * (px - ax)


def _touches(ax: float, az: float, bx: float, bz: float, edge: Edge) -> bool:
    """True when segment a–b and ``edge`` share at least one point (closed segments)."""
    px, pz, qx, qz = edge
    d1 = _side(px, pz, qx, qz, ax, az)
    d2 = _side(px, pz, qx, qz, bx, bz)
    d3 = _side(ax, az, bx, bz, px, pz)
    d4 = _side(ax, az, bx, bz, qx, qz)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _within(px, pz, qx, qz, ax, az))
        or (d2 == 0 and _within(px, pz, qx, qz, bx, bz))
        or (d3 == 0 and _within(ax, az, bx, bz, px, pz))
        or (d4 == 0 and _within(ax, az, bx, bz, qx, qz))
    )


def _within(ax: float, az: float, bx: float, bz: float, px: float, pz: float) -> bool:
    """``p``, known to be on the line a–b, lies between ``a`` and ``b``."""
    return min(ax, bx) <= px <= max(ax, bx) and min(az, bz) <= pz <= max(az, bz)
