"""Where a visitor goes when the street is rebuilt under their feet (live reload).

An edit may put a wall, a footprint or the edge of the corridor where an avatar stands. Such
an avatar is moved to the nearest walkable spot: the search walks outwards in rings
:data:`STEP_M` apart, each ring sampled about every :data:`STEP_M` of its circumference, and
takes the first (the nearest) walkable sample, so the move is at most half a step longer than
the true shortest one. An avatar that stands on walkable ground is never moved. When nothing
walkable lies within :data:`MAX_SEARCH_M` (the street was moved far away), the caller's
fallback (a spawn point) is used.

Pure: the walkability test is passed in, so the rule is tested without a world or sockets.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Walkable = Callable[[float, float], bool]

STEP_M = 0.25
"""Distance between search rings, and between samples along a ring."""
MAX_SEARCH_M = 60.0
"""Farthest a visitor is looked for a spot; beyond it the fallback is used."""


def nearest_walkable(
    walkable: Walkable,
    x: float,
    z: float,
    *,
    step: float = STEP_M,
    max_m: float = MAX_SEARCH_M,
) -> tuple[float, float] | None:
    """``(x, z)`` itself when walkable, else the nearest walkable sample within ``max_m``
    (``None`` when there is none). Samples on a ring are tried from the heading +x
    counter-clockwise, so equal distances resolve the same way every time."""
    if step <= 0 or not math.isfinite(x) or not math.isfinite(z):
        raise ValueError("nearest_walkable: step must be > 0 and x, z finite")
    if walkable(x, z):
        return (x, z)
    rings = math.ceil(max_m / step)
    for ring in range(1, rings + 1):
        radius = ring * step
        samples = max(8, math.ceil(2 * math.pi * radius / step))
        for i in range(samples):
            angle = 2 * math.pi * i / samples
            px, pz = x + radius * math.cos(angle), z - radius * math.sin(angle)
            if walkable(px, pz):
                return (px, pz)
    return None
