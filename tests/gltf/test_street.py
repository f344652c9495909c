"""The street: slabs follow the (bent) centreline, markings follow ``street.markings``, trees
and lamps line both sidewalks but keep clear of buildings and booths, kiosks face the way
their booth faces."""

from __future__ import annotations

import math
import tomllib
from dataclasses import replace

import numpy as np
import pytest
import trimesh

from srichan_world.gltf.street import (
    LAMP_CLEARANCE,
    TREE_CLEARANCE,
    kiosk,
    lamp_spots,
    street_parts,
    tree_spots,
)
from srichan_world.scene.geometry import distance_to_polygon, oriented_rectangle
from srichan_world.scene.load import load_scene
from srichan_world.scene.model import Scene

from .conftest import MINI


def roles(scene: Scene) -> list[str]:
    return [role for role, _ in street_parts(scene)]


def test_slabs_are_closed_and_cover_the_bent_road_exactly(mini_scene: Scene) -> None:
    street = mini_scene.street
    slabs = [(r, s) for r, s in street_parts(mini_scene) if r in ("asphalt", "paving", "ground")]
    assert [r for r, _ in slabs] == ["asphalt", "paving", "paving", "ground", "ground"]
    for _, solid in slabs:
        mesh = trimesh.Trimesh(solid.vertices, solid.faces, process=False)
        assert mesh.is_watertight and mesh.volume > 0
    # Mitred joins neither lose nor gain road: area = length × width, here 0.1 m thick.
    road = trimesh.Trimesh(slabs[0][1].vertices, slabs[0][1].faces, process=False)
    expected = street.centreline.length * 2 * street.carriageway_half * 0.1
    assert road.volume == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    "markings, lanes, yellow, dashed",
    [
        ("double", 2, 2, 0),
        ("solid", 2, 1, 0),
        ("dashed", 2, 0, 1),
        ("dashed", 4, 0, 3),
        ("none", 4, 0, 0),
    ],
)
def test_markings_follow_the_street(
    mini_scene: Scene, markings: str, lanes: int, yellow: int, dashed: int
) -> None:
    scene = replace(mini_scene, street=replace(mini_scene.street, markings=markings, lanes=lanes))
    paint = [s for r, s in street_parts(scene) if r == "paint"]
    assert roles(scene).count("paint-yellow") == yellow
    flat = [s for s in paint if np.ptp(s.vertices[:, 1]) == 0]  # lamp heads are boxes
    edges = 0 if markings == "none" else 2
    assert len(flat) == dashed + edges
    for solid in flat:  # decals face up
        v = solid.vertices[solid.faces]
        assert (np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])[:, 1] > 0).all()


def test_dashes_are_spaced_along_the_whole_road(mini_scene: Scene) -> None:
    scene = replace(mini_scene, street=replace(mini_scene.street, markings="dashed"))
    paint = [s for r, s in street_parts(scene) if r == "paint" and np.ptp(s.vertices[:, 1]) == 0]
    centre = max(paint, key=lambda s: len(s.faces))  # edge lines are a few long quads
    length = scene.street.centreline.length
    assert len(centre.faces) // 2 == pytest.approx(length / 9.0, abs=1)


@pytest.mark.parametrize(
    "spots, clearance", [(tree_spots, TREE_CLEARANCE), (lamp_spots, LAMP_CLEARANCE)]
)
def test_furniture_lines_both_sidewalks_clear_of_obstacles(mini_scene, spots, clearance) -> None:
    found = spots(mini_scene)
    street = mini_scene.street
    assert {s.side for s in found} == {1, -1}
    obstacles = [f for lm in mini_scene.landmarks for f in lm.footprints]
    obstacles += [b.footprint for b in mini_scene.booth_slots]
    for spot in found:
        assert all(distance_to_polygon(spot.point, o) >= clearance for o in obstacles)
    spacing = street.tree_spacing if spots is tree_spots else street.lamp_spacing
    assert len(found) <= 2 * math.ceil(street.centreline.length / spacing)
    assert len(found) >= 1.5 * street.centreline.length / spacing


def test_a_booth_on_the_sidewalk_displaces_the_tree_there() -> None:
    data = tomllib.loads(MINI.read_text(encoding="utf-8"))
    before = load_scene(data)
    tree_offset = before.street.carriageway_half + 0.72 * before.street.sidewalk_width
    spot = next(s for s in tree_spots(before) if s.side == 1 and 125 < s.point[0] < 140)
    booth = {"id": "B09", "station": spot.point[0], "offset": tree_offset, "facing": -90.0}
    data["booth_slots"].append(booth | {"width": 2.0, "depth": 1.0})
    after = load_scene(data)
    gone = {s.point for s in tree_spots(before)} - {s.point for s in tree_spots(after)}
    assert gone == {spot.point}


@pytest.mark.parametrize("facing", [0.0, 90.0, 180.0, -90.0, 30.0])
def test_kiosk_counter_faces_the_booths_facing(mini_scene: Scene, facing: float) -> None:
    slot = mini_scene.booth_slots[0]
    turned = oriented_rectangle(slot.position, facing, slot.width, slot.depth)
    booth = replace(slot, facing=facing, footprint=turned)
    parts = dict(kiosk(booth))
    counter = parts["bark"].vertices.mean(axis=0)
    bx, bz = booth.position
    f = math.radians(facing)
    direction = np.array([math.cos(f), -math.sin(f)])
    offset = np.array([counter[0] - bx, counter[2] - bz])
    assert offset @ direction > 0.3
    canopy = parts["paint"].vertices
    gaps = [distance_to_polygon((x, z), booth.footprint) for x, _, z in canopy]
    assert max(gaps) <= 0.15, "the canopy overhangs its footprint by at most 15 cm"
