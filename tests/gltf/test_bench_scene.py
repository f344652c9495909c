"""The benchmark's generated streets are valid scenes (the loader accepts them)."""

from __future__ import annotations

import tomllib

import pytest

from srichan_world.scene.load import load_scene
from tools.bench.scene import SCENE, repeated


def test_repeated_street_loads_with_every_copy() -> None:
    data = tomllib.loads(SCENE.read_text(encoding="utf-8"))
    scene = load_scene(repeated(data, 8))
    assert len(scene.landmarks) == 8 * len(data["landmarks"])
    assert len(scene.quiz_points) == 8 * len(data["quiz_points"])
    assert len(scene.booth_slots) == min(99, 8 * len(data["booth_slots"]))
    (x0, _), (x1, _) = data["street"]["centreline"]
    assert scene.street.centreline.length == pytest.approx(8 * (x1 - x0))


def test_repeating_a_bent_street_is_refused() -> None:
    data = tomllib.loads(SCENE.read_text(encoding="utf-8"))
    data["street"]["centreline"] = [[0.0, 0.0], [300.0, 0.0], [640.0, 30.0]]
    with pytest.raises(SystemExit, match="straight"):
        repeated(data, 2)
