"""An operator's event change on one server process reaches visitors on another at once, over
a real redis-server (the store keeps it; the bus tells the other process to read it)."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import icalendar
import pytest

from srichan_world.protocol.messages import Events
from tests.scale.conftest import join, serve
from tools import redis_servers

pytestmark = pytest.mark.redis

WORKSHOP = {
    "title": {"th": "เวิร์กช็อปผ้ามัดหมี่", "en": "Mudmee workshop"},
    "description": {"th": "ทดลองมัดหมี่กับช่างทอ", "en": "Try mudmee with weavers"},
    "host": {"th": "เทศกาลอีสานสร้างสรรค์", "en": "Isan Creative Festival"},
    "starts": "2027-11-20T13:00",
    "ends": "2027-11-20T16:00",
    "landmark": "museum",
    "quiz_points": ["q-museum-2"],
    "bonus": 20,
    "capacity": 30,
}


async def test_an_event_created_on_one_process_reaches_the_other(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> None:
    async with (
        serve(scene_dir, redis.url, tmp_path / "a.log") as a,
        serve(scene_dir, redis.url, tmp_path / "b.log") as b,
    ):
        watcher = await join(b, "ผู้ชมบนบี", 1)
        try:
            started = time.monotonic()
            status, body, _ = await a.admin("PUT", "/admin/api/events/workshop", WORKSHOP)
            assert status == 200, body
            pushed = await watcher.next(Events, 5.0)
            delay = time.monotonic() - started
            assert [e["id"] for e in pushed.events] == ["workshop"]
            assert delay < 1.0, f"not pushed at once: {delay:.2f} s"
            status, body, _ = await a.admin("POST", "/admin/api/events/workshop/cancel")
            assert status == 200, body
            pushed = await watcher.next(Events, 5.0)
            assert pushed.events[0]["cancelled"] is True
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{b.http}/events/workshop.ics") as r,
            ):
                ics = icalendar.Calendar.from_ical(await r.read())
            (event,) = ics.walk("VEVENT")
            assert str(event["STATUS"]) == "CANCELLED"
        finally:
            await watcher.close()
    # and after a restart, from the store alone
    async with serve(scene_dir, redis.url, tmp_path / "c.log") as c:
        async with aiohttp.ClientSession() as http, http.get(f"{c.http}/events.ics") as r:
            ics = icalendar.Calendar.from_ical(await r.read())
        assert [str(e["UID"]) for e in ics.walk("VEVENT")] == ["workshop@events.srichan.world"]
