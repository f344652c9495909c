"""Constant-time "may an avatar stand here?" for the move check, exact at the edges.

:meth:`Walkable.contains` tests the corridor and every footprint polygon: several
microseconds, paid on every move of every avatar. A raster over the street (built once with
numpy) answers most points from one byte; only the thin band of cells that a boundary passes
through falls back to the exact polygon test, so the answer is always exactly
``walkable.contains``.
"""

from __future__ import annotations

import math

import numpy as np

from srichan_world.scene.geometry import Polygon, Walkable

_OUT, _IN, _EDGE = 0, 1, 2


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
        for polygon in (walkable.corridor, *walkable.obstacles):
            self._mark_edges(state, polygon)
        self.state = state.tobytes()

    def _mark_edges(self, state: np.ndarray, polygon: Polygon) -> None:
        """Mark every cell a boundary segment passes through (and its neighbours) as mixed.

        Samples every quarter cell: a crossed cell holds a segment point within an eighth of
        a cell of some sample, so it is that sample's cell or one of its eight neighbours.
        """
        for i in range(len(polygon)):
            (ax, az), (bx, bz) = polygon[i], polygon[(i + 1) % len(polygon)]
            samples = max(1, math.ceil(math.dist((ax, az), (bx, bz)) / (self.cell / 4)))
            t = np.linspace(0.0, 1.0, samples + 1)
            cols = np.floor((ax + (bx - ax) * t - self.x0) / self.cell).astype(np.int64)
            rows = np.floor((az + (bz - az) * t - self.z0) / self.cell).astype(np.int64)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    r, c = rows + dr, cols + dc
                    ok = (r >= 0) & (r < self.rows) & (c >= 0) & (c < self.cols)
                    state[r[ok], c[ok]] = _EDGE

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
