"""Moves are checked along their segment: no walking through a wall, however thin."""

from __future__ import annotations

import random

import pytest

from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Correction, Move
from srichan_world.scene.geometry import Walkable
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, public_manifest
from srichan_world.world.walkmap import WalkMap, _touches

WALL = ((10.0, 2.0), (10.05, 2.0), (10.05, 8.0), (10.0, 8.0))
"""A wall 5 cm thick, a tenth of a raster cell: both its sides are walkable."""
BOX = ((14.0, 2.0), (16.0, 2.0), (16.0, 4.0), (14.0, 4.0))
L_CORRIDOR = ((0.0, 0.0), (30.0, 0.0), (30.0, 10.0), (20.0, 10.0), (20.0, 20.0), (0.0, 20.0))
"""An L: the notch x 20..30, z 10..20 is outside the street."""


def street(cell: float = 0.5) -> WalkMap:
    return WalkMap(Walkable(L_CORRIDOR, (WALL, BOX)), cell)


@pytest.mark.parametrize("cell", [0.5, 2.0, 7.0])
@pytest.mark.parametrize(
    ("a", "b", "clear"),
    [
        ((9.9, 5.0), (10.2, 5.0), False),  # straight through the thin wall
        ((9.0, 7.9), (11.0, 7.9), False),  # near its end, still through it
        ((9.9, 1.0), (10.2, 1.0), True),  # below it
        ((9.0, 9.0), (11.0, 9.0), True),  # above it
        ((13.0, 1.0), (17.0, 5.0), False),  # exactly through the box's two corners
        ((13.0, 1.0), (17.0, 4.9), False),  # through the box
        ((13.0, 1.0), (17.0, 1.0), True),  # past it
        ((19.0, 15.0), (25.0, 9.0), False),  # across the notch outside the street
        ((19.0, 9.0), (29.0, 9.0), True),  # along the street, under the notch
        ((1.0, 1.0), (1.1, 1.1), True),  # a small step in one cell
        ((5.0, 5.0), (5.0, 5.0), True),  # standing still
        ((10.0 - 1e-9, 5.0), (10.06, 5.0), False),  # grazing both faces
    ],
)
def test_segments(a: tuple[float, float], b: tuple[float, float], clear: bool, cell: float) -> None:
    walk = street(cell)
    assert walk.contains(*a) and walk.contains(*b)
    assert walk.clear(*a, *b) is clear
    assert walk.clear(*b, *a) is clear


@pytest.mark.parametrize("cell", [0.5, 1.3])
def test_clear_agrees_with_testing_every_boundary_edge(cell: float) -> None:
    slanted = ((3.0, 12.0), (8.0, 17.0), (8.03, 16.97), (3.03, 11.97))  # 4 cm thick, at 45°
    walkable = Walkable(L_CORRIDOR, (WALL, BOX, slanted, ((22.0, 3.0), (28.0, 3.0), (25.0, 7.0))))
    walk = WalkMap(walkable, cell)
    edges = [
        (*p[i], *p[(i + 1) % len(p)])
        for p in (walkable.corridor, *walkable.obstacles)
        for i in range(len(p))
    ]
    rng = random.Random(cell)
    answers = []
    for _ in range(4000):
        a = (rng.uniform(0, 30), rng.uniform(0, 20))
        length = rng.choice([0.3, 1.0, 5.0, 15.0])
        b = (a[0] + rng.uniform(-length, length), a[1] + rng.uniform(-length, length))
        if not (walk.contains(*a) and walk.contains(*b)):
            continue
        expected = not any(_touches(*a, *b, e) for e in edges)
        assert walk.clear(*a, *b) is expected, (a, b)
        answers.append(expected)
    assert 100 < sum(answers) < len(answers) - 100  # many of both


def test_the_city_gate_pillar_cannot_be_walked_through(srichan_scene_text: str) -> None:
    manifest = Manifest.parse(public_manifest(load_scene_text(srichan_scene_text)))
    walk = WalkMap(manifest.walkable)
    west, east = (22.65, -13.75), (27.35, -13.75)  # 4.7 m, straight through the 2.5 m pillar
    assert walk.contains(*west) and walk.contains(*east)
    assert not walk.clear(*west, *east)
    assert walk.clear(22.65, -11.0, 27.35, -11.0)  # beside it


def test_a_move_through_a_building_is_corrected_and_the_avatar_stays() -> None:
    from tests.world.test_presence import Harness  # a straight street, a building at x 100..120

    h = Harness([(99.0, 20.0)], max_speed=50.0)  # speed is not what stops it
    a = h.join()
    h.now += 1.0
    (c,) = h.send(a, Move(121.0, 20.0, 0.0, 1, cid=7))  # 22 m, both ends walkable
    assert c == Correction(int(ErrorCode.OUT_OF_BOUNDS), 99.0, 20.0, 0.0, 0, cid=7)
    avatar = h.world.avatars[h.ids[a]]
    assert (avatar.x, avatar.z) == (99.0, 20.0)
    assert h.send(a, Move(99.0, 32.0, 0.0, 1)) == []  # out of its shadow first,
    h.now += 1.0
    assert h.send(a, Move(121.0, 32.0, 0.0, 1)) == []  # then past it: accepted
    assert (avatar.x, avatar.z) == (121.0, 32.0)


def test_points_off_the_raster_are_never_clear() -> None:
    walk = street()
    assert not walk.clear(1.0, 1.0, -0.5, 1.0)  # the end is west of the street's box
    assert not walk.clear(1.0, 1.0, 1.0, 25.0)  # north of it
    assert not walk.clear(-3.0, 1.0, 1.0, 1.0)  # the start
    assert walk.clear(1.0, 1.0, 2.0, 2.0)


def test_an_avatar_placed_off_the_street_may_step_back_on_but_not_further_off() -> None:
    from tests.world.test_presence import Harness

    h = Harness([(5.0, 0.0)])
    a = h.join()
    avatar = h.world.avatars[h.ids[a]]
    avatar.x, avatar.z = 110.0, 28.0  # inside the building (another process placed it)
    h.now += 2.0
    (c,) = h.send(a, Move(111.0, 29.0, 0.0, 1))
    assert isinstance(c, Correction) and c.reason == ErrorCode.OUT_OF_BOUNDS
    assert h.send(a, Move(110.0, 31.0, 0.0, 1)) == []  # out of it, onto the street
    assert (avatar.x, avatar.z) == (110.0, 31.0)
