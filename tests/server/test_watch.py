"""Looking at the scene file and its models (server/watch.py): only a change of contents
counts, models named in the file are watched, and a broken file is still watched."""

from __future__ import annotations

import os
from pathlib import Path

from server.config import Settings, validate
from server.watch import FileWatch, watched_files


def _scene(folder: Path, model: str = "models/hall.glb") -> Path:
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "hall.glb").write_bytes(b"glTF one")
    scene = folder / "street.toml"
    scene.write_text(f'[[landmarks]]\nid = "hall"\nmodel = "{model}"\n', encoding="utf-8")
    return scene


def test_the_models_the_file_names_are_watched(tmp_path: Path) -> None:
    scene = _scene(tmp_path)
    assert watched_files(scene) == [scene, tmp_path / "models" / "hall.glb"]


def test_touching_or_saving_unchanged_is_not_a_change(tmp_path: Path) -> None:
    watch = FileWatch(_scene(tmp_path))
    for path in watch.files:
        os.utime(path, ns=(1, 1))
        path.write_bytes(path.read_bytes())
    assert not watch.look()


def test_an_edit_of_the_file_or_of_a_model_is_one_change(tmp_path: Path) -> None:
    scene = _scene(tmp_path)
    watch = FileWatch(scene)
    (tmp_path / "models" / "hall.glb").write_bytes(b"glTF two, longer")
    assert watch.look() and not watch.look(), "seen once"
    scene.write_text(scene.read_text() + "# note\n", encoding="utf-8")
    assert watch.look()


def test_a_file_with_a_syntax_error_or_gone_is_still_watched(tmp_path: Path) -> None:
    scene = _scene(tmp_path)
    watch = FileWatch(scene)
    scene.write_text('[[landmarks]\nmodel = "models/hall.glb"\n', encoding="utf-8")
    assert watch.look()
    scene.unlink()
    assert watch.look() and watch.files == [scene]


def test_watch_must_name_a_file(tmp_path: Path) -> None:
    settings = Settings(scene_dir=tmp_path, watch=tmp_path / "missing.toml")
    problems = validate(settings)
    assert any(p.startswith("watch: ") for p in problems)
    assert not any(p.startswith("scene_dir") for p in problems), "built from the file instead"
