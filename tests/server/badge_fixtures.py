"""A street that issues badges under its real address, a learner who earns one, and the
independent checks: PyJWT (not the joserfc the server signs with) and 1EdTech's JSON Schema."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import jsonschema
import jwt
from aiohttp import web

from server.app import create_app
from server.config import Settings
from srichan_world.protocol.messages import BadgeEarned, QuizAnswer, QuizOpen, QuizResult
from tests.server.learning_fixtures import (
    ADMIN_TOKEN,
    MAX_SPEED,
    Q_MUSEUM_1,
    Street,
    Walker,
    compile_scene,
)
from tools import cli

SCHEMAS = Path(__file__).parent.parent / "data" / "openbadges"


def schema(name: str) -> jsonschema.protocols.Validator:
    document = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    checker = jsonschema.Draft201909Validator.FORMAT_CHECKER
    return jsonschema.Draft201909Validator(document, format_checker=checker)


CREDENTIAL_SCHEMA = schema("ob_v3p0_achievementcredential_schema.json")
PROFILE_SCHEMA = schema("ob_v3p0_profile_schema.json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def badge_street(tmp_path: Path, store: str | None = None) -> AsyncIterator[Street]:
    """The street on a loopback port it knows in advance, so its badges carry its address."""
    port = free_port()
    settings = Settings(
        port=port,
        scene_dir=compile_scene(tmp_path / "build"),
        store=store or f"sqlite:///{tmp_path}/street.db",
        max_speed=MAX_SPEED,
        public_url=f"http://127.0.0.1:{port}",
        admin_token=ADMIN_TOKEN,
    )
    app = create_app(settings, environ={}, watch_s=0.05)
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Street(app, f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


async def complete_walk(me: Walker) -> BadgeEarned:
    """Do the small scene's quest ``walk`` (through the gate, then the museum's first quiz)
    and return the badge its last answer earned."""
    await me.walk((20.0, 0.0), Q_MUSEUM_1)
    await me.ask(QuizOpen("q-museum-1"))
    done = await me.ask(QuizAnswer("q-museum-1", 0))
    assert isinstance(done, QuizResult) and done.correct
    return await me.client.next(BadgeEarned, where=lambda m: m.cid == done.cid)


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str, dict[str, str]]:
    async with http.get(url) as response:
        return response.status, await response.text(), dict(response.headers)


async def independent_check(http: aiohttp.ClientSession, base: str, token: str) -> dict[str, Any]:
    """Verify ``token`` with PyJWT against the JWKS the street serves; return the claims."""
    _status, body, _ = await get(http, f"{base}/.well-known/jwks.json")
    head = jwt.get_unverified_header(token)
    assert head == {"alg": "EdDSA", "kid": head["kid"], "typ": "JWT"}
    assert head["kid"].startswith(f"{base}/badges/keys/")
    keys = {k["kid"]: k for k in json.loads(body)["keys"]}
    assert all("d" not in k for k in keys.values()), "never a private key"
    public = jwt.PyJWK(keys[head["kid"]])
    claims: dict[str, Any] = jwt.decode(
        token,
        public.key,
        algorithms=["EdDSA"],
        issuer=f"{base}/badges/issuer.json",
        options={"require": ["iss", "jti", "nbf", "sub"]},
    )
    return claims


async def revoked_bit(http: aiohttp.ClientSession, base: str, claims: dict[str, Any]) -> bool:
    """The credential's bit in the street's status list, read with PyJWT and the stdlib."""
    entry = claims["credentialStatus"]
    _status, token, _ = await get(http, entry["statusListCredential"])
    listed = await independent_check(http, base, token.strip())
    encoded = listed["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded) % 4)))
    assert len(bits) * 8 >= 131_072
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


async def srichan(*argv: str) -> int:
    """``srichan …`` as a person runs it (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(cli.main, list(argv))
