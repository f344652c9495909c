"""`srichan badge …`: check a badge anyone gave you, revoke one, rotate the signing key.

    srichan badge verify badge.jwt                  # a file: the JWS, or a baked SVG
    srichan badge verify https://…/badges/verify/<id>   # or the credential's URL
    srichan badge revoke <credential id> --reason "issued by mistake"   # admin
    srichan badge rotate-key                        # a new signing key; old ones stay published

``verify`` trusts nothing the badge says about keys: it fetches the JWKS of the origin the
header's ``kid`` names (or ``--jwks``), requires the issuer and the revocation list to live on
that same origin (or the issuer to be ``--issuer``), then checks signature, claims, dates and
the revocation bit. Exit status: 0 valid; 1 could not check (unreadable file, network);
2 invalid (signature, issuer, claims); 3 revoked; 4 expired or not yet valid.

``revoke`` and ``rotate-key`` write to the store (``--store``, ``SRICHAN_STORE``) beside a
running server, which serves the change at once; each is noted in the audit log (``srichan
owner audit``). Exit status: 0 done, 1 refused (no such badge), 2 unusable input or store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from server.config import DEFAULT_STORE
from server.services.badges import rotate_key
from server.store import StoreError, open_store
from srichan_world.errors import Refused
from srichan_world.world.badges import jose
from srichan_world.world.badges.baking import unbake
from srichan_world.world.badges.credential import CREDENTIAL_ID, Issuer
from srichan_world.world.badges.verify import EXIT_CODES, Verdict, check, status_entry

FETCH_LIMIT = 1 << 20
"""Bytes read of any document fetched: a badge, keys or a status list is far smaller."""
FETCH_TIMEOUT_S = 10.0
_VERIFY_PAGE = re.compile(r"^/badges/verify/([0-9a-f]{32})$")
_SAYS = {
    Verdict.VALID: "ถูกต้อง · valid",
    Verdict.REVOKED: "ถูกเพิกถอน · revoked",
    Verdict.EXPIRED: "หมดอายุ · expired",
    Verdict.NOT_YET_VALID: "ยังไม่มีผล · not yet valid",
    Verdict.INVALID: "ไม่ถูกต้อง · invalid",
}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    badge = subparsers.add_parser("badge", help="Open Badges: verify, revoke, rotate the key")
    sub = badge.add_subparsers(dest="badge_command", required=True)

    verify = sub.add_parser("verify", help="check a badge: a .jwt or baked .svg file, or a URL")
    verify.add_argument("source", help="file path or http(s) URL of the credential")
    verify.add_argument("--jwks", help="the issuer's JWKS URL (default: from the kid's origin)")
    verify.add_argument("--issuer", help="require this issuer id (default: the keys' origin)")
    verify.set_defaults(func=cmd_verify)

    revoke = sub.add_parser("revoke", help="revoke a badge by its credential id (admin)")
    revoke.add_argument("credential_id", help="32 hex digits, or its urn:uuid")
    revoke.add_argument("--reason", default="", help="noted in the audit log")
    _store_option(revoke)
    revoke.set_defaults(func=cmd_revoke)

    rotate = sub.add_parser("rotate-key", help="sign new badges with a new key (admin)")
    _store_option(rotate)
    host = os.environ.get("SRICHAN_HOST", "127.0.0.1")
    port = os.environ.get("SRICHAN_PORT", "8080")
    rotate.add_argument(
        "--public-url",
        default=os.environ.get("SRICHAN_PUBLIC_URL", f"http://{host}:{port}"),
        help="the street's public origin, as the server has it [SRICHAN_PUBLIC_URL]",
    )
    rotate.set_defaults(func=cmd_rotate)


def _store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=os.environ.get("SRICHAN_STORE", DEFAULT_STORE),
        help="store URL [SRICHAN_STORE]",
    )


def _fail(message: str, status: int) -> int:
    print(f"srichan badge: {message}", file=sys.stderr)
    return status


# -- verify ---------------------------------------------------------------------------------


class CannotCheck(Exception):
    """The badge or a document it needs could not be read: exit 1."""


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_verify(args.source, args.jwks, args.issuer))
    except CannotCheck as exc:
        return _fail(f"ตรวจสอบไม่ได้ · cannot check: {exc}", 1)


async def _verify(source: str, jwks_url: str | None, issuer_id: str | None) -> int:
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        token = _token(await _read(http, source))
        try:
            kid = jose.header(token).get("kid")
        except jose.BadSignature as exc:
            return _report(Verdict.INVALID, str(exc), None)
        origin = _origin(kid) if isinstance(kid, str) else None
        if origin is None and jwks_url is None:
            return _report(Verdict.INVALID, "the header's kid is not an http(s) URL", None)
        keys_at = jwks_url or f"{origin}/.well-known/jwks.json"
        expected = issuer_id or f"{_origin(keys_at)}/badges/issuer.json"
        jwks = _json(await _fetch(http, keys_at), keys_at)
        try:
            claims = jose.verify(token, jwks)
        except jose.BadSignature as exc:
            return _report(Verdict.INVALID, str(exc), None)
        status_token = None
        entry = status_entry(claims)
        if entry is not None:
            if _origin(entry[0]) != _origin(expected):
                return _report(Verdict.INVALID, "the revocation list is on another site", claims)
            status_token = (await _fetch(http, entry[0])).decode("ascii", "replace").strip()
        result = check(token, jwks, time.time(), issuer_id=expected, status_token=status_token)
        return _report(result.verdict, result.reason, result.credential)


def _report(verdict: Verdict, reason: str, claims: dict[str, Any] | None) -> int:
    print(f"{_SAYS[verdict]}: {reason}")
    if claims:
        issuer = claims.get("issuer")
        print(f"  ผู้ออก · issuer: {issuer.get('id') if isinstance(issuer, dict) else issuer}")
        print(f"  เหรียญตรา · badge: {claims.get('name')}")
        print(f"  รหัส · id: {claims.get('id')}")
        print(f"  มีผลตั้งแต่ · valid from: {claims.get('validFrom')}")
    return EXIT_CODES[verdict]


async def _read(http: aiohttp.ClientSession, source: str) -> bytes:
    if urlsplit(source).scheme in ("http", "https"):
        page = _VERIFY_PAGE.match(urlsplit(source).path)
        if page:  # the shared page: check the credential it shows
            source = f"{_origin(source)}/badges/credentials/{page.group(1)}.jwt"
        return await _fetch(http, source)
    try:
        with Path(source).open("rb") as f:
            return f.read(FETCH_LIMIT)
    except OSError as exc:
        raise CannotCheck(f"{source}: {exc.strerror}") from None


def _token(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    if "<svg" in text[:2000]:
        baked = unbake(text)
        if baked is None:
            raise CannotCheck("the image has no baked credential")
        return baked
    return text


async def _fetch(http: aiohttp.ClientSession, url: str) -> bytes:
    try:
        async with http.get(url, allow_redirects=False) as response:
            if response.status != 200:
                raise CannotCheck(f"{url}: HTTP {response.status}")
            return await response.content.read(FETCH_LIMIT)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CannotCheck(f"{url}: {exc or type(exc).__name__}") from None


def _json(data: bytes, url: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise CannotCheck(f"{url} is not JSON") from None
    if not isinstance(value, dict):
        raise CannotCheck(f"{url} is not a JSON object")
    return value


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


# -- admin ----------------------------------------------------------------------------------


def cmd_revoke(args: argparse.Namespace) -> int:
    credential_id = args.credential_id.removeprefix("urn:uuid:").replace("-", "").lower()
    if not CREDENTIAL_ID.match(credential_id):
        return _fail(f"{args.credential_id!r} is not a credential id (32 hex digits)", 2)
    try:
        return asyncio.run(_revoke(args.store, credential_id, args.reason))
    except Refused as exc:
        return _fail(f"refused: {exc.refusal.detail}", 1)
    except (StoreError, ValueError) as exc:
        return _fail(str(exc), 2)


async def _revoke(url: str, credential_id: str, reason: str) -> int:
    store = await open_store(url)
    try:
        now = time.time()
        badge = await store.revoke_badge(credential_id, now)
        detail = f"{credential_id} {badge.achievement_id} {reason}".strip()
        await store.note_action("admin", "badge_revoke", None, detail, now)
    finally:
        await store.close()
    print(f"เพิกถอนแล้ว · revoked {credential_id} ({badge.achievement_id})")
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    try:
        issuer = Issuer(args.public_url.rstrip("/"))
        return asyncio.run(_rotate(args.store, issuer))
    except (StoreError, ValueError) as exc:
        return _fail(str(exc), 2)


async def _rotate(url: str, issuer: Issuer) -> int:
    store = await open_store(url)
    try:
        now = time.time()
        key = await rotate_key(store, issuer, now)
        await store.note_action("admin", "badge_rotate_key", None, key.kid, now)
        count = len(await store.signing_keys())
    finally:
        await store.close()
    print(f"กุญแจใหม่ · new signing key {key.kid} ({count} published)")
    return 0
