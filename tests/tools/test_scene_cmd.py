"""`srichan scene check|preview|schema` as an author runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.cli import main

DATA = Path(__file__).parent.parent / "data"


def test_check_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scene", "check", str(DATA / "small.toml")]) == 0
    assert "2 landmarks, 4 quiz points" in capsys.readouterr().out


def test_check_reports_every_problem_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scene", "check", str(DATA / "bad" / "many_problems.toml")]) == 1
    err = capsys.readouterr().err
    assert "landmarks[1].height: must be >= 3" in err
    assert "quiz_points[0].question.th: missing Thai text" in err
    assert "5 problem(s); nothing written" in err


def test_check_refuses_guessable_quizzes_at_file_line_column(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = DATA / "bad" / "quiz_guessable.toml"
    assert main(["scene", "check", str(path)]) == 1
    line = path.read_text(encoding="utf-8").splitlines().index("attempts = 4") + 1
    assert f"{path}:{line}:1: quiz_points[2].attempts: 4 attempts on 4 choices" in (
        capsys.readouterr().err
    )


def test_check_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["scene", "check", str(tmp_path / "nope.toml")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_preview_writes_svg_with_thai_labels(tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    assert main(["scene", "preview", str(DATA / "small.toml"), "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert "พิพิธภัณฑ์ธนารักษ์" in svg and "Treasury Museum" in svg
    assert svg.count("<circle") >= 4 * 2 + 1  # quiz radius + dot each, one spawn
    assert "B01" in svg


def test_preview_of_bad_scene_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    assert main(["scene", "preview", str(DATA / "bad" / "height_zero.toml"), "-o", str(out)]) == 1
    assert not out.exists()


def test_schema_prints_json(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["scene", "schema"]) == 0
    schema = json.loads(capsysbinary.readouterr().out)
    assert schema["$schema"].endswith("2020-12/schema")
    assert "landmarks" in schema["properties"]
