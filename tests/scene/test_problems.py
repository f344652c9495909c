"""Errors that point: every problem in one pass, each with line, column, id and did you mean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from srichan_world.scene.load import SceneError, load_scene_text
from srichan_world.scene.problems import SourceMap

ROOT = Path(__file__).resolve().parents[2]

NEW_QUIZ = """
[[quiz_points]]
id = "q-gate-new"
landmark = "city-gat"
station = 18.5
offset = 8.0
radius = 4.0
reward = "ten"
question = { th = "ประตูเมืองสร้างเมื่อใด", en = "When was the gate built?" }
choices = [
  { th = "ก", en = "A" }, { th = "ข", en = "B" }, { th = "ค", en = "C" }, { th = "ง", en = "D" },
]
correct = 0
explanation = { th = "คำอธิบาย", en = "Because." }
"""


def authored(srichan_scene_text: str) -> str:
    """The issue's experiment: a copy of the street plus one quiz point with three mistakes."""
    head, sep, tail = srichan_scene_text.partition("[[quests]]")
    return head + NEW_QUIZ + "\n" + sep + tail


def test_wrong_type_unknown_reference_and_overlap_in_one_pass(srichan_scene_text: str) -> None:
    text = authored(srichan_scene_text)
    with pytest.raises(SceneError) as info:
        load_scene_text(text)
    problems = {p.message.split(" ")[0] + p.path.rsplit(".", 1)[-1]: p for p in info.value.problems}
    reported = [str(p) for p in info.value.problems]
    assert len(reported) == 3, reported
    wrong, unknown, overlap = info.value.problems
    assert wrong.path == "quiz_points[21].reward" and wrong.message == "must be a whole number"
    assert unknown.path == "quiz_points[21].landmark"
    assert unknown.did_you_mean == "city-gate"
    assert "trigger circle overlaps quiz_points[0] (q-gate-gnlc-date)" in overlap.message
    lines = text.splitlines()
    for p in (wrong, unknown, overlap):
        assert p.item_id == "q-gate-new"
        assert p.line > 0 and p.column > 0
    assert lines[wrong.line - 1][wrong.column - 1 :].startswith('reward = "ten"')
    assert lines[unknown.line - 1][unknown.column - 1 :].startswith('landmark = "city-gat"')
    assert lines[overlap.line - 1][overlap.column - 1 :] == "[[quiz_points]]"
    assert problems  # every key distinct


def test_a_check_is_skipped_only_when_it_would_judge_a_stand_in(small_scene_text: str) -> None:
    # radius unreadable: the overlap check for that circle would judge the default radius
    text = small_scene_text.replace("radius = 2.0", 'radius = "big"', 1)
    text = text.replace('landmark = "museum"', 'landmark = "musem"', 1)
    with pytest.raises(SceneError) as info:
        load_scene_text(text)
    paths = [p.path for p in info.value.problems]
    # the overlap check for quiz_points[2] is skipped; the reference is still checked
    assert paths == ["quiz_points[2].radius", "quiz_points[2].landmark", "landmarks[1]"]


def test_unknown_keys_and_choices_suggest_the_nearest_name(small_scene_text: str) -> None:
    text = small_scene_text.replace('kind = "museum"', 'kind = "musuem"').replace(
        "highlight = true", "higlight = true"
    )
    with pytest.raises(SceneError) as info:
        load_scene_text(text)
    hints = {p.path: p.did_you_mean for p in info.value.problems}
    assert hints["landmarks[1].kind"] == "museum"
    assert hints["landmarks[1].higlight"] == "highlight"


def test_toml_syntax_error_has_its_position() -> None:
    with pytest.raises(SceneError) as info:
        load_scene_text('[scene]\nid = "x"\ntitle = { th = \n')
    (p,) = info.value.problems
    assert p.path == "<toml>" and (p.line, p.column) == (3, 16)


def test_source_map_places_nested_values(small_scene_text: str) -> None:
    where = SourceMap(small_scene_text)
    lines = small_scene_text.splitlines()

    def at(path: str) -> str:
        line, column = where.locate(path)
        return lines[line - 1][column - 1 :]

    assert at("landmarks[1].height").startswith("height = 10.0")
    assert at("quiz_points[2].choices[3].en").startswith('en = "Aircraft"')
    assert at("street.centreline[2]").startswith("[200.0, 20.0]")
    assert at("quests[0].steps[1].quiz").startswith('quiz = "q-museum-1"')
    assert at("booth_slots[0].nothing[3]").startswith("[[booth_slots]]")


def test_scene_check_prints_file_line_column_and_json(
    srichan_scene_text: str, tmp_path: Path
) -> None:
    # the copy keeps the street's layout, so the museum's model is found
    (tmp_path / "scenes").mkdir()
    (tmp_path / "assets").symlink_to(ROOT / "assets")
    path = tmp_path / "scenes" / "street.toml"
    path.write_text(authored(srichan_scene_text), encoding="utf-8")
    run = [sys.executable, "-m", "tools.cli", "scene", "check", str(path)]
    text = subprocess.run(run, capture_output=True, text=True, cwd=ROOT)
    assert text.returncode == 1
    first = text.stderr.splitlines()[0]
    assert first.startswith(f"{path}:") and "quiz_points[21].reward" in first
    assert "did you mean 'city-gate'" in text.stderr
    done = subprocess.run([*run, "--format", "json"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and len(report["problems"]) == 3
    assert {p["id"] for p in report["problems"]} == {"q-gate-new"}
    assert report["problems"][1]["did_you_mean"] == "city-gate"
    assert all(p["file"] == str(path) and p["line"] > 0 for p in report["problems"])
    ok = subprocess.run(
        [*run[:-1], str(ROOT / "scenes" / "srichan.toml"), "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
