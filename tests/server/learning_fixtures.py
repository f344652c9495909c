"""The learning street for end-to-end tests: the real app with learning on a loopback port,
visitors on the Python client, and walking at the speed limit along the walkable area."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from server.app import create_app
from server.config import Settings
from server.integrations.lrs import LrsConfig
from server.keys import LEARNING, STORE
from server.store import Store
from server.ws.client import PresenceClient
from server.ws.learning import LearningLoop
from srichan_world.protocol.messages import Correction, Message, Wallet
from tests.server.conftest import write_compiled_scene

MAX_SPEED = 50.0
"""The street's speed limit in these tests (the most the settings allow), so walks are short."""
STRIDE_M = 4.0
STRIDE_S = 0.1
"""Walkers move 4 m every 0.1 s: 40 m/s, under the limit even with scheduling jitter."""
ADMIN_TOKEN = "admin-token-for-tests-0123456789"

# small.toml: spawn (4, -2); City Gate pillars at x 19..21 (z -8..-6 and 6..8); museum x 70..90,
# z 8..20. Walking along z = 0 passes between the gate's pillars.
SPAWN = (4.0, -2.0)
Q_GATE_1 = (12.0, -5.0)
Q_GATE_2 = (28.0, 5.0)
Q_MUSEUM_1 = (74.0, 6.0)
Q_MUSEUM_2 = (86.0, 6.0)


def visitor(n: int) -> tuple[str, str]:
    """A visitor id and secret of the documented form."""
    return f"visitor-{n:04d}", f"secret-{n:04d}-Zk3_vq9-XbT0pLw8RmY2sA"


def compile_scene(folder: Path, policy: dict[str, Any] | None = None, extra: str = "") -> Path:
    """The small scene (plus ``extra`` TOML) compiled into ``folder``, with ``policy`` fields
    replaced."""
    write_compiled_scene(folder, extra=extra)
    if policy:
        path = folder / "srichan.manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["policy"] |= policy
        path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return folder


@dataclass
class Street:
    app: web.Application
    url: str
    """``ws://…/ws``"""
    http: str
    """``http://host:port``"""

    @property
    def learning(self) -> LearningLoop:
        return self.app[LEARNING]

    @property
    def store(self) -> Store:
        return self.app[STORE]


@asynccontextmanager
async def open_street(
    tmp_path: Path,
    *,
    policy: dict[str, Any] | None = None,
    lrs: LrsConfig | None = None,
    admin_token: str = ADMIN_TOKEN,
    watch_s: float = 0.05,
    store: str | None = None,
    extra: str = "",
    wall: Callable[[], float] = time.time,
) -> AsyncIterator[Street]:
    """The street on a loopback port; ``store`` defaults to a fresh SQLite file; ``extra`` is
    TOML added to the scene, ``wall`` the clock requests are decided at."""
    scene_dir = compile_scene(tmp_path / "build", policy, extra)
    settings = Settings(
        port=0,
        scene_dir=scene_dir,
        store=store or f"sqlite:///{tmp_path}/street.db",
        max_speed=MAX_SPEED,
        admin_token=admin_token,
    )
    app = create_app(settings, environ={}, watch_s=watch_s, wall=wall)
    app[LEARNING].lrs = lrs
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Street(app, f"ws://{host}:{port}/ws", f"http://{host}:{port}")
    finally:
        await runner.cleanup()


class Walker:
    """A visitor's connection and where the server last accepted its avatar."""

    def __init__(self, client: PresenceClient, position: tuple[float, float]) -> None:
        self.client = client
        self.position = position

    @classmethod
    async def join(
        cls, url: str, name: str, visitor_id: str | None = None, secret: str | None = None
    ) -> Walker:
        client = await PresenceClient.connect(url)
        welcome = await client.hello(name, (1, 2, 3), visitor_id=visitor_id, visitor_secret=secret)
        if visitor_id is not None:
            await client.entered()  # a new identity's proof of work first: then visits count
        return cls(client, (welcome.x, welcome.z))

    async def walk(self, *waypoints: tuple[float, float]) -> None:
        """Walk straight to each waypoint in turn at 40 m/s, then make sure the server agrees."""
        for target in waypoints:
            x, z = self.position
            steps = max(1, math.ceil(math.dist((x, z), target) / STRIDE_M))
            for i in range(1, steps + 1):
                await asyncio.sleep(STRIDE_S)
                t = i / steps
                await self.client.move(x + (target[0] - x) * t, z + (target[1] - z) * t)
            self.position = target
        await self.client.ping()  # every move before it has been applied
        corrections = [m for m in self.client.inbox if isinstance(m, Correction)]
        assert not corrections, f"the server refused a move: {corrections}"

    async def ask(self, message: Message) -> Message:
        return await self.client.request(message)

    async def wallet(self) -> Wallet:
        return await self.client.next(Wallet)

    async def close(self) -> None:
        await self.client.close()
