"""The manifest read back: what the compiler writes parses to the scene it came from, and any
other JSON value parses or is refused with ManifestError naming the bad part."""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, ManifestError, public_manifest


def written(text: str) -> dict[str, Any]:
    """The manifest as the server reads it: through JSON text, with the compiler's hash."""
    value = json.loads(json.dumps(public_manifest(load_scene_text(text))))
    return value | {"content_hash": "c0ffee"}


def test_the_real_street_parses_to_the_scene_it_was_compiled_from(
    srichan_scene_text: str,
) -> None:
    scene = load_scene_text(srichan_scene_text)
    m = Manifest.parse(written(srichan_scene_text))
    assert m.scene_id == scene.id and m.content_hash == "c0ffee"
    assert m.policy == scene.policy and m.quests == scene.quests
    assert (m.grid.cols, m.grid.rows, m.grid.cell) == (scene.grid.cols, scene.grid.rows, 32.0)
    assert m.grid.origin == pytest.approx(scene.grid.origin, abs=0.005)
    assert len(m.walkable.obstacles) == len(scene.walkable.obstacles)
    assert [b.id for b in m.booth_slots] == [b.id for b in scene.booth_slots]
    assert [s.position for s in m.spawn_points] == [
        pytest.approx(s.position, abs=0.005) for s in scene.spawn_points
    ]
    assert {lm.id: len(lm.footprints) for lm in m.landmarks} == {
        lm.id: len(lm.footprints) for lm in scene.landmarks
    }
    for public, full in zip(m.quiz_points, scene.quiz_points, strict=True):
        assert (public.id, public.question, public.choices) == (
            full.id,
            full.question,
            full.choices,
        )


def test_a_manifest_made_straight_from_a_scene_has_no_hash(small_scene_text: str) -> None:
    assert Manifest.parse(public_manifest(load_scene_text(small_scene_text))).content_hash == ""


def _set(value: dict[str, Any], path: list[str | int], new: object) -> dict[str, Any]:
    value = copy.deepcopy(value)
    inner: Any = value
    for key in path[:-1]:
        inner = inner[key]
    if new is _DELETE:
        del inner[path[-1]]
    else:
        inner[path[-1]] = new
    return value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "new", "named"),
    [
        (["format"], 2, "manifest.format: this server reads format 1"),
        (["interest_grid", "cell"], "32", "manifest.interest_grid.cell: expected a finite"),
        (["interest_grid", "cols"], 0, "manifest.interest_grid: needs a positive cell"),
        (["walkable", "corridor"], [[0, 0], [1, 1]], "manifest.walkable.corridor: a polygon"),
        (
            ["landmarks", 0, "footprints", 0, 1],
            [1, None],
            r"landmarks\[0\].footprints\[0\]\[1\]\[1\]",
        ),
        (["quests", 0, "steps", 0], {"jump": "x"}, r"quests\[0\].steps\[0\]: expected"),
        (["quests", 0, "order"], "any", r"quests\[0\].order: expected one of ordered, free"),
        (["quiz_points", 0, "radius"], float("nan"), r"quiz_points\[0\].radius: expected a finite"),
        (["booth_slots", 0, "position"], [1.0], r"booth_slots\[0\].position: expected a point"),
        (["booth_slots", 0, "width"], 10**400, r"booth_slots\[0\].width: expected a finite"),
        (["spawn_points"], _DELETE, "manifest.spawn_points: missing"),
        (["policy", "quiz_attempts"], True, "manifest.policy.quiz_attempts: expected an integer"),
    ],
)
def test_a_bad_value_is_refused_by_its_path(
    small_scene_text: str, path: list[str | int], new: object, named: str
) -> None:
    with pytest.raises(ManifestError, match=named):
        Manifest.parse(_set(written(small_scene_text), path, new))


def test_a_manifest_is_an_object() -> None:
    with pytest.raises(ManifestError, match="manifest: expected an object, got list"):
        Manifest.parse([])


def _paths(value: object, here: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [here] if here else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*here, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _paths(inner, (*here, i))
    return found


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), new=_JSON)
def test_any_value_anywhere_is_parsed_or_refused_with_manifest_error(
    small_scene_text: str, data: st.DataObject, new: object
) -> None:
    base = written(small_scene_text)
    path = data.draw(st.sampled_from(_paths(base)))
    with contextlib.suppress(ManifestError):
        Manifest.parse(_set(base, list(path), new))
