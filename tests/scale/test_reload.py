"""Live reload on a street of two server processes on one real Redis: one build, both switch."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from srichan_world.protocol.messages import SceneChanged
from tests.scale.conftest import Server, join, serve
from tools import redis_servers

pytestmark = pytest.mark.redis

DATA = Path(__file__).parent.parent / "data"


async def _status(server: Server) -> dict:
    code, body, _ = await server.admin("GET", "/admin/api/scene/status")
    assert code == 200, body
    return body


async def test_an_edit_is_built_once_and_every_process_switches(
    tmp_path: Path, redis: redis_servers.RedisServer
) -> None:
    scene = tmp_path / "authoring" / "street.toml"
    scene.parent.mkdir()
    shutil.copy(DATA / "small.toml", scene)
    build = tmp_path / "build"
    watch = ("--watch", str(scene), "--watch-interval-s", "0.1")
    async with (
        serve(build, redis.url, tmp_path / "a.log", *watch) as a,
        serve(build, redis.url, tmp_path / "b.log", *watch) as b,
    ):
        on_a, on_b = await join(a, "บนเอ"), await join(b, "บนบี")
        before = (await _status(a))["content_hash"]
        assert (await _status(b))["content_hash"] == before

        text = scene.read_text(encoding="utf-8")  # the first build, `before`
        edited = text.replace('en = "City Gate"', 'en = "Gate of Khon Kaen"', 1)
        scene.write_text(edited, encoding="utf-8")

        seen = [await c.next(SceneChanged, timeout=60.0) for c in (on_a, on_b)]
        assert seen[0].content_hash == seen[1].content_hash != before, a.tail() + b.tail()
        assert seen[0].manifest == seen[1].manifest
        async with asyncio.timeout(10):  # the follower may log its switch a moment later
            while True:
                statuses = [await _status(a), await _status(b)]
                if all(s["content_hash"] == seen[0].content_hash for s in statuses):
                    break
                await asyncio.sleep(0.05)
        assert sorted(s["builds"] for s in statuses) == [0, 1], "built once, on one process"
        assert {s["trigger"] for s in statuses} == {"watch", "another process"}
        assert (build / "versions" / seen[0].content_hash / "srichan.glb").is_file()

        # undone, then done again: each is a build, on one process, and both switch each time
        for content, expected in ((text, before), (edited, seen[0].content_hash)):
            scene.write_text(content, encoding="utf-8")
            for client in (on_a, on_b):
                notice = await client.next(SceneChanged, timeout=60.0)
                assert notice.content_hash == expected, a.tail() + b.tail()
        async with asyncio.timeout(10):
            while sum(s["builds"] for s in [await _status(a), await _status(b)]) < 3:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        assert sum(s["builds"] for s in [await _status(a), await _status(b)]) == 3
        for client in (on_a, on_b):
            await client.ping()  # the same connections go on
            await client.close()
