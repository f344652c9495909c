"""Constant-time "may an avatar stand here?" for the move check, exact at the edges.

:meth:`Walkable.contains` tests the corridor and every footprint polygon: tens of microseconds,
paid on every move of every avatar. A raster over the street answers most points from one
byte; only cells that a boundary passes through fall back to the exact polygon test.
"""

from __future__ import annotations

import math

from srichan_world.scene.geometry import Walkable

_OUT, _IN, _EDGE = 0, 1, 2


class WalkMap:
    """Answers exactly what ``walkable.contains`` answers, mostly without computing it."""

    def __init__(self, walkable: Walkable, cell: float = 2.0) -> None:
        if len(walkable.corridor) < 3:
            raise ValueError("walkable.corridor: needs at least 3 points")
        self.walkable = walkable
        xs = [p[0] for p in walkable.corridor]
        zs = [p[1] for p in walkable.corridor]
        self.x0, self.z0 = min(xs), min(zs)
        self.cell = cell
        self.cols = max(1, math.ceil((max(xs) - self.x0) / cell))
        self.rows = max(1, math.ceil((max(zs) - self.z0) / cell))
        state = bytearray(self.cols * self.rows)
        for polygon in (walkable.corridor, *walkable.obstacles):
            self._mark_edges(state, polygon)
        for row in range(self.rows):
            for col in range(self.cols):
                i = row * self.cols + col
                if state[i] != _EDGE:
                    centre = (self.x0 + (col + 0.5) * cell, self.z0 + (row + 0.5) * cell)
                    state[i] = _IN if walkable.contains(centre) else _OUT
        self.state = bytes(state)

    def _mark_edges(self, state: bytearray, polygon: tuple) -> None:
        """Mark every cell a boundary segment passes through (and its neighbours) as mixed.

        Samples every quarter cell: a crossed cell holds a segment point within an eighth of
        a cell of some sample, so it is that sample's cell or one of its eight neighbours.
        """
        step = self.cell / 4
        for i in range(len(polygon)):
            (ax, az), (bx, bz) = polygon[i], polygon[(i + 1) % len(polygon)]
            samples = max(1, math.ceil(math.dist((ax, az), (bx, bz)) / step))
            for k in range(samples + 1):
                t = k / samples
                col = math.floor((ax + (bx - ax) * t - self.x0) / self.cell)
                row = math.floor((az + (bz - az) * t - self.z0) / self.cell)
                for r in range(row - 1, row + 2):
                    for c in range(col - 1, col + 2):
                        if 0 <= c < self.cols and 0 <= r < self.rows:
                            state[r * self.cols + c] = _EDGE

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
