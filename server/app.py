"""The one place the server is put together: settings → store → bus → services → routes.

Every other module gets what it uses through its constructor or a method argument; nothing
imports this module (a test checks the import graph), and no module reaches into another's
objects to hook itself in. Reading :func:`create_app` and :func:`_running` top to bottom is
reading the server's architecture (docs/architecture.md draws it):

* at build time (synchronous, may raise ``ConfigError``): the scene; the street (the pure
  entry point for every WebSocket message: presence, learning, booths, moderation) and its
  pump; admission control (per-address limits and banned prefixes, asked once per WebSocket
  handshake in front of the pump;
  server/runner.py asks it for unfinished connections); the booth service for owners (not yet
  on a store); every route;
* at startup (:func:`_running`, in order): open the store → watch its health → join the bus
  (in-process, or Redis pub/sub with a Redis store) → start the booth service on the store →
  start the badge issuer on the store (its first signing key) →
  hold the moderators' sanctions and word list, and hear new ones →
  share presence with other processes (Redis only) → give the pump the store steps → live
  reload (server/reload.py: ``--watch``, the operator's reload, other processes' builds) →
  watch and tick;
* at shutdown: the same in reverse (aiohttp first closes every WebSocket with GOING_AWAY).

No singletons: everything lives under the typed keys of ``server/keys.py``, so tests run
several apps in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from functools import partial

from aiohttp import web
from prometheus_client import Gauge

from server.bus.booth_notices import BoothNotices
from server.bus.cluster import ClusterBus
from server.bus.local import LocalBus
from server.bus.moderation import ModerationRelay
from server.bus.presence_relay import PresenceRelay
from server.bus.redis import RedisBus
from server.bus.scene_notices import SceneNotices
from server.config import ConfigError, Settings
from server.health import StoreHealth
from server.http import (
    account,
    console,
    console_dialogue,
    console_privacy,
    figures,
    owner,
    reload,
    scene,
    status,
    xapi,
)
from server.http import badges as badge_routes
from server.http import events as events_http
from server.http import signin as signin_routes
from server.integrations.lrs import LrsConfig
from server.keys import (
    ADMISSION,
    BADGES,
    BOOTHS,
    BURSTS,
    BUS,
    EVENTS,
    HEALTH,
    IDENTITIES,
    LEARNING,
    METRICS,
    MODERATION,
    NOW,
    PRIVACY,
    PUMP,
    RELOADER,
    SCENE,
    SETTINGS,
    SIGNIN,
    STORE,
    WEBSOCKET,
)
from server.metrics import Metrics
from server.now_board import NowBoard
from server.redis_client import is_cluster, is_redis_url, open_client, pubsub_url
from server.reload import SceneReloader
from server.scene_files import LiveScene, SceneFiles
from server.services.badges import BadgeIssuer
from server.services.booths import POLL_S, BoothService
from server.services.events import EventService
from server.services.privacy import Privacy
from server.services.signin import SignInService
from server.store import open_store
from server.tasks import cancel
from server.ws.admission import SocketAdmission
from server.ws.aio import AiohttpDoor
from server.ws.booths import BoothFanout
from server.ws.buffers import SocketLimits
from server.ws.fast import PicowsDoor
from server.ws.learning import WATCH_S, LearningLoop
from server.ws.pump import LeaveHook, Pump
from server.ws.steps import StoreSteps
from srichan_world.scene.manifest import Manifest
from srichan_world.street.badges import BadgeDesk
from srichan_world.street.booths import BoothCounter
from srichan_world.street.courses import CourseDesk
from srichan_world.street.dialogue import DialogueDesk
from srichan_world.street.inclusion import InclusionDesk
from srichan_world.street.learning import LearningDesk
from srichan_world.street.moderation import ModerationDesk
from srichan_world.street.pending import PendingDesk
from srichan_world.street.street import Street
from srichan_world.world.admission import Admission, NewIdentities
from srichan_world.world.badges.achievements import achievements_of
from srichan_world.world.badges.credential import Issuer
from srichan_world.world.bursts import RedemptionBursts
from srichan_world.world.courses import CourseBook
from srichan_world.world.dialogue import MUNICIPALITY
from srichan_world.world.learning import LearningContent
from srichan_world.world.moderation import Guard
from srichan_world.world.pending import PendingRule
from srichan_world.world.presence import PresenceSettings, PresenceWorld
from srichan_world.world.quests import QuestBook
from srichan_world.world.signals import Signals, process_signals
from srichan_world.world.work import WorkGate

RELAY_TIMEOUT_S = 2.0


def create_app(
    settings: Settings,
    scene_files: SceneFiles | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    booth_poll_s: float = POLL_S,
    watch_s: float = WATCH_S,
    wall: Callable[[], float] = time.time,
) -> web.Application:
    """The whole street; ``scene_files`` default to the compiled scene the settings name.

    ``ConfigError`` for a compiled scene without learning content or a bad
    ``SRICHAN_LRS_URL``/``SRICHAN_LRS_AUTH`` in ``environ``. ``wall`` is the clock requests
    are decided at (tests pass their own, e.g. to be inside an event's window).
    """
    files = scene_files or SceneFiles.load(settings.scene_dir, settings.scene_name)
    try:
        content = LearningContent.from_compiled(files.manifest, files.answers)
    except ValueError as exc:
        raise ConfigError([f"scene: {exc}"]) from None
    lrs = LrsConfig.from_env(environ)
    metrics = Metrics()
    identities = _new_identities(settings, metrics)
    presence = _presence_settings(settings)
    booths = BoothService(files.manifest)
    slots = {slot: place.position for slot, place in booths.slots.items()}
    guard = Guard()
    world = PresenceWorld(files.manifest, presence, guard=guard)
    moderation = ModerationDesk(world, guard, slots)
    achievements = achievements_of(content.quests, content.courses, content.events)
    badges = BadgeIssuer(Issuer(settings.badge_base_url()), achievements)
    badge_desk = BadgeDesk(achievements, QuestBook(content.quests))
    course_desk = CourseDesk(CourseBook(content.courses), badge_desk)
    street = Street(
        world,
        LearningDesk(
            content,
            badges=badge_desk,
            courses=course_desk,
            work=_work_gate(settings),
            identities=identities,
        ),
        BoothCounter(slots),
        moderation=moderation,
        dialogue=_dialogue_desk(content, guard),
        inclusion=InclusionDesk(),
        pending=PendingDesk(PendingRule(settings.unlock_quizzes, settings.unlock_minutes)),
    )
    limits = SocketLimits.cutting_within(settings.slow_client_s)
    pump = Pump(street, presence, metrics, limits, wall=wall)
    admission = Admission(settings.admission_limits())
    door = SocketAdmission(
        admission,
        settings.trusted_proxies,
        metrics,
        banned=guard.sanctions.address_banned,
        still_held=world.is_held,
    )

    app = web.Application(middlewares=[status.store_errors])
    app[SETTINGS] = settings
    app[SCENE] = LiveScene(files)
    app[METRICS] = metrics
    app[PUMP] = pump
    app[ADMISSION] = admission
    app[BOOTHS] = booths
    app[IDENTITIES] = identities
    app[BURSTS] = RedemptionBursts(booths.slots)
    app[BADGES] = badges
    app[LEARNING] = LearningLoop(pump, metrics.registry, lrs, watch_s=watch_s)
    app[SIGNIN] = (
        SignInService.none()
        if settings.signin_config is None
        else SignInService.load(settings.signin_config, environ)
    )
    app[EVENTS] = EventService(
        files.manifest, lambda overrides: pump.apply(street.events_changed(overrides))
    )
    status.add_routes(app)
    scene.add_routes(app, settings)
    app.router.add_get("/ws", door.wrap(AiohttpDoor(pump).handle))
    if settings.ws_transport == "picows":  # the gate sends /ws there (server/runner.py)
        app[WEBSOCKET] = PicowsDoor(pump, door)
    owner.add_routes(app)
    console.add_routes(app)
    figures.add_routes(app)
    console_dialogue.add_routes(app)
    console_privacy.add_routes(app)
    xapi.add_routes(app)
    badge_routes.add_routes(app)
    reload.add_routes(app)
    events_http.add_routes(app)
    account.add_routes(app)
    signin_routes.add_routes(app)
    app.cleanup_ctx.append(lambda app: _running(app, booth_poll_s))
    app.on_cleanup.append(lambda app: app[SIGNIN].close())
    app.on_shutdown.append(pump.shutdown)
    return app


def create_presence_app(
    manifest: Manifest,
    settings: PresenceSettings,
    *,
    on_leave: Sequence[LeaveHook] = (),
) -> web.Application:
    """Presence alone (``/ws`` and ``/metrics``, no store; other requests are answered
    ``unsupported``): for the presence benchmark and presence tests."""
    metrics = Metrics()
    pump = Pump(Street(PresenceWorld(manifest, settings)), settings, metrics)
    pump.serve(on_leave=on_leave)
    app = web.Application()
    app[METRICS] = metrics
    app[PUMP] = pump
    app.router.add_get("/ws", AiohttpDoor(pump).handle)
    app[WEBSOCKET] = PicowsDoor(pump, None)  # used where a gate listens (the benchmark)

    async def ticking(_app: web.Application) -> AsyncIterator[None]:
        await pump.start()
        yield
        await pump.stop()

    app.cleanup_ctx.append(ticking)
    app.on_shutdown.append(pump.shutdown)
    return app


def _presence_settings(settings: Settings) -> PresenceSettings:
    zoned = settings.zoning == "zoned" and settings.workers > 1
    return PresenceSettings(
        tick_hz=settings.tick_hz,
        max_speed=settings.max_speed,
        resume_window_s=settings.resume_window_s,
        start_at_first_quest=settings.spawn == "start",
        zones=settings.workers if zoned else 1,
        zone=settings.worker_index if zoned else 0,
    )


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
        bus: LocalBus | RedisBus
        if is_cluster(settings.store):
            bus = ClusterBus(settings.store)  # sharded pub/sub, spread over the masters
        else:
            bus = RedisBus(pubsub_url(settings.store)) if redis else LocalBus()
        app[BUS] = bus
        await bus.start()
        stack.push_async_callback(bus.close)
        bus.on_disconnect.append(health.suspect)

        await booths.start(store)
        await app[BADGES].start(store)
        fanout = BoothFanout(booths, pump)
        booths.subscribe(fanout.on_update)
        await BoothNotices(booths, bus).start()
        if pump.street.moderation is not None:
            relay = app[MODERATION] = ModerationRelay(pump.street.moderation, pump, store, bus)
            await relay.start()
        await app[EVENTS].start(store, bus)
        relay_or_none = app.get(MODERATION)
        privacy = app[PRIVACY] = Privacy(
            store, settings.retention(), None if relay_or_none is None else relay_or_none.erased
        )

        sharing = None
        if isinstance(bus, RedisBus):
            client = open_client(settings.store, timeout_s=RELAY_TIMEOUT_S)
            stack.push_async_callback(client.aclose)
            sharing = PresenceRelay(
                pump, bus, client, settings.scene_name, settings.resume_window_s
            )
            await sharing.start()
            stack.push_async_callback(sharing.close)
        now_client = None
        if redis:  # the store's own URL: a cluster client for a cluster ({now} keys)
            now_client = open_client(settings.store, timeout_s=RELAY_TIMEOUT_S)
            stack.push_async_callback(now_client.aclose)
        bursts = app[BURSTS]
        board = app[NOW] = NowBoard(
            pump, app[SCENE], now_client, signals=partial(_signals, app[IDENTITIES], bursts)
        )

        pump.serve(
            StoreSteps(store, booths, app[BADGES], on_redeemed=_bursts(bursts, app[METRICS])),
            on_leave=(fanout.forget,),
            sharing=sharing,
            on_learned=learning.learned,
            on_store_error=health.suspect,
        )
        health.on_recovered.append(lambda: _recovered(pump))
        notices = SceneNotices(bus, sharing.client if sharing is not None else None)
        reloader = app[RELOADER] = SceneReloader(
            app[SCENE],
            settings.scene_dir,
            settings.scene_name,
            lambda files: _switch(app, files),
            source=settings.watch,
            notices=notices,
        )
        await reloader.start()
        stack.push_async_callback(reloader.close)
        await learning.start(store)
        stack.push_async_callback(learning.close)
        await pump.start()
        stack.push_async_callback(pump.stop)
        await board.start()
        stack.push_async_callback(board.close)

        for loop in (
            health.run_forever(),
            booths.poll_forever(booth_poll_s),
            fanout.sweep_forever(),
            reloader.watch_forever(settings.watch_interval_s),
            privacy.run(),
        ):
            stack.push_async_callback(cancel, asyncio.create_task(loop))
        yield


async def _switch(app: web.Application, files: SceneFiles) -> None:
    """Live reload in this process: the files served, the street's rules (every visitor gets
    ``scene_changed``), the booth slots. ``ConfigError`` before anything changed when the
    build lacks learning content."""
    try:
        content = LearningContent.from_compiled(files.manifest, files.answers)
    except ValueError as exc:
        raise ConfigError([f"scene: {exc}"]) from None
    public = json.loads(files.manifest_asset.body)
    app[SCENE].switch(files)
    pump = app[PUMP]
    pump.apply(pump.street.switch(files.manifest, public, content))
    app[BOOTHS].switch(files.manifest)
    app[EVENTS].manifest = files.manifest  # operators' events are checked against the new street


async def _recovered(pump: Pump) -> None:
    """The store answers again: the street enters the sessions whose hello met the outage."""
    pump.apply(pump.street.recovered(time.time()))


def _dialogue_desk(content: LearningContent, guard: Guard) -> DialogueDesk | None:
    """The dialogue space stands at the Municipality: a scene without it has none."""
    footprints = content.footprints.get(MUNICIPALITY)
    if not footprints:
        return None
    return DialogueDesk(footprints, guard, content.policy.daily_earn_cap)


def _work_gate(settings: Settings) -> WorkGate | None:
    """A key per process: a challenge and its proof travel on the same socket."""
    return WorkGate(secrets.token_bytes(32), settings.work_bits) if settings.work_bits else None


def _new_identities(settings: Settings, metrics: Metrics) -> NewIdentities:
    """New identities per address, with their operator signals in ``/metrics``."""
    identities = NewIdentities(settings.admission_limits())
    metrics.identities_busiest.set_function(lambda: identities.busiest(time.time()))
    metrics.identities_registered.set_function(lambda: identities.registered)
    metrics.identities_refused.set_function(lambda: identities.refused)
    return identities


def _bursts(bursts: RedemptionBursts, metrics: Metrics) -> Callable[[str, float, str], None]:
    """Redemptions per booth slot and each slot's busiest minute of the hour in ``/metrics``
    (labels: the slots the scene had at start, a bounded set)."""
    for slot in bursts.slots:
        metrics.redemptions.labels(slot)
        metrics.redemption_peak.labels(slot).set_function(partial(_peak, bursts, slot))

    def redeemed(slot: str, now: float, visitor_id: str) -> None:
        if bursts.record(slot, now, visitor_id):
            metrics.redemptions.labels(slot).inc()

    return redeemed


def _peak(bursts: RedemptionBursts, slot: str) -> int:
    return bursts.peak(slot, time.time())


def _signals(identities: NewIdentities, bursts: RedemptionBursts) -> Signals:
    """This process's abuse signals for the console (shared in its *now* snapshot)."""
    now = time.time()
    return process_signals(identities.busiest(now), bursts, now)
