"""A top-down SVG plan of a scene, so authors can see what they wrote before compiling.

North (−z) is up, as on a city map; the SVG y axis is the scene's z axis, one unit a metre.
Every item is a ``<g>`` with ``id="<section>/<id>"``, ``class`` its kind and ``data-id`` its
id, and carries its id as text sized in metres, so that every id is readable when zoomed in
and the author page (:mod:`srichan_world.scene.preview_page`) can find it.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from srichan_world.scene.geometry import Point
from srichan_world.scene.model import Scene

MARGIN = 10.0
MONO_EM = 0.62
"""Advance of one monospace character, in ems: sizes an id to fit inside its item."""
FONT = "Garuda, 'Noto Sans Thai', Loma, sans-serif"


def _pts(points: tuple[Point, ...] | list[Point]) -> str:
    return " ".join(f"{x:.2f},{z:.2f}" for x, z in points)


def _label(x: float, y: float, lines: list[str], size: float, anchor: str = "middle") -> str:
    spans = "".join(
        f'<tspan x="{x:.2f}" dy="{0 if i == 0 else size * 1.2:.2f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size}" text-anchor="{anchor}">{spans}</text>'


def _open(section: str, item_id: str, kind: str) -> str:
    return f'<g id={quoteattr(f"{section}/{item_id}")} class="{kind}" data-id={quoteattr(item_id)}>'


def _id_label(x: float, y: float, text: str, size: float) -> str:
    """An id in a monospace face with a white halo, legible on any fill when zoomed in."""
    return (
        f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size:.2f}" text-anchor="middle" '
        f'font-family="DejaVu Sans Mono, monospace" class="id" paint-order="stroke" '
        f'stroke="#ffffff" stroke-width="{size * 0.18:.2f}">{escape(text)}</text>'
    )


def preview_svg(scene: Scene) -> str:
    """Footprints with Thai and English names, quiz points with their trigger radius, booth
    slots and spawn points on the street plan."""
    xs = [p[0] for p in scene.walkable.corridor]
    zs = [p[1] for p in scene.walkable.corridor]
    x0, z0 = min(xs) - MARGIN, min(zs) - MARGIN - 20
    w, h = max(xs) - min(xs) + 2 * MARGIN, max(zs) - min(zs) + 2 * MARGIN + 40
    line = scene.street.centreline
    road_half = scene.street.carriageway_half
    paved_half = scene.street.paved_half
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.2f} {z0:.2f} {w:.2f} {h:.2f}" '
        f'width="{w * 3:.0f}" height="{h * 3:.0f}" font-family={quoteattr(FONT)}>',
        f"<title>{escape(scene.title.th)} — {escape(scene.title.en)}</title>",
        f'<rect x="{x0:.2f}" y="{z0:.2f}" width="{w:.2f}" height="{h:.2f}" fill="#eef3e6"/>',
        f'<polygon points="{_pts(scene.walkable.corridor)}" fill="#f7f4ec" stroke="#c9c2ad" '
        'stroke-width="0.3"/>',
    ]
    out.append(f'<polygon points="{_pts(line.corridor(paved_half))}" fill="#d9d4c7"/>')
    out.append(f'<polygon points="{_pts(line.corridor(road_half))}" fill="#5b5b5b"/>')
    out.append(
        f'<polyline points="{_pts(line.points)}" fill="none" stroke="#f2d14b" '
        'stroke-width="0.3" stroke-dasharray="3 3"/>'
    )
    for lm in scene.landmarks:
        stroke = "#c9a227" if lm.highlight else "#333333"
        out.append(_open("landmarks", lm.id, "landmark"))
        for f in lm.footprints:
            out.append(
                f'<polygon points="{_pts(f)}" fill="{lm.colors.primary}" stroke="{stroke}" '
                f'stroke-width="{0.9 if lm.highlight else 0.4}"><title>{escape(lm.id)}</title>'
                "</polygon>"
            )
        lx, lz = lm.position
        if lm.side == "across":
            lz -= lm.width / 2 + 8
        out.append(_label(lx, lz, [lm.name.th, lm.name.en], 3.2))
        out.append(_id_label(lx, lz + 6.4, lm.id, 2.0))
        out.append("</g>")
    for q in scene.quiz_points:
        x, z = q.position
        out.append(_open("quiz_points", q.id, "quiz"))
        out.append(
            f'<circle cx="{x:.2f}" cy="{z:.2f}" r="{q.radius:.2f}" fill="#4aa3df" '
            f'fill-opacity="0.25" stroke="#1f6fa8" stroke-width="0.3"><title>{escape(q.id)}: '
            f"{escape(q.question.th)} · r {q.radius:g} m</title></circle>"
        )
        out.append(f'<circle cx="{x:.2f}" cy="{z:.2f}" r="0.6" fill="#1f6fa8"/>')
        # inside its own circle (circles never overlap), above the dot
        size = min(1.2, 2 * q.radius * 0.9 / (MONO_EM * len(q.id)))
        out.append(_id_label(x, z - 1.0, q.id, size))
        out.append("</g>")
    for b in scene.booth_slots:
        out.append(_open("booth_slots", b.id, "booth"))
        out.append(
            f'<polygon points="{_pts(b.footprint)}" fill="#ff9f1c" stroke="#8a4b00" '
            f'stroke-width="0.3"><title>{escape(b.id)}</title></polygon>'
        )
        # inside its own footprint (booths never overlap), whichever way it faces
        size = min(2.4, 0.9 * min(b.width, b.depth) / (MONO_EM * len(b.id)))
        out.append(_id_label(b.position[0], b.position[1] + size * 0.35, b.id, size))
        out.append("</g>")
    for s in scene.spawn_points:
        x, z = s.position
        a = math.radians(s.heading)
        tip = (x + 2.5 * math.cos(a), z - 2.5 * math.sin(a))
        out.append(_open("spawn_points", s.id, "spawn"))
        out.append(f'<circle cx="{x:.2f}" cy="{z:.2f}" r="1.2" fill="#2e7d32"/>')
        out.append(
            f'<line x1="{x:.2f}" y1="{z:.2f}" x2="{tip[0]:.2f}" y2="{tip[1]:.2f}" '
            'stroke="#2e7d32" stroke-width="0.5"/>'
        )
        out.append(_id_label(x, z - 1.6, s.id, 0.9))
        out.append("</g>")
    legend_y = z0 + 6
    out.append(
        _label(
            x0 + 4,
            legend_y,
            [
                f"{scene.title.th} · {scene.title.en}",
                "● จุดตอบคำถาม quiz point   ■ ซุ้มร้านค้า booth slot   ● จุดเกิด spawn point",
            ],
            3.0,
            "start",
        )
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
