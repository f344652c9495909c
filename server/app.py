"""The one place the server is put together: settings → store → bus → services → routes.

Every other module gets what it uses through its constructor or a method argument; nothing
imports this module (a test checks the import graph), and no module reaches into another's
objects to hook itself in. Reading :func:`create_app` and :func:`_running` top to bottom is
reading the server's architecture (docs/architecture.md draws it):

* at build time (synchronous, may raise ``ConfigError``): the scene, the presence world and
  its pump, the booth and learning services (not yet on a store), and every route;
* at startup (:func:`_running`, in order): open the store → watch its health → join the bus
  (in-process, or Redis pub/sub with a Redis store) → start the services on the store → share
  presence with other processes (Redis only) → give the pump its request handlers → tick;
* at shutdown: the same in reverse (aiohttp first closes every WebSocket with GOING_AWAY).

No singletons: everything lives under the typed keys of ``server/keys.py``, so tests run
several apps in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping, Sequence

from aiohttp import web
from prometheus_client import Gauge

from server.bus.booth_notices import BoothNotices
from server.bus.local import LocalBus
from server.bus.presence_relay import PresenceRelay
from server.bus.redis import RedisBus
from server.config import ConfigError, Settings
from server.health import StoreHealth
from server.http import owner, scene, status, xapi
from server.integrations.lrs import LrsConfig
from server.keys import BOOTHS, BUS, HEALTH, LEARNING, METRICS, PUMP, SCENE, SETTINGS, STORE
from server.metrics import Metrics
from server.redis_client import is_redis_url, open_client, pubsub_url
from server.scene_files import SceneFiles
from server.services.booths import POLL_S, BoothService
from server.store import open_store
from server.ws.booths import BoothFanout
from server.ws.guard import RequestGuard
from server.ws.learning import WATCH_S, LearningSocket
from server.ws.pump import Handler, LeaveHook, Pump
from srichan_world.protocol.codes import MsgType
from srichan_world.world.learning import LearningContent
from srichan_world.world.presence import PresenceSettings, PresenceWorld

RELAY_TIMEOUT_S = 2.0


def create_app(
    settings: Settings,
    scene_files: SceneFiles | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    booth_poll_s: float = POLL_S,
    watch_s: float = WATCH_S,
) -> web.Application:
    """The whole street; ``scene_files`` default to the compiled scene the settings name.

    ``ConfigError`` for a compiled scene without learning content or a bad
    ``SRICHAN_LRS_URL``/``SRICHAN_LRS_AUTH`` in ``environ``.
    """
    files = scene_files or SceneFiles.load(settings.scene_dir, settings.scene_name)
    try:
        content = LearningContent.from_compiled(files.manifest, files.answers)
    except ValueError as exc:
        raise ConfigError([f"scene: {exc}"]) from None
    metrics = Metrics()
    pump = _pump(files.manifest, _presence_settings(settings), metrics)
    learning = LearningSocket(content, pump, LrsConfig.from_env(environ), watch_s=watch_s)
    learning.register_metrics(metrics.registry)

    app = web.Application(middlewares=[status.store_errors])
    app[SETTINGS] = settings
    app[SCENE] = files
    app[METRICS] = metrics
    app[PUMP] = pump
    app[BOOTHS] = BoothService(files.manifest)
    app[LEARNING] = learning
    status.add_routes(app)
    scene.add_routes(app, settings)
    app.router.add_get("/ws", pump.handle)
    owner.add_routes(app)
    xapi.add_routes(app)
    app.cleanup_ctx.append(lambda app: _running(app, booth_poll_s))
    app.on_shutdown.append(pump.shutdown)
    return app


def create_presence_app(
    manifest: Mapping[str, object],
    settings: PresenceSettings,
    *,
    handlers: Mapping[MsgType, Handler] | None = None,
    on_leave: Sequence[LeaveHook] = (),
) -> web.Application:
    """Presence alone (``/ws`` and ``/metrics``, no store): for the presence benchmark and for
    tests that bring their own request handlers."""
    metrics = Metrics()
    pump = _pump(manifest, settings, metrics)
    pump.serve(handlers or {}, on_leave)
    app = web.Application()
    app[METRICS] = metrics
    app[PUMP] = pump
    app.router.add_get("/ws", pump.handle)

    async def ticking(_app: web.Application) -> AsyncIterator[None]:
        await pump.start()
        yield
        await pump.stop()

    app.cleanup_ctx.append(ticking)
    app.on_shutdown.append(pump.shutdown)
    return app


def _presence_settings(settings: Settings) -> PresenceSettings:
    return PresenceSettings(
        tick_hz=settings.tick_hz,
        max_speed=settings.max_speed,
        resume_window_s=settings.resume_window_s,
    )


def _pump(manifest: Mapping[str, object], settings: PresenceSettings, metrics: Metrics) -> Pump:
    return Pump(PresenceWorld(dict(manifest), settings), settings, metrics)


async def _running(app: web.Application, booth_poll_s: float) -> AsyncIterator[None]:
    """Start everything that needs the store, in order; stop it in reverse."""
    settings, pump, booths, learning = app[SETTINGS], app[PUMP], app[BOOTHS], app[LEARNING]
    async with contextlib.AsyncExitStack() as stack:
        store = app[STORE] = await open_store(settings.store)
        stack.push_async_callback(store.close)

        health = app[HEALTH] = StoreHealth(store.booth_versions)
        up = Gauge(
            "srichan_store_up",
            "1 while the durable store answers, 0 in degraded mode",
            registry=app[METRICS].registry,
        )
        up.set(1)
        health.on_change.append(lambda ok: up.set(1 if ok else 0))

        redis = is_redis_url(settings.store)
        bus = app[BUS] = RedisBus(pubsub_url(settings.store)) if redis else LocalBus()
        await bus.start()
        stack.push_async_callback(bus.close)
        bus.on_disconnect.append(health.suspect)

        await booths.start(store)
        fanout = BoothFanout(booths, pump)
        booths.subscribe(fanout.on_update)
        await BoothNotices(booths, bus).start()
        await learning.start(store)
        stack.push_async_callback(learning.close)

        relay = None
        if isinstance(bus, RedisBus):
            client = open_client(pubsub_url(settings.store), timeout_s=RELAY_TIMEOUT_S)
            stack.push_async_callback(client.aclose)
            relay = PresenceRelay(
                pump, bus, client, app[SCENE].content_hash, settings.resume_window_s
            )
            await relay.start()
            stack.push_async_callback(relay.close)

        guard = RequestGuard(health, {**learning.handlers(), MsgType.REDEEM: fanout.redeem})
        health.on_recovered.append(guard.retry_pending)
        pump.serve(guard.handlers, (learning.on_leave, fanout.forget, guard.forget), relay)
        await pump.start()
        stack.push_async_callback(pump.stop)

        for loop in (
            health.run_forever(),
            booths.poll_forever(booth_poll_s),
            fanout.sweep_forever(),
        ):
            stack.push_async_callback(_cancel, asyncio.create_task(loop))
        yield


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
