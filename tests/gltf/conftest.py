"""Scenes and builds shared by the compiler tests (each built once per session: phones are
not the only thing that should stay fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from srichan_world.gltf.compile import BuildResult, build_glb
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.model import Scene

MINI = Path(__file__).parent / "data" / "mini.toml"
SCENES = Path(__file__).resolve().parents[2] / "scenes"


@pytest.fixture(scope="session")
def mini_scene() -> Scene:
    return load_scene_text(MINI.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def mini_build(mini_scene: Scene) -> BuildResult:
    return build_glb(mini_scene)


@pytest.fixture(scope="session")
def srichan_scene(srichan_scene_text: str) -> Scene:
    return load_scene_text(srichan_scene_text)


@pytest.fixture(scope="session")
def srichan_build(srichan_scene: Scene) -> BuildResult:
    return build_glb(srichan_scene, base=SCENES)
