"""The booth site with the city's operators signed in to the console: an admin, a moderator,
an analyst and a revoked moderator, each with the headers their browser would send."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.keys import STORE
from server.store import Store
from srichan_world.world.owners import LINK_TTL_S, csrf_token, link_hash
from tests.server.booth_fixtures import BoothSite, booth_site


@dataclass
class Operator:
    """An operator's browser: the console cookie and CSRF token."""

    name: str
    cookie: str | None = None
    csrf: str | None = None

    def headers(self, origin: str) -> dict[str, str]:
        out = {"Origin": origin}
        if self.cookie is not None:
            out["Cookie"] = f"srichan_operator={self.cookie}"
        if self.csrf is not None:
            out["X-CSRF-Token"] = self.csrf
        return out


async def sign_in(site: BoothSite, operator_id: str, role: str) -> Operator:
    """Add the operator, issue a link and open it as the console page would."""
    store: Store = site.app[STORE]
    await store.add_operator(operator_id, f"คุณ{operator_id}", role, time.time())
    token = f"{operator_id}-link-" + "k" * 32
    await store.issue_operator_link(operator_id, link_hash(token), time.time() + LINK_TTL_S, 0)
    async with site.client.post(
        "/api/admin/login", json={"token": token}, headers={"Origin": site.origin}
    ) as response:
        assert response.status == 200, await response.text()
        secret = response.cookies["srichan_operator"].value
        body = await response.json()
    assert body["csrf"] == csrf_token(secret) and body["role"] == role
    return Operator(operator_id, secret, body["csrf"])


async def call(
    site: BoothSite, method: str, path: str, who: Any, body: Any = None, **headers: str
) -> tuple[int, Any]:
    """A request as ``who`` (an :class:`Operator` or a booth-site actor) would send it."""
    sent = who.headers(site.origin) | headers
    async with site.client.request(method, path, json=body, headers=sent) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.read()


@asynccontextmanager
async def console_site(tmp_path: Path, **changes: Any) -> AsyncIterator[BoothSite]:
    """The booth site, plus operators in ``site.actors``: ``admin-op``, ``moderator``,
    ``analyst`` and ``revoked-op`` (a moderator revoked after signing in)."""
    async with booth_site(tmp_path, **changes) as site:
        site.actors["admin-op"] = await sign_in(site, "admin-op", "admin")  # type: ignore[assignment]
        site.actors["moderator"] = await sign_in(site, "moder", "moderator")  # type: ignore[assignment]
        site.actors["analyst"] = await sign_in(site, "analyst", "analyst")  # type: ignore[assignment]
        revoked = await sign_in(site, "gone-op", "moderator")
        await site.app[STORE].revoke_operator("gone-op", time.time())
        site.actors["revoked-op"] = revoked  # type: ignore[assignment]
        yield site
