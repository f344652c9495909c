"""Open Badges over HTTP: the public documents, each credential's files and its page.

Who may see what:

* public, about no one: the issuer profile ``/badges/issuer.json``, the keys
  ``/.well-known/jwks.json`` (and each key at its ``kid``), the achievements and their images
  ``/badges/achievements/<id>.json|.svg``, the revocation list ``/badges/status/revocation``;
* whoever holds a credential's id: the credential ``/badges/credentials/<id>.jwt``, the badge
  image with it baked in ``…/<id>.svg``, and its verification page ``/badges/verify/<id>``.
  The id is 122 random bits: it reaches others only when the visitor shares it (the list of
  a visitor's ids goes only to their own sessions, see ``badges_get``). An unknown id and a
  malformed one get the same 404. A credential names no one: its subject is a random id.

Credential files and pages are sent ``Cache-Control: no-store``, ``Referrer-Policy:
no-referrer`` (the id must not leak to other sites) and ``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from server.keys import BADGES
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.badges.achievements import ACHIEVEMENT_ID, both
from srichan_world.world.badges.baking import badge_svg, bake
from srichan_world.world.badges.credential import CITY, CREDENTIAL_ID, OB_CONTEXT, VC_CONTEXT
from srichan_world.world.badges.records import IssuedBadge
from srichan_world.world.badges.verify import Verdict, check

BANGKOK = ZoneInfo("Asia/Bangkok")
PUBLIC = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
}
IMAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/badges/issuer.json", issuer_profile)
    app.router.add_get("/.well-known/jwks.json", jwks)
    app.router.add_get("/badges/keys/{thumbprint}", key)
    app.router.add_get("/badges/achievements/{name}", achievement)
    app.router.add_get("/badges/status/revocation", status_list)
    app.router.add_get("/badges/credentials/{name}", credential_file)
    app.router.add_get("/badges/verify/{credential_id}", verify_page)


def _json(body: Any, content_type: str = "application/json", **headers: str) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False, indent=1),
        content_type=content_type,
        headers={**PUBLIC, **headers},
    )


def not_found(what: str) -> web.Response:
    body = {
        "error": ErrorCode.UNKNOWN_BADGE.name.lower(),
        "code": int(ErrorCode.UNKNOWN_BADGE),
        "th": "ไม่พบเหรียญตรานี้",
        "en": f"no such {what}",
    }
    return web.json_response(body, status=404, headers=PRIVATE, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def issuer_profile(request: web.Request) -> web.Response:
    return _json(request.app[BADGES].issuer.profile(), "application/ld+json")


async def jwks(request: web.Request) -> web.Response:
    body = await request.app[BADGES].jwks()
    return _json(body, "application/jwk-set+json", **{"Cache-Control": "public, max-age=60"})


async def key(request: web.Request) -> web.Response:
    badges = request.app[BADGES]
    kid = badges.issuer.key_url(request.match_info["thumbprint"])
    found = [k for k in (await badges.jwks())["keys"] if k["kid"] == kid]
    return _json(found[0], "application/jwk+json") if found else not_found("key")


async def achievement(request: web.Request) -> web.Response:
    badges = request.app[BADGES]
    stem, _, ext = request.match_info["name"].rpartition(".")
    found = badges.achievements.get(stem) if ACHIEVEMENT_ID.match(stem) else None
    if found is None or ext not in ("json", "svg"):
        return not_found("achievement")
    if ext == "svg":
        return web.Response(
            text=badge_svg(found),
            content_type="image/svg+xml",
            headers={**PUBLIC, "Content-Security-Policy": IMAGE_POLICY},
        )
    document = {"@context": [VC_CONTEXT, OB_CONTEXT], **badges.issuer.achievement(found)}
    return _json(document, "application/ld+json")


async def status_list(request: web.Request) -> web.Response:
    token = await request.app[BADGES].status_token(time.time())
    return web.Response(
        text=token,
        content_type="application/vc+jwt",
        headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"},
    )


async def _held(request: web.Request, credential_id: str) -> IssuedBadge | None:
    if not CREDENTIAL_ID.match(credential_id):
        return None
    return await request.app[BADGES].store.badge(credential_id)


async def credential_file(request: web.Request) -> web.Response:
    stem, _, ext = request.match_info["name"].rpartition(".")
    badge = await _held(request, stem)
    if badge is None or ext not in ("jwt", "svg"):
        return not_found("credential")
    badges = request.app[BADGES]
    name = f"srichan-badge-{badge.achievement_id}"
    if ext == "jwt":
        return web.Response(
            text=badge.token,
            content_type="application/vc+jwt",
            headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{name}.jwt"'},
        )
    found = badges.achievements.get(badge.achievement_id)
    if found is None:
        return not_found("badge image")
    return web.Response(
        text=bake(badge_svg(found), badge.token),
        content_type="image/svg+xml",
        headers={
            **PRIVATE,
            "Content-Security-Policy": IMAGE_POLICY,
            "Content-Disposition": f'attachment; filename="{name}.svg"',
        },
    )


async def verify_page(request: web.Request) -> web.Response:
    """The badge as anyone it was shared with sees it, checked here against our own keys
    and revocation list (Thai first, English second)."""
    badges = request.app[BADGES]
    credential_id = request.match_info["credential_id"]
    badge = await _held(request, credential_id)
    if badge is None:
        body = _page(
            "ไม่รู้จักเหรียญตรานี้",
            "Unknown badge",
            "unknown",
            "<p>ไม่พบเหรียญตรานี้ในทะเบียนของเมือง</p>"
            "<p lang='en'>The city has no record of this badge.</p>",
        )
        return web.Response(
            text=body,
            status=404,
            content_type="text/html",
            headers={**PRIVATE, "Content-Security-Policy": PAGE_POLICY},
        )
    now = time.time()
    result = check(
        badge.token,
        await badges.jwks(),
        now,
        issuer_id=badges.issuer.id,
        status_token=await badges.status_token(now),
    )
    found = badges.achievements.get(badge.achievement_id)
    name = escape(both(found.name)) if found else escape(badge.achievement_id)
    issued = datetime.fromtimestamp(badge.issued_at, BANGKOK).strftime("%Y-%m-%d %H:%M")
    th, en = _VERDICT.get(result.verdict, _VERDICT[Verdict.INVALID])
    image = f"/badges/achievements/{badge.achievement_id}.svg"
    details = (
        f"<img src='{image}' alt='' width='160' height='160'>"
        f"<h2>{name}</h2>"
        f"<p>ออกให้เมื่อ {issued} (เวลาไทย) โดย {escape(CITY.th)}</p>"
        f"<p lang='en'>Issued {issued} (Bangkok time) by Khon Kaen Municipality.</p>"
        f"<p><a href='/badges/credentials/{credential_id}.jwt'>ดาวน์โหลดเอกสารรับรอง · "
        "Download the credential (JWS)</a></p>"
        f"<p><a href='/badges/credentials/{credential_id}.svg'>ดาวน์โหลดภาพเหรียญ · "
        "Download the badge image</a></p>"
    )
    body = _page(th, en, result.verdict.value, details)
    return web.Response(
        text=body,
        content_type="text/html",
        headers={**PRIVATE, "Content-Security-Policy": PAGE_POLICY},
    )


_VERDICT = {
    Verdict.VALID: ("✓ เหรียญตรานี้ถูกต้อง", "Valid: this badge was issued by the city"),
    Verdict.REVOKED: ("✗ เหรียญตรานี้ถูกเพิกถอนแล้ว", "Revoked: the city withdrew this badge"),
    Verdict.EXPIRED: ("✗ เหรียญตรานี้หมดอายุแล้ว", "Expired"),
    Verdict.NOT_YET_VALID: ("✗ เหรียญตรานี้ยังไม่มีผล", "Not yet valid"),
    Verdict.INVALID: ("✗ ตรวจสอบเหรียญตรานี้ไม่ผ่าน", "Invalid: the badge does not verify"),
}


def _page(th: str, en: str, state: str, details: str) -> str:
    colour = {"valid": "#1b6e2e", "revoked": "#a01010"}.get(state, "#5a5a5a")
    return (
        "<!doctype html><html lang='th'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='robots' content='noindex'>"
        f"<title>{escape(th)} · {escape(en)}</title>"
        "<style>body{font:20px/1.6 system-ui,sans-serif;max-width:40rem;margin:1.5rem auto;"
        "padding:0 1rem;color:#222}h1{font-size:1.6rem}a{color:#0b4f9c}"
        f".verdict{{border-left:8px solid {colour};padding:.5rem 1rem;background:#f6f6f6}}"
        "</style></head><body><main>"
        "<p>ถนนศรีจันทร์เสมือน · Virtual Sri Chan Road</p>"
        f"<div class='verdict' data-state='{state}'><h1>{escape(th)}</h1>"
        f"<p lang='en'>{escape(en)}</p></div>{details}</main></body></html>"
    )
