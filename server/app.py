"""The aiohttp application: static scene and client files, health, metrics, the WebSocket.

No singletons: everything the handlers share lives under typed app keys, so tests can run
several apps in one process. The rules live in ``srichan_world``; this layer only moves bytes.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from server.config import Settings
from server.health import HEALTH, setup_health
from server.metrics import METRICS, Metrics
from server.scene_files import Asset, SceneFiles
from server.store import Store, open_store
from srichan_world.world.presence import PresenceSettings

SCENE = web.AppKey("scene", SceneFiles)
SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)

IMMUTABLE = "public, max-age=31536000, immutable"


def create_app(settings: Settings, scene: SceneFiles | None = None) -> web.Application:
    """Build the app; ``scene`` defaults to the compiled scene named by the settings."""
    app = web.Application()
    app[SETTINGS] = settings
    app[SCENE] = scene or SceneFiles.load(settings.scene_dir, settings.scene_name)
    app[METRICS] = Metrics()
    app.cleanup_ctx.append(_store_lifespan)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/scene/manifest.json", scene_manifest)
    app.router.add_get("/scene/{hash}.glb", scene_glb)
    _add_client_routes(app, settings)
    _add_services(app, settings)
    setup_health(app, store=lambda a: a[STORE])
    return app


def _add_services(app: web.Application, settings: Settings) -> None:
    """The WebSocket world and the services behind it; the store opens before any of them."""
    from server.booths import setup_booths
    from server.fanout import setup_fanout
    from server.learning_ws import setup_learning
    from server.redis_presence import setup_redis_presence
    from server.ws import setup_presence

    presence = PresenceSettings(
        tick_hz=settings.tick_hz,
        max_speed=settings.max_speed,
        resume_window_s=settings.resume_window_s,
    )
    setup_presence(app, app[SCENE].manifest, presence)
    setup_learning(app)
    setup_booths(app, store=lambda a: a[STORE])
    setup_fanout(app, settings.store)
    setup_redis_presence(app, settings.store, app[SCENE].content_hash)


async def _store_lifespan(app: web.Application) -> AsyncIterator[None]:
    """Open the store before serving; close (flush) it after every connection has ended."""
    app[STORE] = await open_store(app[SETTINGS].store)
    try:
        yield
    finally:
        await app[STORE].close()


def _add_client_routes(app: web.Application, settings: Settings) -> None:
    index = settings.web_root / "index.html"
    if index.is_file():

        async def page(_request: web.Request) -> web.FileResponse:
            return web.FileResponse(index, headers={"Cache-Control": "no-cache"})

        app.router.add_get("/", page)
        app.router.add_static("/static/", settings.web_root)
    for name, sub in (("three", "three"), ("msgpack", "@msgpack/msgpack/dist.esm")):
        folder = settings.node_modules / sub
        if folder.is_dir():
            app.router.add_static(f"/vendor/{name}/", folder)


def _send(request: web.Request, asset: Asset, cache_control: str) -> web.Response:
    headers = {"ETag": asset.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = asset.gzipped
    else:
        body = asset.body
    return web.Response(body=body, headers=headers, content_type=asset.content_type.split(";")[0])


async def scene_manifest(request: web.Request) -> web.Response:
    """Revalidated on every visit (no-cache), so a rebuilt street shows up at once."""
    return _send(request, request.app[SCENE].manifest_asset, "no-cache")


async def scene_glb(request: web.Request) -> web.Response:
    """Addressed by content hash, so it may be cached forever."""
    scene = request.app[SCENE]
    if request.match_info["hash"] != scene.content_hash:
        raise web.HTTPNotFound(text="no such scene version; fetch /scene/manifest.json")
    return _send(request, scene.glb_asset, IMMUTABLE)


async def healthz(request: web.Request) -> web.Response:
    """200 even when degraded (see server/health.py: presence still works without the store)."""
    body: dict[str, object] = {"status": "ok", "scene": request.app[SCENE].content_hash[:12]}
    body["pid"] = os.getpid()
    if HEALTH in request.app:
        body |= request.app[HEALTH].report()
    return web.json_response(body, headers={"Cache-Control": "no-store"})


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
