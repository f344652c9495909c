"""The console's *now* view on ``srichan serve`` processes sharing one real Redis: an analyst
on B sees A's visitors and B's, added up before small groups are hidden; a process that stops
cleanly leaves the view at once, one that dies once its snapshot expires."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.now_board import NOW_TTL_S
from server.store import open_store
from srichan_world.world.owners import link_hash
from tests.scale.conftest import B01_COUNTER, Server, join, serve
from tools import redis_servers

pytestmark = pytest.mark.redis

LINK = "analyst-link-" + "n" * 32


async def now_on(server: Server, cookie: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            server.http + "/api/admin/figures/now",
            headers={"Cookie": f"srichan_operator={cookie}"},
        ) as r,
    ):
        assert r.status == 200, await r.text()
        return await r.json()


async def sign_in(server: Server) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            server.http + "/api/admin/login", json={"token": LINK}, headers={"Origin": server.http}
        ) as r,
    ):
        assert r.status == 200, await r.text()
        return r.cookies["srichan_operator"].value


async def test_the_now_view_adds_up_every_live_process_and_drops_a_dead_one(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> None:
    store = await open_store(redis.url)
    try:
        await store.add_operator("ana", "คุณอนา", "analyst", time.time())
        await store.issue_operator_link("ana", link_hash(LINK), time.time() + 600, time.time())
    finally:
        await store.close()
    async with (
        serve(scene_dir, redis.url, tmp_path / "a.log") as a,
        serve(scene_dir, redis.url, tmp_path / "b.log") as b,
        serve(scene_dir, redis.url, tmp_path / "c.log") as c,
    ):
        on_a = [await join(a, f"เอ{n}") for n in range(3)]
        on_b = [await join(b, f"บี{n}") for n in range(3)]
        cookie = await sign_in(b)
        async with (
            aiohttp.ClientSession() as session,
            session.get(b.http + "/api/admin/figures/now") as r,
        ):
            assert r.status == 401, "no session: refused"
        async with asyncio.timeout(10):
            while True:
                view = await now_on(b, cookie)
                if len(view["processes"]) == 3 and view["visitors"] == 6:
                    break
                await asyncio.sleep(0.2)
        assert view["complete"] is True
        assert [p["visitors"] for p in view["processes"]] == [None] * 3, "3, 3 and 0: hidden"
        (cell,) = view["cells"]
        assert cell["visitors"] == 6, "3 + 3 at B01's counter, added before hiding"
        assert abs(cell["x"] - B01_COUNTER[0]) <= view["cell_m"] / 2
        assert abs(cell["z"] - B01_COUNTER[1]) <= view["cell_m"] / 2
        assert "เอ" not in str(view) and "บี" not in str(view)

        c.process.send_signal(signal.SIGTERM)  # a clean stop withdraws its snapshot at once
        assert await c.process.wait() == 0
        assert len((await now_on(b, cookie))["processes"]) == 2, "c left at once"

        a.process.kill()  # no clean stop: its snapshot stays until it expires
        await a.process.wait()
        killed = time.monotonic()
        async with asyncio.timeout(NOW_TTL_S + 5):
            while len((view := await now_on(b, cookie))["processes"]) == 2:
                await asyncio.sleep(0.2)
        gone_after = time.monotonic() - killed
        assert gone_after <= NOW_TTL_S + 1.0, gone_after
        assert len(view["processes"]) == 1 and view["visitors"] is None and view["cells"] == []
        for client in on_b:
            await client.close()
        for client in on_a:
            await client.drop()
