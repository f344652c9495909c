"""Scene check and build as one library call (srichan_world/gltf/bundle.py): what both
`scene build` and live reload run."""

from __future__ import annotations

from pathlib import Path

import pytest

from srichan_world.gltf import imported
from srichan_world.gltf.bundle import build_file, check_file

ROOT = Path(__file__).resolve().parents[2]
SCENE = ROOT / "scenes" / "srichan.toml"


def test_a_model_the_validator_passed_is_not_validated_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    known: set[str] = set()
    assert check_file(SCENE, known).problems == () and len(known) == 1
    monkeypatch.setattr(imported, "validate", lambda path: [f"{path}: would be refused"])
    assert check_file(SCENE, known).problems == (), "the same bytes: not validated again"
    (problem,) = check_file(SCENE, set()).problems
    assert "would be refused" in problem["message"] and problem["line"] > 0


def test_a_build_names_itself_by_its_content() -> None:
    first, again = build_file(SCENE), build_file(SCENE)
    assert first.bundle is not None and again.bundle is not None
    assert first.bundle.content_hash == again.bundle.content_hash
    assert first.bundle.content_hash.encode() in first.bundle.manifest
