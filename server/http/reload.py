"""Live reload over HTTP, for the operator and the author: ``/admin/api/scene/…``.

| method | path | who |
|---|---|---|
| GET | ``/admin/api/scene/status`` | admin: the street served and the last reload (problems) |
| POST | ``/admin/api/scene/reload`` | admin: rebuild now (``--watch``'s file, else ``scene_dir``) |

Both take the admin bearer token (:func:`server.http.owner.admin_only`): a reload costs a
build, and the problems name files on the server. The reload answers when it is done: 200
with the status when the street is served (switched, or already the same), 422 with every
problem when the build was refused (visitors keep the street they have).
"""

from __future__ import annotations

from aiohttp import web

from server.http.owner import admin_only
from server.keys import RELOADER


def add_routes(app: web.Application) -> None:
    app.router.add_get("/admin/api/scene/status", scene_status)
    app.router.add_post("/admin/api/scene/reload", scene_reload)


@admin_only
async def scene_status(request: web.Request) -> web.Response:
    status = request.app[RELOADER].status
    return web.json_response(status.to_json(), headers={"Cache-Control": "no-store"})


@admin_only
async def scene_reload(request: web.Request) -> web.Response:
    status = await request.app[RELOADER].reload("operator")
    code = 200 if status.state == "ok" else 422
    return web.json_response(status.to_json(), status=code, headers={"Cache-Control": "no-store"})
