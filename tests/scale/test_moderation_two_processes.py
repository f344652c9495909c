"""Moderation end to end on two ``srichan serve`` processes sharing one real Redis: a visitor
reports a chat line on A, a moderator sees it in the queue on B's console and mutes the
speaker, and the speaker's chat is refused on both processes at once; an admin erases a
visitor on B and their tabs on both processes are told and closed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.store import open_store
from server.ws.client import PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode, NoticeKind, ReportReason, ReportTarget
from srichan_world.protocol.messages import Chat, ChatSaid, Notice, Report, Reported
from srichan_world.world.owners import link_hash
from tests.scale.conftest import Server, join, seed_street, serve, visitor
from tools import redis_servers

pytestmark = pytest.mark.redis

LINK = "moderator-link-" + "m" * 32
ADMIN_LINK = "admin-link-" + "a" * 32
ABUSE = "ไอ้ควาย ไปให้พ้น"


@dataclass
class Console:
    """A moderator's browser on one process's console."""

    server: Server
    cookie: str
    csrf: str

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {
            "Origin": self.server.http,
            "Cookie": f"srichan_operator={self.cookie}",
            "X-CSRF-Token": self.csrf,
        }
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.server.http + path, json=body, headers=headers) as r,
        ):
            return r.status, await r.json()


async def sign_in(server: Server, link: str = LINK) -> Console:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            server.http + "/api/admin/login",
            json={"token": link},
            headers={"Origin": server.http},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        me = await response.json()
        return Console(server, response.cookies["srichan_operator"].value, me["csrf"])


@pytest.fixture
async def pair(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> AsyncIterator[tuple[Server, Server]]:
    await seed_street(redis.url, visitors={1: 0, 2: 0})
    store = await open_store(redis.url)
    try:
        await store.add_operator("noi", "คุณน้อย", "moderator", time.time())
        await store.issue_operator_link("noi", link_hash(LINK), time.time() + 600, time.time())
        await store.add_operator("boss", "คุณใหญ่", "admin", time.time())
        await store.issue_operator_link("boss", link_hash(ADMIN_LINK), time.time() + 600, 0)
    finally:
        await store.close()
    async with (
        serve(scene_dir, redis.url, tmp_path / "a.log") as a,
        serve(scene_dir, redis.url, tmp_path / "b.log") as b,
    ):
        yield a, b


async def refused_chat(client: PresenceClient, text: str) -> ServerError:
    with pytest.raises(ServerError) as caught:
        await client.request(Chat(text))
    return caught.value


async def test_report_queue_mute_and_the_muted_visitors_chat_refused_on_both_processes(
    pair: tuple[Server, Server],
) -> None:
    a, b = pair
    reporter = await join(a, "ผู้รายงาน", 1)
    speaker_a = await join(a, "คนพูดไม่ดี", 2)
    speaker_b = await join(b, "คนพูดไม่ดี", 2)  # the same visitor in a second tab, on B
    try:
        said = await speaker_a.request(Chat(ABUSE))
        assert isinstance(said, ChatSaid)
        heard = await reporter.next(ChatSaid, 5.0, lambda m: m.text == ABUSE)

        # report → queue (filed on A, read on B's console)
        report = Report(
            ReportTarget.CHAT, ReportReason.HARASSMENT, avatar=heard.avatar_id, said=ABUSE
        )
        filed = await reporter.request(report)
        assert isinstance(filed, Reported)
        console = await sign_in(b)
        status, body = await console.call("GET", "/api/admin/reports")
        assert status == 200, body
        (queued,) = body["reports"]
        assert queued["seq"] == filed.report_id and queued["visitor_id"] == visitor(2)[0]
        assert queued["reporter"] == visitor(1)[0] and queued["said"] == ABUSE
        assert ABUSE in [line["text"] for line in queued["context"]]

        # mute from B's console: both of the speaker's sessions are told at once
        started = time.monotonic()
        mute = {
            "action": "mute",
            "target": visitor(2)[0],
            "reason": ReportReason.HARASSMENT,
            "minutes": 10,
            "report": filed.report_id,
        }
        status, body = await console.call("POST", "/api/admin/sanctions", mute)
        assert status == 200, body
        for tab in (speaker_a, speaker_b):
            notice = await tab.next(Notice, 5.0)
            assert notice.kind == NoticeKind.MUTE and notice.until is not None
            assert "ปิดการแชท" in notice.text.th and "muted" in notice.text.en
        told_within = time.monotonic() - started

        # the muted visitor's chat is refused on both processes, and nobody hears it
        for tab in (speaker_a, speaker_b):
            error = await refused_chat(tab, "ยังพูดได้ไหม")
            assert error.error.code == ErrorCode.MUTED
        await asyncio.sleep(0.3)
        assert not [m for m in reporter.inbox if isinstance(m, ChatSaid)]
        status, body = await console.call("GET", "/api/admin/reports")
        assert body["reports"] == [], "the mute closed the report"
        assert told_within < 2.0, f"the notice took {told_within:.2f} s"
    finally:
        for client in (reporter, speaker_a, speaker_b):
            await client.close()


async def test_the_word_list_set_on_one_process_masks_chat_on_the_other(
    pair: tuple[Server, Server],
) -> None:
    a, b = pair
    console = await sign_in(a)
    status, body = await console.call("PUT", "/api/admin/words", {"words": ["ควาย"]})
    assert status == 200, body
    speaker = await join(b, "ผู้พูด", 2)
    try:
        async with asyncio.timeout(10):
            while True:  # B builds its dictionary in a worker thread when it hears the list
                said = await speaker.request(Chat("ไอ้ควาย กับ ขี้ควาย"))
                assert isinstance(said, ChatSaid)
                if said.text != "ไอ้ควาย กับ ขี้ควาย":
                    break
                await asyncio.sleep(1.1)  # chat's rate limit
        assert said.text == "ไอ้**** กับ ขี้ควาย"
    finally:
        await speaker.close()


async def test_an_erased_visitor_is_told_and_closed_on_both_processes(
    pair: tuple[Server, Server], redis: redis_servers.RedisServer
) -> None:
    a, b = pair
    other = await join(a, "เพื่อน", 1)
    tab_a, tab_b = await join(a, "ป้าคำ", 2), await join(b, "ป้าคำ", 2)
    try:
        console = await sign_in(b, ADMIN_LINK)
        erase = {"visitor_id": visitor(2)[0], "confirm": visitor(2)[0]}
        status, body = await console.call("POST", "/api/admin/privacy/erase", erase)
        assert status == 200 and body["erased"], body
        for tab in (tab_a, tab_b):
            notice = await tab.next(Notice, 5.0)
            assert notice.kind == NoticeKind.KICK and "ถูกลบตามคำขอ" in notice.text.th
            assert (await tab.closed(5.0)).code == 4003
        assert (await other.ping()).t == 0.0, "another visitor stays"
        store = await open_store(redis.url)
        try:
            assert (await store.audit()).ok
            assert not (await store.personal_records(visitor(2)[0]))["identity"]
            assert (await store.personal_records(visitor(1)[0]))["identity"]
        finally:
            await store.close()
    finally:
        for client in (other, tab_a, tab_b):
            await client.close()
