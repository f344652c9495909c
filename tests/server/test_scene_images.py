"""Lesson images as the server serves them: only the content-named files the manifest lists,
cached for good, never sniffed into something else; a build whose image does not match is
refused at start."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from server.app import create_app
from server.config import ConfigError, Settings
from server.scene_files import SceneFiles
from srichan_world.scene.images import image_name
from tests.server.conftest import write_compiled_scene


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (140, 28, 19)).save(out, "PNG")
    return out.getvalue()


def with_image(folder: Path, data: bytes) -> str:
    """The small scene built with an image on its first lesson; the image's built name."""
    write_compiled_scene(folder)
    name = image_name(data)
    path = folder / "srichan.manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["courses"][0]["lessons"][0] |= {
        "image": name,
        "image_alt": {"th": "ภาพประตู", "en": "The gate"},
    }
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (folder / name).write_bytes(data)
    return name


async def test_a_lesson_image_is_served_by_its_name_only(tmp_path: Path) -> None:
    data = png()
    name = with_image(tmp_path / "build", data)
    settings = Settings(port=0, scene_dir=tmp_path / "build", store=f"sqlite:///{tmp_path}/s.db")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        resp = await client.get(f"/scene/images/{name}")
        assert resp.status == 200 and await resp.read() == data
        assert resp.headers["Content-Type"] == "image/png"
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Encoding" not in resp.headers
        again = await client.get(f"/scene/images/{name}", headers={"If-None-Match": f'"{name}"'})
        assert again.status == 304
        for other in ("srichan.answers.json", "..%2Fsrichan.answers.json", "lesson-0.png"):
            assert (await client.get(f"/scene/images/{other}")).status == 404, other
        manifest = await (await client.get("/scene/manifest.json")).json()
        lesson = manifest["courses"][0]["lessons"][0]
        assert lesson["image"] == name and lesson["image_alt"]["en"] == "The gate"


def test_an_image_that_is_not_the_one_built_stops_the_start(tmp_path: Path) -> None:
    folder = tmp_path / "build"
    name = with_image(folder, png())
    (folder / name).write_bytes(png() + b"changed")
    with pytest.raises(ConfigError, match="rebuild"):
        SceneFiles.load(folder, "srichan")
    (folder / name).unlink()
    with pytest.raises(ConfigError, match="cannot load lesson image"):
        SceneFiles.load(folder, "srichan")
