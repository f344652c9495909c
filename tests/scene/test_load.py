"""The loader: a valid scene loads and places everything; every bad scene names its faults."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from srichan_world.scene.load import SceneError, load_scene_text

BAD = sorted((Path(__file__).parent.parent / "data" / "bad").glob("*.toml"))


def expected_problems(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def test_small_scene_loads_and_places_everything(small_scene_text: str) -> None:
    scene = load_scene_text(small_scene_text)
    assert [lm.id for lm in scene.landmarks] == ["gate", "museum"]
    gate, museum = scene.landmarks
    assert len(gate.footprints) == 2, "a gate stands on two pillars"
    assert museum.name.th == "พิพิธภัณฑ์ธนารักษ์"
    # south side: positive z, from setback 8 to 20
    zs = [p[1] for p in museum.footprints[0]]
    assert min(zs) == pytest.approx(8.0) and max(zs) == pytest.approx(20.0)
    # quiz points take the scene policy unless they override it
    by_id = {q.id: q for q in scene.quiz_points}
    assert (by_id["q-gate-1"].attempts, by_id["q-gate-1"].cooldown_s) == (3, 30.0)
    assert (by_id["q-museum-1"].attempts, by_id["q-museum-1"].cooldown_s) == (2, 10.0)
    # the walkable area excludes buildings but includes the road under the gate
    assert scene.walkable.contains((20.0, 0.0))
    assert not scene.walkable.contains(museum.position)
    assert not scene.walkable.contains((50.0, 45.0))
    assert scene.grid.cols * scene.grid.cell >= 200


def test_stations_follow_a_bent_centreline(small_scene_text: str) -> None:
    scene = load_scene_text(small_scene_text)
    line = scene.street.centreline
    x, z = line.place(120.0 + math.hypot(80, 20) / 2, 0.0)
    assert (x, z) == pytest.approx((160.0, 10.0))
    # offset is to the left of travel: travelling +x, left is -z (north)
    assert line.place(10.0, 3.0) == pytest.approx((10.0, -3.0))


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_scene_reports_expected_paths(path: Path) -> None:
    expected = expected_problems(path)
    assert expected, f"{path.name} must declare '# expect:' lines"
    with pytest.raises(SceneError) as info:
        load_scene_text(path.read_text(encoding="utf-8"))
    reported = [str(p) for p in info.value.problems]
    for want in expected:
        assert any(r.startswith(want) for r in reported), f"{want!r} not in {reported}"


def test_every_problem_is_reported_at_once() -> None:
    path = Path(__file__).parent.parent / "data" / "bad" / "many_problems.toml"
    with pytest.raises(SceneError) as info:
        load_scene_text(path.read_text(encoding="utf-8"))
    assert len(info.value.problems) >= 5


def test_non_finite_numbers_are_refused(small_scene_text: str) -> None:
    text = small_scene_text.replace("height = 10.0", "height = nan", 1)
    with pytest.raises(SceneError) as info:
        load_scene_text(text)
    assert "landmarks[1].height: must be a finite number" in str(info.value)


def test_the_sri_chan_scene_is_valid(srichan_scene_text: str) -> None:
    scene = load_scene_text(srichan_scene_text)
    assert [lm.kind for lm in scene.landmarks] == [
        "gate",
        "shrine",
        "tower",
        "mall",
        "museum",
        "office",
        "market",
    ]
    assert [lm.highlight for lm in scene.landmarks].count(True) == 1
    assert scene.landmarks[4].name.th == "พิพิธภัณฑ์ธนารักษ์" and scene.landmarks[4].highlight
    assert len(scene.quiz_points) >= 14
    assert len(scene.quests) >= 3
    assert len(scene.booth_slots) >= 12
    hub = scene.landmarks[-1]
    near_hub = [b for b in scene.booth_slots if math.dist(b.position, hub.position) < 60]
    assert len(near_hub) > len(scene.booth_slots) / 2, "most booths stand around the hub"
    assert scene.spawn_points


def test_attempts_must_be_fewer_than_choices_with_file_line_and_column(
    small_scene_text: str,
) -> None:
    """A quiz whose attempts reach its choices pays blind guessing: refused where it is set,
    and, when the quiz takes the policy's number, at the quiz point."""
    text = small_scene_text.replace("[street]", "[policy]\nquiz_attempts = 4\n\n[street]", 1)
    with pytest.raises(SceneError) as info:
        load_scene_text(text)
    paths = [p.path for p in info.value.problems]
    assert paths == [
        "quiz_points[0].attempts",
        "quiz_points[1].attempts",
        "quiz_points[3].attempts",
    ]
    problem = info.value.problems[0]
    assert problem.item_id == "q-gate-1" and "give at most 3" in problem.message
    header = text.splitlines().index("[[quiz_points]]") + 1
    assert (problem.line, problem.column) == (header, 1)
