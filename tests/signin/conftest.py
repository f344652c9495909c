"""A real OpenID Connect provider (``oidc-provider`` from npm, run by node) and a street that
signs in with it, both on 127.0.0.1; and a client that goes through the provider's own login
and consent forms like a browser, recording every redirect (attack tests replay them)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.config import Settings
from server.keys import STORE
from tests.server.conftest import write_compiled_scene

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "srichan-test"
CLIENT_SECRET = "provider-test-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class OidcProvider:
    issuer: str
    process: asyncio.subprocess.Process


async def start_provider(port: int, redirect_uris: list[str]) -> OidcProvider:
    if shutil.which("node") is None or not (ROOT / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "node or the oidc-provider package is missing: run bash tools/setup.sh (npm ci)"
        )
    options = {
        "port": port,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": redirect_uris,
    }
    process = await asyncio.create_subprocess_exec(
        "node",
        str(SCRIPT),
        json.dumps(options),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    assert line.startswith("ready "), line
    return OidcProvider(line.split()[1], process)


async def stop_provider(provider: OidcProvider) -> None:
    if provider.process.returncode is None:
        provider.process.terminate()
        await provider.process.wait()


def write_signin_config(folder: Path, issuer: str) -> Path:
    (folder / "signin.key").write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    config = folder / "signin.toml"
    config.write_text(
        'key_file = "signin.key"\n\n[[provider]]\nid = "line"\nname_th = "LINE"\n'
        f'name_en = "LINE"\nissuer = "{issuer}"\nclient_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n',
        encoding="utf-8",
    )
    return config


@dataclass
class Street:
    """The street (``site``, for its store) and the provider it signs in with."""

    site: TestClient
    provider: OidcProvider

    @property
    def origin(self) -> str:
        return str(self.site.make_url("/"))[:-1]

    async def visitor(self) -> tuple[str, str]:
        visitor_id, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(32)
        await self.site.app[STORE].register_visitor(visitor_id, secret, 0.0)
        return visitor_id, secret


@pytest.fixture
async def street(tmp_path: Path) -> AsyncIterator[Street]:
    provider_port = free_port()
    folder = tmp_path / "build"
    write_compiled_scene(folder)
    config = write_signin_config(tmp_path, f"http://127.0.0.1:{provider_port}")
    settings = Settings(
        port=0, scene_dir=folder, store=f"sqlite:///{tmp_path}/a.db", signin_config=config
    )
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as site:
        callback = str(site.make_url("/api/signin/callback"))
        provider = await start_provider(provider_port, [callback])
        try:
            yield Street(site, provider)
        finally:
            await stop_provider(provider)


@dataclass
class Browser:
    """A browser-like client: its own cookies, redirects followed by hand and recorded."""

    origin: str
    http: aiohttp.ClientSession
    visited: list[str] = field(default_factory=list)

    async def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Origin": self.origin}
        async with self.http.post(self.origin + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    stop_at: str | None = None
    """Stop following before a URL containing this (an intercepted callback)."""

    async def follow(self, url: str, method: str = "GET", form: Any = None) -> tuple[str, str]:
        """Follow redirects from ``url``; the last URL and its body."""
        for _ in range(20):
            if self.stop_at is not None and self.stop_at in url:
                return url, ""
            self.visited.append(url)
            async with self.http.request(method, url, data=form, allow_redirects=False) as response:
                body = await response.text()
                location = response.headers.get("Location")
            if location is None:
                return url, body
            url, method, form = urljoin(url, location), "GET", None
        raise AssertionError("too many redirects")

    async def provider_login(self, url: str, account: str) -> tuple[str, str]:
        """Through the provider's login form (as ``account``) and consent, back to us."""
        url, page = await self.follow(url)
        for _ in range(3):
            action = re.search(r'<form[^>]*action="([^"]+)"', page)
            if action is None or "/interaction/" not in url:
                return url, page
            prompt = re.search(r'name="prompt" value="(\w+)"', page)
            form = {"prompt": prompt.group(1) if prompt else "login"}
            if form["prompt"] == "login":
                form |= {"login": account, "password": "any"}
            url, page = await self.follow(urljoin(url, action.group(1)), "POST", form)
        return url, page

    async def sign_in(self, identity: tuple[str, str] | None, account: str) -> tuple[str, int, Any]:
        """Start, log in at the provider, come back; the landing URL and the result."""
        body: dict[str, Any] = {"provider": "line"}
        if identity is not None:
            body |= {"visitor_id": identity[0], "visitor_secret": identity[1]}
        status, started = await self.post("/api/signin/start", body)
        assert status == 200, started
        landed, _page = await self.provider_login(started["url"], account)
        status, result = await self.post("/api/signin/result")
        return landed, status, result

    def callback_url(self) -> str:
        return next(u for u in self.visited if "/api/signin/callback" in u)


@pytest.fixture
async def browsers(street: Street) -> AsyncIterator[list[Browser]]:
    """Two browsers (two devices) with their own cookie jars."""
    sessions = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in "ab"]
    try:
        yield [Browser(street.origin, s) for s in sessions]
    finally:
        for s in sessions:
            await s.close()
