"""Fixtures for server tests: a compiled scene on disk and a running app on a loopback port."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.config import Settings
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import answers, public_manifest

DATA = Path(__file__).parent.parent / "data"


def write_compiled_scene(folder: Path, glb: bytes = b"glTF-test-bytes", extra: str = "") -> str:
    """A compiled small scene as `srichan scene build` lays it out (the GLB bytes are opaque
    to the server, so tests of serving need not run the trimesh compiler); ``extra`` is TOML
    appended to the scene (e.g. an event)."""
    scene = load_scene_text((DATA / "small.toml").read_text(encoding="utf-8") + extra)
    content_hash = "ab" * 32
    manifest = public_manifest(scene) | {"content_hash": content_hash}
    secret = answers(scene) | {"content_hash": content_hash}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "srichan.manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    (folder / "srichan.answers.json").write_text(json.dumps(secret, ensure_ascii=False))
    (folder / "srichan.glb").write_bytes(glb)
    (folder / "srichan.fallback.glb").write_bytes(glb.replace(b"test", b"fallback"))
    return content_hash


@pytest.fixture
def scene_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "build"
    write_compiled_scene(folder)
    return folder


@pytest.fixture
def settings(scene_dir: Path, tmp_path: Path) -> Settings:
    return Settings(port=0, scene_dir=scene_dir, store=f"sqlite:///{tmp_path}/test.db")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as c:
        yield c
