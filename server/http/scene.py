"""The compiled street and the browser client: ``/``, ``/static/``, ``/vendor/``, ``/scene/``
(the manifest, the GLB and its fallback, the lessons' images).

The manifest is revalidated on every visit (no-cache, ETag), so a rebuilt street shows up at
once; the GLB is addressed by its content hash and cached forever. ``<hash>.fallback.glb`` is
the same street without meshopt compression or GPU instancing, for a browser that cannot run
the decoder (no WebAssembly). Both go gzipped to browsers
that accept it (precompressed once at load, see server/scene_files.py).
"""

from __future__ import annotations

from aiohttp import web

from server.config import Settings
from server.keys import SCENE
from server.scene_files import Asset

IMMUTABLE = "public, max-age=31536000, immutable"


def add_routes(app: web.Application, settings: Settings) -> None:
    app.router.add_get("/scene/manifest.json", scene_manifest)
    # first: "{hash}.glb" would also match "<hash>.fallback.glb"
    app.router.add_get("/scene/{hash}.fallback.glb", scene_fallback_glb)
    app.router.add_get("/scene/{hash}.glb", scene_glb)
    app.router.add_get("/scene/images/{name}", scene_image)
    index = settings.web_root / "index.html"
    if index.is_file():

        async def page(_request: web.Request) -> web.FileResponse:
            return web.FileResponse(index, headers={"Cache-Control": "no-cache"})

        app.router.add_get("/", page)
        app.router.add_static("/static/", settings.web_root)
    vendored = (
        ("three", "three"),
        ("msgpack", "@msgpack/msgpack/dist.esm"),
        ("chartjs", "chart.js/dist"),
    )
    for name, sub in vendored:
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
    return _send(request, request.app[SCENE].manifest_asset, "no-cache")


async def scene_glb(request: web.Request) -> web.Response:
    return _send_glb(request, fallback=False)


async def scene_fallback_glb(request: web.Request) -> web.Response:
    """The street for a browser without WebAssembly (no meshopt decoder): plain buffers."""
    return _send_glb(request, fallback=True)


def _send_glb(request: web.Request, fallback: bool) -> web.Response:
    asset = request.app[SCENE].glb(request.match_info["hash"], fallback)
    if asset is None:
        raise web.HTTPNotFound(text="no such scene version; fetch /scene/manifest.json")
    return _send(request, asset, IMMUTABLE)


async def scene_image(request: web.Request) -> web.Response:
    """A lesson's image, by the content-made name the manifest gives (never a path)."""
    image = request.app[SCENE].image(request.match_info["name"])
    if image is None:
        raise web.HTTPNotFound(text="no such image; fetch /scene/manifest.json")
    headers = {"ETag": image.etag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if image.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=image.body, headers=headers, content_type=image.content_type)
