"""Live reload through a real app on 127.0.0.1: an author edits a copied scene file while a
visitor is connected; the visitor gets the new street without reconnecting, a broken edit
changes nothing, and only the operator may ask for a reload."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from server.app import create_app
from server.config import Settings
from server.keys import RELOADER
from server.ws.client import PresenceClient
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Error, QuizOpen, SceneChanged
from srichan_world.scene.images import image_name
from tools.serve_cmd import first_build

DATA = Path(__file__).parent.parent / "data"
TOKEN = "reload-test-admin-token-0123456789"
IDENTITY = {"visitor_id": "visitor-reload-01", "visitor_secret": "Zk3_vq9-XbT0pLw8RmY2sA"}


@dataclass
class Author:
    """A running street built from ``scene``, which the test edits like an author."""

    scene: Path
    base: str
    app: web.Application

    def edit(self, old: str, new: str) -> None:
        text = self.scene.read_text(encoding="utf-8")
        assert old in text
        self.scene.write_text(text.replace(old, new, 1), encoding="utf-8")

    async def call(self, method: str, path: str, token: str | None = TOKEN) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.base + path, headers=headers) as r,
        ):
            return r.status, json.loads(await r.text())

    async def visitor(self) -> PresenceClient:
        client = await PresenceClient.connect(self.base.replace("http", "ws") + "/ws")
        await client.hello("นักเขียน", (1, 2, 3), **IDENTITY)
        return client


@pytest.fixture
async def author(tmp_path: Path) -> AsyncIterator[Author]:
    scene = tmp_path / "authoring" / "street.toml"
    scene.parent.mkdir()
    shutil.copy(DATA / "small.toml", scene)
    settings = Settings(
        port=0,
        scene_dir=tmp_path / "build",
        store=f"sqlite:///{tmp_path}/reload.db",
        admin_token=TOKEN,
        watch=scene,
        watch_interval_s=0.05,
    )
    assert first_build(settings)
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Author(scene, f"http://{host}:{port}", app)
    finally:
        await runner.cleanup()


async def _manifest(author: Author) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.get(author.base + "/scene/manifest.json") as r,
    ):
        return await r.json()


async def _status_until(author: Author, state: str, timeout: float = 60.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            code, status = await author.call("GET", "/admin/api/scene/status")
            assert code == 200
            if status["state"] == state and status["builds"] > 0:
                return status
            await asyncio.sleep(0.05)


async def test_an_edit_reaches_a_connected_visitor_without_a_reconnect(author: Author) -> None:
    before = await _manifest(author)
    visitor = await author.visitor()
    author.edit('en = "City Gate"', 'en = "City Gate of Khon Kaen"')
    author.edit('id = "q-gate-2"', 'id = "q-gate-new"')

    notice = await visitor.next(SceneChanged, timeout=60.0)

    assert notice.content_hash != before["content_hash"]
    names = [lm["name"]["en"] for lm in notice.manifest["landmarks"]]
    assert "City Gate of Khon Kaen" in names
    assert notice.manifest == await _manifest(author), "the manifest served is the one pushed"
    async with aiohttp.ClientSession() as http:
        for content_hash in (notice.content_hash, before["content_hash"]):
            for suffix in (".glb", ".fallback.glb"):
                async with http.get(f"{author.base}/scene/{content_hash}{suffix}") as r:
                    assert r.status == 200, "the new GLB, and the old one for downloads under way"
    # the same connection goes on, on the new street: a removed quiz point answers clearly
    await visitor.send(QuizOpen("q-gate-2", cid=77))
    error = await visitor.next(Error, timeout=10.0, where=lambda m: m.cid == 77)
    assert error.code == ErrorCode.UNKNOWN_QUIZ
    status = await _status_until(author, "ok")
    assert status["content_hash"] == notice.content_hash and status["trigger"] == "watch"
    await visitor.close()


async def test_a_broken_edit_changes_nothing_and_the_author_sees_every_problem(
    author: Author, caplog: pytest.LogCaptureFixture
) -> None:
    before = await _manifest(author)
    visitor = await author.visitor()
    author.edit("reward = 10", 'reward = "ten"')
    author.edit('landmark = "gate"', 'landmark = "gat"')

    status = await _status_until(author, "failed")

    problems = {(p["path"], p["line"] > 0) for p in status["problems"]}
    assert ("quiz_points[0].reward", True) in problems
    assert ("quiz_points[0].landmark", True) in problems, "every problem in one pass"
    assert any(p["did_you_mean"] == "gate" for p in status["problems"])
    assert status["content_hash"] == before["content_hash"]
    assert await _manifest(author) == before, "visitors keep the street they have"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"{author.scene}:" in logged and "quiz_points[0].reward" in logged
    code, again = await author.call("POST", "/admin/api/scene/reload")
    assert code == 422 and again["problems"] == status["problems"], "the operator sees them too"
    with pytest.raises(TimeoutError):
        await visitor.next(SceneChanged, timeout=0.5)
    assert author.app[RELOADER].live.content_hash == before["content_hash"]
    await visitor.close()


@pytest.mark.parametrize("token", [None, "wrong-token-but-long-enough", TOKEN[:-1]])
async def test_only_the_operator_may_reload_or_read_the_status(
    author: Author, token: str | None
) -> None:
    for method, path in (("POST", "/admin/api/scene/reload"), ("GET", "/admin/api/scene/status")):
        code, body = await author.call(method, path, token)
        assert code == 401 and body["error"] == "admin_only"
    assert author.app[RELOADER].status.builds == 0, "nothing was built"


async def test_the_operator_reloads_on_demand(author: Author) -> None:
    visitor = await author.visitor()
    code, status = await author.call("POST", "/admin/api/scene/reload")
    assert code == 200 and status["state"] == "ok" and status["trigger"] == "operator"
    with pytest.raises(TimeoutError):  # the same build: nothing to switch to
        await visitor.next(SceneChanged, timeout=0.3)
    author.app[RELOADER].source = None  # an operator's own build in scene_dir, no --watch
    code, status = await author.call("POST", "/admin/api/scene/reload")
    assert code == 200 and status["state"] == "ok"
    await visitor.close()


def test_a_broken_file_at_start_is_not_built_and_every_problem_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = tmp_path / "street.toml"
    text = (DATA / "small.toml").read_text(encoding="utf-8")
    scene.write_text(text.replace("reward = 10", 'reward = "ten"', 1), encoding="utf-8")
    settings = Settings(scene_dir=tmp_path / "build", watch=scene)
    assert not first_build(settings)
    err = capsys.readouterr().err
    assert re.search(rf"{re.escape(str(scene))}:\d+:\d+: quiz_points\[0\]\.reward: ", err), err
    assert not (tmp_path / "build").exists(), "nothing written"


async def test_a_build_helper_that_died_is_started_again(author: Author) -> None:
    reloader = author.app[RELOADER]
    code, _status = await author.call("POST", "/admin/api/scene/reload")
    assert code == 200
    pool = reloader._builder._pool  # type: ignore[union-attr]
    for pid in list(pool._processes):  # the helper this test's server started
        os.kill(pid, signal.SIGKILL)
    code, status = await author.call("POST", "/admin/api/scene/reload")
    assert code == 422 and "internal" in status["problems"][0]["message"]
    code, status = await author.call("POST", "/admin/api/scene/reload")
    assert code == 200 and status["state"] == "ok", "a new helper builds"


def _png(rgb: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), rgb).save(out, "PNG")
    return out.getvalue()


async def test_a_lesson_image_changed_by_an_edit_is_served_and_the_old_one_stays(
    author: Author,
) -> None:
    """A rebuild carries the lessons' images: the new build serves its image at once, and the
    one before it keeps serving its own (a page still on the old manifest)."""
    visitor = await author.visitor()
    folder = author.scene.parent
    lesson = 'text = { th = "ประตูเมืองต้อนรับผู้มาเยือน", en = "The gate welcomes visitors." }'
    alt = 'image_alt = { th = "ภาพประตู", en = "The gate" }'
    (folder / "gate.png").write_bytes(_png((140, 28, 19)))
    author.edit(lesson, f'{lesson}\nimage = "gate.png"\n{alt}')
    first = await visitor.next(SceneChanged, timeout=60.0)
    # a new file first (named by nothing yet, so not watched), then one edit naming it: one
    # build per step, none still running when the test ends
    (folder / "gate-blue.png").write_bytes(_png((20, 90, 160)))
    author.edit('image = "gate.png"', 'image = "gate-blue.png"')
    second = await visitor.next(SceneChanged, timeout=60.0)
    await _status_until(author, "ok")

    names = [m["courses"][0]["lessons"][0]["image"] for m in (first.manifest, second.manifest)]
    assert names == [image_name(_png((140, 28, 19))), image_name(_png((20, 90, 160)))]
    async with aiohttp.ClientSession() as http:
        for name in names:
            async with http.get(f"{author.base}/scene/images/{name}") as r:
                assert r.status == 200 and r.content_type == "image/png", name
    await visitor.close()
