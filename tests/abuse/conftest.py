"""The abuse suite: each attack of "a street one machine cannot lock or farm" against a real
``srichan serve`` process on a free loopback port, with the default limits.

Two addresses on one machine: Linux routes all of 127.0.0.0/8 to the loopback interface, so a
client socket bound to 127.0.0.20 is another address to the server than one bound to
127.0.0.2. The attacker uses one, an honest visitor another, and every test checks both: the
attack fails, the visitor still gets in. The street is seeded through the store before the
server starts (B01 held by Auntie Daeng with a live promotion; B02 by Uncle Som, one of whose
coupons exists; a sign-in link for Auntie Daeng).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import websockets

from server.store import open_store
from server.ws.client import PresenceClient
from srichan_world.world.owners import link_hash
from tests.scale.conftest import SHOP, Server, seed_street, serve, visitor
from tests.server.booth_fixtures import write_booth_scene
from tests.world.booth_fixtures import DAY, T0, config, promotion, redemption

HONEST = "127.0.0.2"
ATTACKER = "127.0.0.20"
OTHER_SHOP = "uncle-som"
OWNER_LINK = "abuse-owner-link-" + "a" * 32
UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@dataclass
class Street:
    server: Server
    port: int
    other_coupon: str
    """A real coupon code of Uncle Som's booth (B02)."""

    @property
    def http(self) -> str:
        return self.server.http

    @property
    def ws(self) -> str:
        return self.server.ws

    async def open(self, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port, local_addr=(source, 0))

    async def handshake(self, source: str) -> tuple[int, asyncio.StreamWriter]:
        """A bare WebSocket upgrade from ``source``: the status and the open connection."""
        reader, writer = await self.open(source)
        writer.write(UPGRADE)
        async with asyncio.timeout(10):
            head = await reader.readuntil(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), writer

    async def visitor(self, name: str, source: str = HONEST) -> PresenceClient:
        """An honest visitor from ``source``, welcomed."""
        ws = await websockets.connect(
            self.ws, local_addr=(source, 0), compression=None, ping_interval=None
        )
        client = PresenceClient(ws)
        await client.hello(name)
        return client

    async def metrics(self) -> dict[str, float]:
        """``/metrics`` as ``{sample name with labels: value}``."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.http + "/metrics") as response,
        ):
            text = await response.text()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def log(self) -> str:
        return self.server.log.read_text(errors="replace")


async def seed(store_url: str) -> str:
    """The street as the module docstring says; returns Uncle Som's coupon code."""
    await seed_street(store_url, visitors={1: 100})
    store = await open_store(store_url)
    try:
        now = time.time()
        live = promotion(coupons=5, valid_from=now - DAY, valid_to=now + DAY)
        await store.grant_slot("B02", OTHER_SHOP, "ร้านลุงสม", T0)
        await store.save_booth_draft("B02", OTHER_SHOP, config(live), T0)
        await store.publish_booth("B02", OTHER_SHOP, T0)
        buyer, secret = visitor(1)
        bought = await store.redeem(redemption(buyer, "abuse-key-1", slot="B02", now=now), secret)
        await store.issue_sign_in(SHOP, link_hash(OWNER_LINK), now + 3600, now)
        return bought.coupon.code
    finally:
        await store.close()


@pytest.fixture
async def street(tmp_path: Path, ws_transport: str) -> AsyncIterator[Street]:
    scene_dir = tmp_path / "build"
    write_booth_scene(scene_dir)
    store_url = f"sqlite:///{tmp_path}/street.db"
    other_coupon = await seed(store_url)
    log = tmp_path / "server.log"
    async with serve(scene_dir, store_url, log, "--ws-transport", ws_transport) as server:
        port = int(server.http.rsplit(":", 1)[1])
        yield Street(server, port, other_coupon)
