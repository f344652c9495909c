"""The published JSON Schema agrees with the loader on valid and invalid scenes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import jsonschema
import pytest

from srichan_world.scene.schema import scene_schema

DATA = Path(__file__).parent.parent / "data"


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(scene_schema())


@pytest.mark.parametrize("name", ["small.toml"])
def test_valid_scene_matches_schema(name: str) -> None:
    data = tomllib.loads((DATA / name).read_text(encoding="utf-8"))
    jsonschema.validate(data, scene_schema())


def test_shipped_scene_matches_schema(srichan_scene_text: str) -> None:
    jsonschema.validate(tomllib.loads(srichan_scene_text), scene_schema())


@pytest.mark.parametrize(
    "name", ["unknown_key", "missing_english", "height_zero", "wrong_type", "many_problems"]
)
def test_schema_rejects_what_the_loader_rejects(name: str) -> None:
    data = tomllib.loads((DATA / "bad" / f"{name}.toml").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, scene_schema())


def test_committed_schema_file_is_current() -> None:
    from tools.scene_cmd import canonical_json

    committed = (DATA.parent.parent / "assets" / "scene.schema.json").read_bytes()
    assert committed == canonical_json(scene_schema()), "run: srichan scene schema -o assets/…"
