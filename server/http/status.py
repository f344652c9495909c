"""``/healthz``, ``/metrics``, and the HTTP side of degraded mode (see server/health.py).

``/healthz`` answers 200 even when degraded: presence still works without the store, and every
process shares the same Redis, so a balancer that took "unhealthy" processes out would take the
whole street down. Alert on ``degraded`` (or the ``srichan_store_up`` gauge) instead.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from server.health import RETRY_AFTER_S, UNAVAILABLE_EN, UNAVAILABLE_TH
from server.keys import HEALTH, METRICS, SCENE
from server.store import StoreError
from srichan_world.protocol.codes import ErrorCode


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)


async def healthz(request: web.Request) -> web.Response:
    body: dict[str, object] = {"status": "ok", "scene": request.app[SCENE].content_hash[:12]}
    body["pid"] = os.getpid()
    if HEALTH in request.app:
        body |= request.app[HEALTH].report()
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def store_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """An HTTP request that hit an unreachable store: 503, retry later (owner pages' shape)."""
    try:
        return await handler(request)
    except StoreError as exc:
        health = request.app.get(HEALTH)
        if health is not None:
            health.suspect(exc)
        body = {
            "error": ErrorCode.STORE_UNAVAILABLE.name.lower(),
            "code": int(ErrorCode.STORE_UNAVAILABLE),
            "th": UNAVAILABLE_TH,
            "en": UNAVAILABLE_EN,
        }
        return web.json_response(
            body,
            status=503,
            headers={"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"},
            dumps=lambda value: json.dumps(value, ensure_ascii=False),
        )
