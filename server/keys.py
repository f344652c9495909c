"""Every typed app key, in one place: what a running app holds and handlers may look up.

Only ``server/app.py`` sets them (at build time or, for what needs the open store, at
startup); HTTP handlers read them from ``request.app``.
"""

from __future__ import annotations

from aiohttp import web

from server.bus import Bus
from server.bus.moderation import ModerationRelay
from server.config import Settings
from server.health import StoreHealth
from server.metrics import Metrics
from server.now_board import NowBoard
from server.reload import SceneReloader
from server.scene_files import LiveScene
from server.services.badges import BadgeIssuer
from server.services.booths import BoothService
from server.services.events import EventService
from server.services.privacy import Privacy
from server.services.signin import SignInService
from server.store import Store
from server.ws.fast import PicowsDoor
from server.ws.learning import LearningLoop
from server.ws.pump import Pump
from srichan_world.world.admission import Admission, NewIdentities
from srichan_world.world.bursts import RedemptionBursts

SETTINGS = web.AppKey("settings", Settings)
SCENE = web.AppKey("scene", LiveScene)
"""The street being served (it changes with a live reload)."""
METRICS = web.AppKey("metrics", Metrics)
PUMP = web.AppKey("pump", Pump)
"""The WebSocket pump and, through it, the presence world (``app[PUMP].world``)."""
ADMISSION = web.AppKey("admission", Admission)
"""Per-address limits: WebSockets (asked at ``/ws``) and unfinished connections (asked by
server/runner.py's listener)."""
BOOTHS = web.AppKey("booths", BoothService)
LEARNING = web.AppKey("learning", LearningLoop)
"""The learning side's watcher, LRS forwarder and metrics (decisions: the street's)."""
STORE = web.AppKey("store", Store)
"""Set at startup, once the store is open."""
HEALTH = web.AppKey("store_health", StoreHealth)
"""Set at startup."""
BUS = web.AppKey("bus", Bus)
"""Set at startup: the in-process bus, or Redis pub/sub with a Redis store."""
BADGES = web.AppKey("badges", BadgeIssuer)
"""The Open Badges issuer: keys, signing, public documents (its store is set at startup)."""
MODERATION = web.AppKey("moderation", ModerationRelay)
"""Set at startup: moderators' actions, stored, applied here and told to the other processes."""
RELOADER = web.AppKey("reloader", SceneReloader)
"""Set at startup: live reload (``--watch``, the operator's reload, other processes' builds)."""
EVENTS = web.AppKey("events", EventService)
"""The event calendar: the scene's events with the operators' changes (kept in the store)."""
ACCOUNT_LIMITS = web.AppKey("account_limits", dict)
"""Recovery-code rate limits by kind (``ACCOUNT_RATES``), each a table of buckets by address."""
NOW = web.AppKey("now", NowBoard)
"""Set at startup: the console's *now* view, shared across processes through Redis."""
SIGNIN = web.AppKey("signin", SignInService)
"""Optional sign-in (OpenID Connect): the configured providers (none: no sign-in)."""
WEBSOCKET = web.AppKey("websocket", PicowsDoor)
"""Set with ``--ws-transport picows``: the gate hands ``GET /ws`` connections to it."""
PRIVACY = web.AppKey("privacy", Privacy)
"""Export, erasure and the retention purge (set at startup, once the store is open)."""
IDENTITIES = web.AppKey("identities", NewIdentities)
"""New visitor identities per address (the street's allowance; its busiest address is an abuse
signal in ``/metrics`` and the console)."""
BURSTS = web.AppKey("bursts", RedemptionBursts)
"""Redemptions per booth slot over the last hour (abuse signals: ``/metrics``, the console)."""
