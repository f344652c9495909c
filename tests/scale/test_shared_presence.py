"""Presence across two real server processes on one Redis: visitors on either process see each
other move within two ticks, hear each other, leave, and resume on the other process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.ws.client import PresenceClient
from srichan_world.protocol.codes import Emote
from srichan_world.protocol.messages import ChatSaid, Emoted
from tests.scale.conftest import Server, join, serve, visitor
from tools import redis_servers

pytestmark = pytest.mark.redis

TICK_S = 0.1
RESUME_WINDOW_S = 1.0


@dataclass
class Pair:
    a: Server
    b: Server


@pytest.fixture
async def pair(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> AsyncIterator[Pair]:
    extra = ("--resume-window-s", str(RESUME_WINDOW_S))
    async with (
        serve(scene_dir, redis.url, tmp_path / "a.log", *extra) as a,
        serve(scene_dir, redis.url, tmp_path / "b.log", *extra) as b,
    ):
        yield Pair(a, b)


async def sees(client: PresenceClient, avatar: int, where=None, timeout: float = 5.0) -> float:  # type: ignore[no-untyped-def]
    """Wait until ``client`` has ``avatar`` (at ``where``, centimetres); returns seconds."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while True:
            seen = client.avatars.get(avatar)
            if seen is not None and (where is None or (seen.x, seen.z) == where):
                return time.monotonic() - started
            await asyncio.sleep(0.005)


async def test_visitors_on_two_processes_see_hear_and_lose_each_other(pair: Pair) -> None:
    alice = await join(pair.a, "อลิสบนเอ")
    bob = await join(pair.b, "บ๊อบบนบี")
    try:
        me, other = alice.welcome.avatar_id, bob.welcome.avatar_id  # type: ignore[union-attr]
        assert me >> 12 != other >> 12, "each process allocates ids from its own lane"
        await sees(alice, other)
        await sees(bob, me)
        assert bob.avatars[me].name == "อลิสบนเอ"

        delays = []
        for i, x in enumerate((101.0, 102.5, 104.0, 102.0, 100.5)):
            await alice.move(x, 2.0 + i * 0.1)
            await alice.ping()  # the move reached A's world before the clock starts
            delays.append(await sees(bob, me, (round(x * 100), round((2.0 + i * 0.1) * 100))))
            await asyncio.sleep(0.15)
        assert max(delays) < 3 * TICK_S, f"not within two ticks: {delays}"

        await bob.chat("สวัสดีข้ามเครื่อง")
        said = await alice.next(ChatSaid, 5.0)
        assert (said.avatar_id, said.text) == (other, "สวัสดีข้ามเครื่อง")
        await alice.emote(int(Emote.WAI))
        waved = await bob.next(Emoted, 5.0)
        assert (waved.avatar_id, waved.emote) == (me, Emote.WAI)

        await alice.close()
        async with asyncio.timeout(RESUME_WINDOW_S + 5):
            while me in bob.avatars:
                await asyncio.sleep(0.02)
    finally:
        await alice.close()
        await bob.close()


async def test_a_visitor_resumes_on_the_other_process(pair: Pair) -> None:
    watcher = await join(pair.a, "ผู้ชม")
    walker = await join(pair.a, "นักเดิน")
    try:
        token = walker.welcome.resume_token  # type: ignore[union-attr]
        old = walker.welcome.avatar_id  # type: ignore[union-attr]
        await walker.move(101.5, 2.5)
        await sees(watcher, old, (10150, 250))
        walker.ws.transport.abort()  # the network dropped: no goodbye
        await asyncio.sleep(0.3)  # the drop is noticed and the state goes to Redis
        back = await PresenceClient.connect(pair.b.ws)
        welcome = await back.hello("นักเดิน", (1, 2, 3), resume=token)
        assert welcome.resumed and (welcome.x, welcome.z) == (101.5, 2.5)
        new = welcome.avatar_id
        assert new >> 12 != old >> 12
        await sees(watcher, new, (10150, 250))
        async with asyncio.timeout(5):
            while old in watcher.avatars:
                await asyncio.sleep(0.02)
        await back.close()
    finally:
        await watcher.close()
        with contextlib.suppress(Exception):
            await walker.close()


async def test_a_stolen_token_on_the_other_process_leaves_the_avatar_to_its_owner(
    pair: Pair,
) -> None:
    """Another identity's hello with the token must neither resume the avatar nor use up its
    stored state: the owner still resumes it there."""
    victim = await join(pair.a, "อลิซ", 1)
    token = victim.welcome.resume_token  # type: ignore[union-attr]
    await victim.move(101.5, 2.5)
    await asyncio.sleep(0.2)
    victim.ws.transport.abort()
    await asyncio.sleep(0.3)
    thief = await PresenceClient.connect(pair.b.ws)
    vid, secret = visitor(2)
    stolen = await thief.hello("ขโมย", resume=token, visitor_id=vid, visitor_secret=secret)
    assert not stolen.resumed
    back = await PresenceClient.connect(pair.a.ws)  # where it played: still there for her
    vid, secret = visitor(1)
    welcome = await back.hello("อลิซ", resume=token, visitor_id=vid, visitor_secret=secret)
    assert welcome.resumed and (welcome.x, welcome.z) == (101.5, 2.5)
    await thief.close()
    await back.close()


async def test_visitors_lose_each_other_while_redis_is_away_and_meet_again(
    pair: Pair, redis: redis_servers.RedisServer
) -> None:
    alice = await join(pair.a, "อลิส")
    bob = await join(pair.b, "บ๊อบ")
    try:
        me, other = alice.welcome.avatar_id, bob.welcome.avatar_id  # type: ignore[union-attr]
        await sees(bob, me)
        redis.kill()
        async with asyncio.timeout(10):  # no news from A: its avatar fades out on B
            while me in bob.avatars:
                await asyncio.sleep(0.05)
        await alice.move(101.0, 3.0)
        await alice.chat("ยังคุยกับตัวเองได้")  # presence on A goes on without Redis
        assert (await alice.next(ChatSaid, 5.0)).avatar_id == me
        redis.start()
        await sees(bob, me, (10100, 300), timeout=15.0)
        await sees(alice, other, timeout=5.0)
    finally:
        await alice.close()
        await bob.close()
