"""Each landmark kind builds closed, outward-facing geometry that stays on its footprint and
under its height, uses the author's three colours, and looks like what it is."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import trimesh

from srichan_world.gltf.landmarks import BUILDERS, Part
from srichan_world.scene.model import LANDMARK_KINDS, Colors, Landmark, Text

SIZES = {
    "small": (6.0, 4.0, 4.0, 1),
    "typical": (30.0, 20.0, 15.0, 4),
    "large": (120.0, 60.0, 80.0, 30),
}


def landmark(kind: str, width: float, depth: float, height: float, storeys: int) -> Landmark:
    if kind == "gate":  # a gate's width spans the road, its depth is the pillar size
        width, depth = max(width, 24.0), min(depth, 2.5)
    return Landmark(
        id=f"test-{kind}",
        kind=kind,
        name=Text("ทดสอบ", "Test"),
        description=Text("ทดสอบ", "Test"),
        station=0.0,
        side="across" if kind == "gate" else "north",
        setback=10.0,
        width=width,
        depth=depth,
        height=height,
        storeys=storeys,
        highlight=kind == "museum",
        colors=Colors("#111111", "#222222", "#333333"),
    )


def vertices(parts: list[Part]) -> np.ndarray:
    return np.concatenate([solid.vertices for _, solid in parts])


def test_every_kind_has_a_builder() -> None:
    assert set(BUILDERS) == set(LANDMARK_KINDS)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", LANDMARK_KINDS)
def test_parts_are_closed_outward_solids(kind: str, size: str) -> None:
    parts = BUILDERS[kind](landmark(kind, *SIZES[size]))
    assert len(parts) >= 5
    for role, solid in parts:
        mesh = trimesh.Trimesh(solid.vertices, solid.faces, process=False)
        assert mesh.is_watertight and mesh.is_winding_consistent, (kind, role)
        assert mesh.volume > 0, f"{kind}: a {role} part is inside out"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", LANDMARK_KINDS)
def test_geometry_stays_on_the_footprint_and_under_the_height(kind: str, size: str) -> None:
    lm = landmark(kind, *SIZES[size])
    v = vertices(BUILDERS[kind](lm))
    eps = 1e-6
    assert v[:, 1].min() >= -eps and v[:, 1].max() <= lm.height + eps
    assert v[:, 1].max() >= 0.95 * lm.height, "the building should reach its stated height"
    if kind == "gate":
        # Span across the road (local Z); below head height only the two pillars stand.
        assert np.abs(v[:, 2]).max() <= lm.width / 2 + 0.6 + eps
        low = v[v[:, 1] < min(4.5, 0.45 * lm.height)]
        inner = lm.width / 2 - lm.depth - 0.15
        assert (np.abs(low[:, 2]) >= inner - eps).all(), "the road under the gate is open"
        assert (np.abs(low[:, 0]) <= lm.depth / 2 + 0.15 + eps).all()
    else:
        assert np.abs(v[:, 0]).max() <= lm.width / 2 + eps
        assert np.abs(v[:, 2]).max() <= lm.depth / 2 + eps


@pytest.mark.parametrize("kind", LANDMARK_KINDS)
def test_every_kind_wears_all_three_author_colours(kind: str) -> None:
    roles = {role for role, _ in BUILDERS[kind](landmark(kind, *SIZES["typical"]))}
    assert {"primary", "secondary", "roof"} <= roles


def test_the_seven_kinds_look_different_at_the_same_size() -> None:
    signatures = set()
    for kind in LANDMARK_KINDS:
        parts = BUILDERS[kind](landmark(kind, *SIZES["typical"]))
        v = vertices(parts)
        faces = sum(len(s.faces) for _, s in parts)
        signatures.add((faces, tuple(np.round(v.max(axis=0) - v.min(axis=0), 1))))
    assert len(signatures) == len(LANDMARK_KINDS)


def roofs(parts: list[Part]) -> int:
    return sum(1 for role, _ in parts if role == "roof")


def test_shrine_roof_has_three_tiers_or_two_when_low() -> None:
    tall = landmark("shrine", 20.0, 16.0, 12.0, 1)
    assert roofs(BUILDERS["shrine"](tall)) == 3
    assert roofs(BUILDERS["shrine"](replace(tall, height=8.0))) == 2


def test_tower_has_a_band_per_storey() -> None:
    low = BUILDERS["tower"](landmark("tower", 24.0, 20.0, 40.0, 4))
    high = BUILDERS["tower"](landmark("tower", 24.0, 20.0, 40.0, 12))
    assert len(high) - len(low) == 8


def test_mall_has_a_glass_front_and_museum_has_a_colonnade() -> None:
    mall = landmark("mall", *SIZES["typical"])
    glass = [s for role, s in BUILDERS["mall"](mall) if role == "glass"]
    assert len(glass) == 1 and glass[0].vertices[:, 2].max() > 0.3 * mall.depth
    museum = BUILDERS["museum"](landmark("museum", *SIZES["typical"]))
    columns = [s for role, s in museum if role == "primary" and len(s.faces) == 40]
    assert len(columns) >= 6


def test_office_flies_a_flag_in_front() -> None:
    office = landmark("office", *SIZES["typical"])
    poles = [s for role, s in BUILDERS["office"](office) if role == "metal"]
    assert len(poles) == 1
    pole = poles[0].vertices
    assert pole[:, 1].max() >= 0.9 * office.height and pole[:, 2].min() > 0.3 * office.depth


def test_market_has_open_stalls_under_its_roof() -> None:
    market = landmark("market", *SIZES["typical"])
    parts = BUILDERS["market"](market)
    boxes = [s for role, s in parts if role == "primary" and len(s.faces) == 12]
    counters = [s for s in boxes if np.ptp(s.vertices[:, 1]) < 0.3 * market.height]
    roof_low = min(
        s.vertices[:, 1].min() for role, s in parts if role == "roof" and len(s.faces) == 8
    )
    assert len(counters) >= 4
    assert all(c.vertices[:, 1].max() < roof_low for c in counters)
