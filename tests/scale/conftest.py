"""Real server processes on one real Redis: ``srichan serve`` subprocesses on free loopback
ports, a ``redis-server`` started by the test (never the one on 6379), the street seeded
through the store as an operator would (``srichan owner`` does the same calls)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from server.store import open_store
from server.ws.client import PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Message
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from tests.server.booth_fixtures import write_booth_scene
from tests.world.booth_fixtures import DAY, T0, config, promotion
from tools import redis_servers

SRICHAN = str(Path(sys.executable).parent / "srichan")
OPEN = re.compile(r"open: (http://[\d.]+:\d+)/")
ADMIN_TOKEN = "admin-token-for-scale-tests-0123"
MAX_SPEED = 50.0
AOF_ALWAYS = ("--save", "", "--appendonly", "yes", "--appendfsync", "always")
B01_COUNTER = (100.0, 4.0)
SHOP = "auntie-daeng"


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``condition()`` holds; TimeoutError after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def visitor(n: int) -> tuple[str, str]:
    return f"visitor-{n:04d}", f"secret-{n:04d}-Zk3_vq9-XbT0pLw8RmY2sA"


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[redis_servers.RedisServer]:
    """A redis-server with AOF ``always`` in the test's folder: restartable without loss."""
    reason = redis_servers.available()
    if reason:
        pytest.skip(reason)
    server = redis_servers.start_server(tmp_path / "redis", AOF_ALWAYS)
    yield server
    server.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[redis_servers.RedisClusterNodes]:
    """A real 3-master Redis Cluster in the test's folder."""
    reason = redis_servers.available()
    if reason:
        pytest.skip(reason)
    nodes = redis_servers.start_cluster(tmp_path / "cluster")
    yield nodes
    nodes.stop()


@pytest.fixture
def scene_dir(tmp_path: Path) -> Path:
    """The small street with booths B01–B03; everyone arrives at B01's counter."""
    folder = tmp_path / "build"
    write_booth_scene(folder)
    path = folder / "srichan.manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["spawn_points"] = [
        {"id": "near-b01", "position": list(B01_COUNTER), "heading": 0.0},
    ]
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return folder


async def seed_street(
    url: str, *, cost: int = 10, coupons: int = 5, visitors: dict[int, int] | None = None
) -> None:
    """B01 held by Auntie Daeng with one live promotion; each visitor ``n`` gets its tokens."""
    store = await open_store(url)
    try:
        now = time.time()
        live = promotion(cost=cost, coupons=coupons, valid_from=now - DAY, valid_to=now + DAY)
        await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
        await store.save_booth_draft("B01", SHOP, config(live), T0)
        await store.publish_booth("B01", SHOP, T0)
        for n, tokens in (visitors or {}).items():
            vid, secret = visitor(n)
            await store.register_visitor(vid, secret, T0)
            if tokens:
                gift = Transfer(f"gift-{n}", CITY_POOL, visitor_account(vid), tokens, "gift", T0)
                await store.transfer(gift)
    finally:
        await store.close()


@dataclass
class Server:
    """One ``srichan serve`` process (or a supervisor of workers)."""

    process: asyncio.subprocess.Process
    http: str
    log: Path

    @property
    def ws(self) -> str:
        return self.http.replace("http://", "ws://") + "/ws"

    async def health(self) -> dict:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.http + "/healthz") as response,
        ):
            assert response.status == 200, await response.text()
            return await response.json()

    async def wait_health(self, status: str, timeout: float = 10.0) -> dict:
        """Poll ``/healthz`` until it says ``status``; returns that report."""
        async with asyncio.timeout(timeout):
            while True:
                report = await self.health()
                if report["status"] == status:
                    return report
                await asyncio.sleep(0.1)

    async def admin(self, method: str, path: str, body: object = None) -> tuple[int, dict, dict]:
        """An admin API call: status, JSON body, headers."""
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.http + path, json=body, headers=headers) as response,
        ):
            return response.status, await response.json(), dict(response.headers)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@asynccontextmanager
async def serve(
    scene_dir: Path, store: str, log: Path, *extra: str, stop_timeout: float = 20.0
) -> AsyncIterator[Server]:
    """``srichan serve`` on a free port; SIGTERM at the end, and it must stop cleanly."""
    args = ["serve", "--port", "0", "--scene-dir", str(scene_dir), "--store", store]
    args += ["--max-speed", str(MAX_SPEED), "--admin-token", ADMIN_TOKEN, *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRICHAN_")}
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            SRICHAN, *args, stdout=subprocess.PIPE, stderr=stderr, env=env
        )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(60):
            line = (await process.stdout.readline()).decode()
        match = OPEN.search(line)
        assert match, f"no URL in {line!r}; log: {log.read_text(errors='replace')[-3000:]}"
        yield Server(process, match.group(1), log)
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(stop_timeout):
                code = await process.wait()
            assert code == 0, f"exit {code}; log: {log.read_text(errors='replace')[-3000:]}"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def join(server: Server, name: str, n: int | None = None) -> PresenceClient:
    """A visitor on ``server`` (with visitor ``n``'s identity when given). With an identity it
    returns once the hello's identity was answered (its wallet or its error, after a new
    identity's proof of work), as a visitor's page does: what is pushed or asked after that
    is not raced by the hello's own replies."""
    client = await PresenceClient.connect(server.ws)
    identity = {}
    if n is not None:
        vid, secret = visitor(n)
        identity = {"visitor_id": vid, "visitor_secret": secret}
    await client.hello(name, (1, 2, 3), **identity)
    if n is not None:
        await client.entered()
    return client


async def retrying(client: PresenceClient, message: Message, attempts: int = 12) -> Message:
    """What a client does with ``store_unavailable``: the same request again (same key), after
    a pause doubling from 1 s to 8 s with jitter (as the browser does; slow enough for the
    redeem rate limit, 1 every 2 s after a burst of 5)."""
    for attempt in range(1, attempts + 1):
        try:
            return await client.request(message, timeout=15.0)
        except ServerError as exc:
            if exc.error.code != ErrorCode.STORE_UNAVAILABLE or attempt == attempts:
                raise
            base = min(8.0, 2.0 ** (attempt - 1))
            await asyncio.sleep(base / 2 + random.random() * base / 2)
    raise AssertionError("unreachable")
