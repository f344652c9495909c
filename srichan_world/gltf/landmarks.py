"""One procedural builder per landmark kind, so the seven buildings read differently.

Each builder works in the landmark's own frame: origin at the centre of its footprint on the
ground, +X along the road, +Z towards the road (the front), Y up; ``width`` runs along X,
``depth`` along Z and nothing rises above ``height``. A gate's frame is the same except that
its span (``width``) crosses the road. :func:`frame` turns that frame into world placement.

Builders return ``(role, Solid)`` pairs; roles are ``primary`` / ``secondary`` / ``roof`` (the
author's colours) or a builder material (``glass``, ``metal``, ``paving``, ``paint``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from srichan_world.gltf.solids import (
    Solid,
    box,
    cone,
    cylinder,
    extruded,
    frustum,
    placement,
    roof,
    rotation_y,
)
from srichan_world.scene.model import Landmark

Part = tuple[str, Solid]


def frame(lm: Landmark) -> np.ndarray:
    """``(4, 4)`` landmark frame → world: its front faces the road on either side."""
    turn = 180.0 if lm.side == "south" else 0.0
    return placement(lm.position[0], lm.position[1], lm.heading + turn)


def _spread(count: int, span: float) -> list[float]:
    """``count`` evenly spaced positions across ``span``, centred on 0."""
    if count == 1:
        return [0.0]
    return [-span / 2 + span * i / (count - 1) for i in range(count)]


def _unit(lm: Landmark) -> float:
    """Scale for fixed-size details (steps, trims, canopies): 1 for a building at least 10 m
    in every direction, smaller for a smaller one so details never poke out of it."""
    sizes = (lm.height,) if lm.kind == "gate" else (lm.width, lm.depth, lm.height)
    return min(1.0, min(sizes) / 10.0)


def _steps(
    width: float, rise: float, run: float, count: int, front: float, role: str
) -> list[Part]:
    """A flight of ``count`` steps climbing ``rise`` over ``run``, ending at ``front`` (+Z)."""
    parts = []
    for i in range(count):
        depth = run * (count - i) / count
        height = rise * (i + 1) / count
        parts.append((role, box((width, height, depth), (0.0, 0.0, front - depth / 2))))
    return parts


def gate(lm: Landmark) -> list[Part]:
    """An arch over the road: pillars on the two footprints, a beam, and a two-tier Thai roof.

    Built with the span along X and turned a quarter so that it crosses the road; nothing
    below the arch's springing line stands between the pillars, so the road stays open.
    """
    span, post, h = lm.width, lm.depth, lm.height
    inner = span / 2 - post
    spring, rise, top = 0.48 * h, 0.12 * h, 0.72 * h
    arc = [
        (inner * math.cos(math.pi * (1 - i / 8)), spring + rise * math.sin(math.pi * (1 - i / 8)))
        for i in range(9)
    ]
    outline = [
        (-span / 2, 0.0),
        (-inner, 0.0),
        *arc,
        (inner, 0.0),
        (span / 2, 0.0),
        (span / 2, top),
        (-span / 2, top),
    ]
    parts: list[Part] = [("primary", extruded(outline, post, (0.0, 0.0, 0.0)))]
    for x in (-(span - post) / 2, (span - post) / 2):
        parts.append(("secondary", box((post + 0.3, 0.9, post + 0.3), (x, 0.0, 0.0))))
        parts.append(("secondary", box((post + 0.3, 0.35, post + 0.3), (x, spring - 0.35, 0.0))))
    parts.append(("secondary", box((span * 0.28, 0.1 * h, post + 0.2), (0.0, spring + rise, 0.0))))
    lower = 0.16 * h
    parts.append(("roof", roof((span + 1.2, post * 2.4), lower, span * 0.8, (0.0, top, 0.0))))
    upper_base = top + 0.1 * h
    upper = roof((span * 0.5, post * 1.7), 0.12 * h, span * 0.5 - post, (0.0, upper_base, 0.0))
    parts.append(("roof", upper))
    spire_base = upper_base + 0.12 * h
    parts.append(("secondary", cone(0.25, h - spire_base, (0.0, spire_base, 0.0), sections=5)))
    for x in (-(span + 1.2) * 0.4, (span + 1.2) * 0.4):
        parts.append(("secondary", cone(0.2, 0.08 * h, (x, top + lower * 0.6, 0.0), sections=4)))
    turn = rotation_y(90.0)
    return [(role, solid.moved(turn)) for role, solid in parts]


def shrine(lm: Landmark) -> list[Part]:
    """A pavilion on a plinth under a tiered (2–3 tier) roof with a spire."""
    w, d, h = lm.width, lm.depth, lm.height
    base = max(0.8, 0.08 * h)
    parts: list[Part] = [
        ("primary", frustum((0.82 * w, 0.8 * d), (0.78 * w, 0.76 * d), base, (0, 0, 0)))
    ]
    parts += _steps(0.3 * w, base, 0.1 * d, 3, d / 2 - 0.05, "primary")
    posts = 0.42 * h
    cols = max(4, round(0.7 * w / 3.5))
    for x in _spread(cols, 0.66 * w):
        for z in (-0.28 * d, 0.0, 0.28 * d):
            if z == 0.0 and abs(x) < 0.3 * w:
                continue
            parts.append(("secondary", box((0.5, posts, 0.5), (x, base, z))))
    parts.append(("primary", box((0.42 * w, posts, 0.32 * d), (0.0, base, 0.0))))
    beam = base + posts
    parts.append(("secondary", box((0.7 * w, 0.06 * h, 0.62 * d), (0.0, beam, 0.0))))
    tiers = 3 if h >= 10 else 2
    eaves = beam + 0.06 * h
    spire = 0.1 * h
    step = (h - spire - eaves) / (tiers + 1)
    for i in range(tiers):
        k = 1.0 - 0.28 * i
        size = (0.86 * w * k, 0.78 * d * k)
        ridge = size[0] if i == tiers - 1 else size[0] * 0.55
        parts.append(("roof", roof(size, 2 * step, ridge, (0.0, eaves + i * step, 0.0))))
    parts.append(("secondary", cone(0.4, spire, (0.0, h - spire, 0.0), sections=6)))
    return parts


def tower(lm: Landmark) -> list[Part]:
    """A multi-storey tower: dark window body, a floor band per storey, fins and a crown."""
    w, d, h, storeys = lm.width, lm.depth, lm.height, lm.storeys
    body = 0.86 * h
    bw, bd = 0.7 * w, 0.7 * d
    storey = body / storeys
    lobby = min(storey, 4.5)
    trim = min(0.3, 0.03 * min(w, d))
    parts: list[Part] = [
        ("secondary", box((bw, body, bd), (0.0, 0.0, 0.0))),
        ("primary", box((0.86 * w, lobby, 0.86 * d), (0.0, 0.0, 0.0))),
    ]
    band = min(0.35, 0.1 * storey)
    for i in range(1, storeys):
        parts.append(("primary", box((bw + trim, band, bd + trim), (0.0, i * storey - band, 0.0))))
    for sx in (-1, 1):
        for sz in (-1, 1):
            parts.append(
                ("primary", box((3 * trim, body, 3 * trim), (sx * bw / 2, 0.0, sz * bd / 2)))
            )
    fins = max(1, int(bw / 4) - 1)
    for x in _spread(fins + 2, bw)[1:-1]:
        for z in (-bd / 2, bd / 2):
            parts.append(("primary", box((trim, body, 1.6 * trim), (x, 0.0, z))))
    parts.append(("roof", box((bw + 2 * trim, 0.02 * h, bd + 2 * trim), (0.0, body, 0.0))))
    parts.append(("roof", box((0.3 * w, 0.04 * h, 0.3 * d), (0.0, 0.88 * h, 0.0))))
    parts.append(
        ("metal", cylinder(min(0.15, 0.02 * w), 0.08 * h, (0.0, 0.92 * h, 0.0), sections=5))
    )
    canopy = min(2.4, 0.12 * d)
    parts.append(("primary", box((0.3 * w, 0.3, canopy), (0.0, lobby * 0.75, 0.43 * d))))
    return parts


def mall(lm: Landmark) -> list[Part]:
    """A wide mall: glass curtain front with mullions, a sign band, entrance canopy."""
    w, d, h, storeys = lm.width, lm.depth, lm.height, lm.storeys
    u = _unit(lm)
    top = 0.9 * h
    front = 0.35 * d
    body_depth = 0.8 * d
    body_z = front - body_depth / 2
    parts: list[Part] = [("primary", box((0.96 * w, top, body_depth), (0.0, 0.0, body_z)))]
    glass_w, glass_h, glass_z = 0.8 * w, 0.72 * h, front + 0.35 * u
    parts.append(("glass", box((glass_w, glass_h, 0.6 * u), (0.0, 0.0, glass_z))))
    for x in _spread(max(2, round(glass_w / 4)) + 1, glass_w):
        parts.append(("metal", box((0.2 * u, glass_h, 0.8 * u), (x, 0.0, glass_z))))
    for i in range(1, storeys):
        y = glass_h * i / storeys
        parts.append(("metal", box((glass_w, 0.2 * u, 0.8 * u), (0.0, y, glass_z))))
    parts.append(("secondary", box((0.9 * w, 0.12 * h, u), (0.0, 0.76 * h, front + 0.5 * u))))
    canopy_depth = min(3.5 * u, d / 2 - front - 0.1 * u)
    canopy_y = 4.2 * u
    canopy = box((0.25 * w, 0.4 * u, canopy_depth), (0.0, canopy_y, front + canopy_depth / 2))
    parts.append(("roof", canopy))
    for x in (-0.11 * w, 0.11 * w):
        post = cylinder(0.15 * u, canopy_y, (x, 0.0, front + canopy_depth - 0.3 * u), sections=6)
        parts.append(("metal", post))
    parapet = 0.6 * u
    parts.append(("roof", box((0.97 * w, parapet, body_depth + 0.1 * u), (0.0, top, body_z))))
    sign = box((0.2 * w, h - top - parapet, 0.8 * u), (0.0, top + parapet, front - 0.6 * u))
    parts.append(("roof", sign))
    return parts


def museum(lm: Landmark) -> list[Part]:
    """The highlight: a temple front — podium, steps, a colonnade with gilded capitals, a gold
    frieze, a pediment with a gilded tympanum, and the hall behind under a hip roof."""
    w, d, h = lm.width, lm.depth, lm.height
    u = _unit(lm)
    podium, plinth, capital = 1.2 * u, 0.3 * u, 0.4 * u
    front, back = 0.3 * d, -0.45 * d
    porch = 3.4 * u
    portico = 0.56 * w
    entablature, pediment, eave = 0.1 * h, 0.17 * h, 0.3 * u
    gable_y = h - pediment - eave
    beam = gable_y - entablature
    shaft = beam - podium - plinth
    radius = max(0.35 * u, shaft / 18)
    parts: list[Part] = [
        ("primary", box((0.9 * w, podium, front - back), (0.0, 0.0, (front + back) / 2))),
    ]
    parts += _steps(portico + u, podium, d / 2 - 0.05 * u - front, 5, d / 2 - 0.05 * u, "primary")
    columns = max(6, 2 * round(portico / 6.4))
    column_z = front - porch / 2
    for x in _spread(columns, portico):
        parts.append(("primary", box((2.2 * radius, plinth, 2.2 * radius), (x, podium, column_z))))
        column = cylinder(radius, shaft, (x, podium + plinth, column_z), sections=10)
        parts.append(("primary", column))
        head = box((2.6 * radius, capital, 2.6 * radius), (x, beam - capital, column_z))
        parts.append(("secondary", head))
    width = portico + 2.6 * radius + 0.6 * u
    face = front + 0.2 * u
    porch_depth = porch + 0.4 * u
    porch_z = face - porch_depth / 2
    parts.append(("primary", box((width, entablature, porch_depth), (0.0, beam, porch_z))))
    band = 0.35 * entablature
    band_y = beam + 0.3 * entablature
    frieze = box((width + 0.1 * u, band, porch_depth + 0.1 * u), (0.0, band_y, porch_z))
    parts.append(("secondary", frieze))
    gable = roof((width, 0.8 * u), pediment, 0.8 * u, (0.0, gable_y, face - 0.4 * u), True)
    parts.append(("primary", gable))
    cover_length = porch + u
    cover_at = (0.0, gable_y, face - 0.3 * u - cover_length / 2)
    cover = roof((width + 0.6 * u, cover_length), pediment + eave, cover_length, cover_at, True)
    parts.append(("roof", cover))
    half, tall = 0.35 * width, 0.7 * pediment
    tympanum_at = (0.0, gable_y + 0.1 * u, face + 0.05 * u)
    parts.append(("secondary", roof((2 * half, 0.1 * u), tall, 0.1 * u, tympanum_at, True)))
    hall_front = front - porch
    hall_depth = hall_front - back
    hall_z = (hall_front + back) / 2
    parts.append(("primary", box((0.84 * w, gable_y, hall_depth), (0.0, 0.0, hall_z))))
    hall_band = box((0.84 * w + 0.1 * u, band, hall_depth + 0.1 * u), (0.0, band_y, hall_z))
    parts.append(("secondary", hall_band))
    hall_size = (0.86 * w, hall_depth + 0.6 * u)
    hall_roof = roof(hall_size, pediment, hall_size[0] - hall_size[1], (0.0, gable_y, hall_z))
    parts.append(("roof", hall_roof))
    wing = (0.84 * w - width) / 2
    if wing > 2.5 * u:
        per_wing = max(1, int(wing / (2.8 * u)))
        for side in (-1, 1):
            centre = side * (width / 2 + wing / 2)
            for x in _spread(per_wing, wing - 2.4 * u):
                for y in (podium + 0.6 * u, podium + 0.6 * u + 0.5 * shaft):
                    pane = box((1.2 * u, 0.36 * shaft, 0.12 * u), (centre + x, y, hall_front))
                    parts.append(("glass", pane))
    if lm.highlight:
        inradius = half * tall / (half + math.hypot(half, tall))
        r = 0.8 * inradius
        disc = [(r * math.cos(math.pi * i / 6), r * math.sin(math.pi * i / 6)) for i in range(12)]
        at = (0.0, tympanum_at[1] + inradius, face + 0.15 * u)
        parts.append(("secondary", extruded(disc, 0.1 * u, at)))
        for x in (-(portico + 3.0 * u) / 2, (portico + 3.0 * u) / 2):
            z = d / 2 - u
            parts.append(("primary", box((u, 1.6 * u, u), (x, 0.0, z))))
            parts.append(("secondary", cone(0.45 * u, u, (x, 1.6 * u, z), sections=8)))
    return parts


def office(lm: Landmark) -> list[Part]:
    """A civic hall: window bands per storey, a taller entrance bay, hip roof, and a flagpole."""
    w, d, h, storeys = lm.width, lm.depth, lm.height, lm.storeys
    u = _unit(lm)
    body = 0.8 * h
    front, back = 0.25 * d, -0.45 * d
    depth = front - back
    centre_z = (front + back) / 2
    parts: list[Part] = [("primary", box((0.9 * w, body, depth), (0.0, 0.0, centre_z)))]
    storey = body / storeys
    for i in range(storeys):
        y = i * storey + 0.3 * storey
        for z in (front, back):
            parts.append(("secondary", box((0.84 * w, 0.45 * storey, 0.12 * u), (0.0, y, z))))
    bay, bay_depth = 0.24 * w, 0.12 * d
    bay_z = front + bay_depth / 2 - 0.2 * u
    parts.append(("primary", box((bay, body + 0.1 * h, bay_depth), (0.0, 0.0, bay_z))))
    canopy_front = min(front + bay_depth + 2.4 * u, d / 2 - 0.1 * u)
    canopy_y = 3.6 * u
    canopy = box((bay + 1.6 * u, 0.35 * u, 2.8 * u), (0.0, canopy_y, canopy_front - 1.4 * u))
    parts.append(("roof", canopy))
    for x in _spread(4, bay + 0.8 * u):
        post = box((0.4 * u, canopy_y, 0.4 * u), (x, 0.0, canopy_front - 0.3 * u))
        parts.append(("primary", post))
    roof_size = (0.92 * w, depth + 0.6 * u)
    hall_roof = roof(roof_size, h - body, roof_size[0] - roof_size[1], (0.0, body, centre_z))
    parts.append(("roof", hall_roof))
    pole_x, pole_z = -0.3 * w, d / 2 - 1.2 * u
    parts.append(("primary", box((1.2 * u, 0.4 * u, 1.2 * u), (pole_x, 0.0, pole_z))))
    parts.append(("metal", cylinder(0.12 * u, h, (pole_x, 0.0, pole_z), sections=6)))
    flag_x = pole_x + 1.32 * u
    parts.append(("primary", box((2.4 * u, 1.6 * u, 0.06 * u), (flag_x, h - 1.7 * u, pole_z))))
    stripe = box((2.4 * u, 0.55 * u, 0.1 * u), (flag_x, h - 1.175 * u, pole_z))
    parts.append(("secondary", stripe))
    return parts


def market(lm: Landmark) -> list[Part]:
    """An open market hall: a big gable roof on posts over two rows of awninged stalls."""
    w, d, h = lm.width, lm.depth, lm.height
    u = _unit(lm)
    eave = 0.55 * h
    parts: list[Part] = [("paving", box((0.94 * w, 0.2 * u, 0.88 * d), (0.0, 0.0, 0.0)))]
    parts.append(("primary", box((0.92 * w, eave, 0.3 * u), (0.0, 0.0, -0.42 * d))))
    posts = max(2, int(0.92 * w / 6) + 1)
    for x in _spread(posts, 0.92 * w):
        for z in (0.4 * d, -0.4 * d):
            parts.append(("secondary", box((0.35 * u, eave, 0.35 * u), (x, 0.0, z))))
    parts.append(("roof", roof((0.98 * w, 0.92 * d), h - eave, 0.98 * w, (0.0, eave, 0.0))))
    sign = box((0.3 * w, 1.2 * u, 0.25 * u), (0.0, eave - 1.3 * u, 0.4 * d + 0.3 * u))
    parts.append(("secondary", sign))
    stalls = max(2, int(0.8 * w / (5.5 * u)))
    for row, z in enumerate((0.12 * d, -0.2 * d)):
        for i, x in enumerate(_spread(stalls, 0.8 * w - 4.0 * u)):
            parts.append(("primary", box((3.2 * u, u, u), (x, 0.2 * u, z))))
            for px in (x - 1.55 * u, x + 1.55 * u):
                parts.append(
                    ("metal", box((0.1 * u, 2.2 * u, 0.1 * u), (px, 0.2 * u, z - 0.45 * u)))
                )
            awning = "secondary" if (i + row) % 2 == 0 else "roof"
            tent = frustum(
                (3.4 * u, 1.8 * u), (3.0 * u, 1.2 * u), 0.3 * u, (x, 2.4 * u, z - 0.2 * u)
            )
            parts.append((awning, tent))
    return parts


BUILDERS: dict[str, Callable[[Landmark], list[Part]]] = {
    "gate": gate,
    "shrine": shrine,
    "tower": tower,
    "mall": mall,
    "museum": museum,
    "office": office,
    "market": market,
}
