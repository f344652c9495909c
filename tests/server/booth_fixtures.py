"""A running app with booths for the server tests: three slots, shops, owners and their sessions.

Slots: B01 at (100, 7), B02 at (160, 7) (out of sight of B01), B03 at (40, 7). Spawn points
``near-b01`` and ``near-b02`` stand visitors at their counters.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import DummyCookieJar, web
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.config import Settings
from server.keys import BOOTHS
from server.services.booths import BoothService
from server.store import Store
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from srichan_world.world.owners import LINK_TTL_S, csrf_token, link_hash
from tests.server.conftest import write_compiled_scene
from tests.server.gated import GatedServer
from tests.world.booth_fixtures import DAY, T0, config, promotion

ADMIN_TOKEN = "admin-token-0123456789abcdef"
VISITOR_SECRET = "visitor-Secret_0123456789abcdef"
B01 = (100.0, 7.0)
B02 = (160.0, 7.0)


def write_booth_scene(folder: Path) -> None:
    """The small compiled scene with two more booth slots and spawns at B01 and B02."""
    write_compiled_scene(folder)
    path = folder / "srichan.manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    (b01,) = manifest["booth_slots"]
    manifest["booth_slots"] += [
        {**b01, "id": "B02", "position": list(B02)},
        {**b01, "id": "B03", "position": [40.0, 7.0]},
    ]
    manifest["spawn_points"] = [
        {"id": "near-b01", "position": [B01[0], B01[1] - 3.0], "heading": 0.0},
        {"id": "near-b02", "position": [B02[0], B02[1] - 3.0], "heading": 0.0},
    ]
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def booth_settings(tmp_path: Path) -> Settings:
    folder = tmp_path / "build"
    write_booth_scene(folder)
    return Settings(
        port=0,
        scene_dir=folder,
        store=f"sqlite:///{tmp_path}/booths.db",
        admin_token=ADMIN_TOKEN,
        spawn="rotate",  # the tests' visitors start at B01 and B02 in turn
    )


@dataclass
class Actor:
    """Who makes a request: the headers they would send from their browser."""

    name: str
    cookie: str | None = None
    bearer: str | None = None
    csrf: str | None = None

    def headers(self, origin: str) -> dict[str, str]:
        out = {"Origin": origin}
        if self.cookie is not None:
            out["Cookie"] = f"srichan_owner={self.cookie}"
        if self.bearer is not None:
            out["Authorization"] = f"Bearer {self.bearer}"
        if self.csrf is not None:
            out["X-CSRF-Token"] = self.csrf
        return out


@dataclass
class BoothSite:
    client: TestClient
    app: web.Application
    origin: str
    actors: dict[str, Actor] = field(default_factory=dict)

    @property
    def service(self) -> BoothService:
        return self.app[BOOTHS]

    @property
    def store(self) -> Store:
        return self.service.store

    async def call(
        self, method: str, path: str, actor: Actor | str, json_body: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        who = self.actors[actor] if isinstance(actor, str) else actor
        headers = who.headers(self.origin) | kw.pop("headers", {})
        async with self.client.request(
            method, path, json=json_body, headers=headers, **kw
        ) as response:
            body = (
                await response.json()
                if response.content_type == "application/json"
                else await response.read()
            )
            return response.status, body

    async def sign_in(self, shop_id: str, token: str) -> Actor:
        """Issue a link for the shop and open it as the owner's page would."""
        await self.store.issue_sign_in(shop_id, link_hash(token), T0 + LINK_TTL_S * 1000, T0)
        async with self.client.post(
            "/owner/api/login", json={"token": token}, headers={"Origin": self.origin}
        ) as response:
            assert response.status == 200, await response.text()
            secret = response.cookies["srichan_owner"].value
            body = await response.json()
        assert body["csrf"] == csrf_token(secret)
        return Actor(shop_id, cookie=secret, csrf=body["csrf"])


@asynccontextmanager
async def booth_site(tmp_path: Path, **changes: Any) -> AsyncIterator[BoothSite]:
    """The app as ``create_app`` builds it (with the WebSocket at ``/ws``), on a loopback
    port behind the connection gate, with shops: ``owner`` (B01, with a published booth),
    ``other`` (B02),
    ``revoked`` (held B01 before it was revoked), ``admin``, ``visitor`` and ``nobody``.
    ``changes`` replace settings (e.g. ``trusted_proxies``)."""
    settings = replace(booth_settings(tmp_path), **changes)
    app = create_app(settings, booth_poll_s=0.2)
    server = GatedServer(app, settings.ws_transport)  # through the gate, as `srichan serve`
    client = TestClient(server, cookie_jar=DummyCookieJar())
    await client.start_server()
    try:
        site = BoothSite(client, app, f"http://127.0.0.1:{client.port}")
        store = site.store
        await store.grant_slot("B01", "gone-shop", "ร้านที่เลิกไปแล้ว", T0)
        revoked = await site.sign_in("gone-shop", "revoked-link-" + "r" * 32)
        await store.revoke_shop("gone-shop", T0)
        await store.grant_slot("B01", "auntie-daeng", "ร้านป้าแดง", T0)
        await store.grant_slot("B02", "uncle-som", "ร้านลุงสม", T0)
        now = time.time()
        live = promotion(coupons=3, valid_from=now - DAY, valid_to=now + DAY)
        await store.save_booth_draft("B01", "auntie-daeng", config(live), T0)
        await store.publish_booth("B01", "auntie-daeng", T0)
        await store.register_visitor("visitor-0001", VISITOR_SECRET, T0)
        await store.transfer(
            Transfer("gift-1", CITY_POOL, visitor_account("visitor-0001"), 500, "gift", T0)
        )
        site.actors = {
            "nobody": Actor("nobody"),
            "visitor": Actor(
                "visitor",
                cookie=VISITOR_SECRET,
                bearer=VISITOR_SECRET,
                csrf=csrf_token(VISITOR_SECRET),
            ),
            "owner": await site.sign_in("auntie-daeng", "owner-link-" + "o" * 32),
            "other": await site.sign_in("uncle-som", "other-link-" + "u" * 32),
            "revoked": revoked,
            "admin": Actor("admin", bearer=ADMIN_TOKEN),
        }
        await site.service.refresh()
        yield site
    finally:
        await client.close()
