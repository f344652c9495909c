"""Degraded mode: the street stays open while the durable store cannot be reached.

Presence (who stands where, chat, emotes) lives in the process's memory and never waits for
the store, so losing Redis must not take the street down. What does need the store (entering
with an identity, quizzes, the wallet, redeeming, the owner pages) fails *retryably*:

* a WebSocket request whose handler hits :class:`~server.store.StoreError` gets
  ``error store_unavailable`` (not ``internal``), and the client sends the same request again
  later with the same idempotency key, so nothing is lost or done twice;
* an HTTP request gets ``503`` with ``Retry-After`` and the owner pages' JSON error shape;
* a ``hello`` whose identity could not be checked is remembered and entered again, with its
  wallet and quests sent, as soon as the store answers (or before the session's next request);
* ``GET /healthz`` stays ``200`` and says ``{"status": "degraded", "store": "unavailable"}``:
  every process shares the same Redis, so a load balancer that took "unhealthy" processes out
  would take the whole street down, presence included. Alert on ``degraded`` (or on the
  ``srichan_store_up`` gauge) instead.

:class:`StoreHealth` decides up or down by probing the store (one cheap read, with a timeout):
every 2 s while up, every second while down, and at once when a request failed or the
pub/sub connection (server/fanout.py) dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from aiohttp import web
from prometheus_client import Gauge

from server.metrics import METRICS
from server.store import Store, StoreError
from server.ws import HANDLERS, LEAVE_HOOKS, PRESENCE, Handler, RequestContext
from srichan_world.protocol.codes import ErrorCode, MsgType
from srichan_world.protocol.messages import Error, Hello, Message

log = logging.getLogger(__name__)

PROBE_UP_S = 2.0
PROBE_DOWN_S = 1.0
PROBE_TIMEOUT_S = 2.0
RETRY_AFTER_S = 2
UNAVAILABLE_EN = "the street's records cannot be reached just now; try again in a moment"
UNAVAILABLE_TH = "ระบบบันทึกข้อมูลขัดข้องชั่วคราว กรุณาลองใหม่อีกครั้ง"

Probe = Callable[[], Awaitable[object]]
Recovered = Callable[[], Awaitable[None]]


class StoreHealth:
    """Up or down, from probing the store; callbacks run when it comes back."""

    def __init__(
        self,
        probe: Probe,
        *,
        up_s: float = PROBE_UP_S,
        down_s: float = PROBE_DOWN_S,
        timeout_s: float = PROBE_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.probe = probe
        self.up_s, self.down_s, self.timeout_s = up_s, down_s, timeout_s
        self.clock = clock
        self.up = True
        self.since = clock()
        self.last_error = ""
        self.on_recovered: list[Recovered] = []
        self.on_change: list[Callable[[bool], None]] = []
        self._wake = asyncio.Event()

    def report(self) -> dict[str, object]:
        """The store's part of ``/healthz``."""
        if self.up:
            return {"store": "ok"}
        return {
            "status": "degraded",
            "store": "unavailable",
            "store_down_s": round(max(0.0, self.clock() - self.since), 1),
            "store_error": self.last_error[:200],
        }

    def suspect(self, exc: BaseException) -> None:
        """A request failed on the store: probe now rather than at the next interval."""
        self.last_error = str(exc) or type(exc).__name__
        self._wake.set()

    async def check(self) -> bool:
        """Probe once and update the state; returns whether the store answered."""
        try:
            await asyncio.wait_for(self.probe(), self.timeout_s)
        except (StoreError, OSError, TimeoutError) as exc:
            self.last_error = str(exc) or type(exc).__name__
            self._set(False)
            return False
        recovered = self._set(True)
        if recovered:
            for callback in list(self.on_recovered):
                try:
                    await callback()
                except StoreError as exc:  # went away again at once: the next probe sees it
                    self.suspect(exc)
                except Exception:
                    log.exception("store recovery callback failed")
        return True

    async def run_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.up_s if self.up else self.down_s)
            self._wake.clear()
            await self.check()

    def _set(self, up: bool) -> bool:
        """Record the state; True when the store just came back."""
        if up == self.up:
            return False
        self.up, self.since = up, self.clock()
        if up:
            log.warning("store reachable again; leaving degraded mode")
        else:
            log.warning("store unreachable (%s); degraded mode: presence only", self.last_error)
        for callback in list(self.on_change):
            callback(up)
        return up


def unavailable_reply(cid: int | None = None) -> Error:
    return Error(ErrorCode.STORE_UNAVAILABLE, UNAVAILABLE_EN, cid=cid)


class RequestGuard:
    """Wraps the WebSocket request handlers of one app (see the module docstring)."""

    def __init__(self, health: StoreHealth, handlers: dict[MsgType, Handler]) -> None:
        self.health = health
        self.handlers = handlers
        self.hello: Handler | None = None
        self.pending: dict[int, tuple[RequestContext, Hello]] = {}
        """Sessions whose hello could not be handled for want of the store."""

    def wrap_all(self) -> None:
        """Wrap every registered handler once (call when registration is over)."""
        for kind, handler in list(self.handlers.items()):
            if getattr(handler, "guarded_by", None) is self:
                continue
            if kind == MsgType.HELLO:
                self.hello = handler
            self.handlers[kind] = self._wrap(kind, handler)

    def _wrap(self, kind: MsgType, handler: Handler) -> Handler:
        async def guarded(ctx: RequestContext, msg: Message) -> Sequence[Message]:
            session = ctx.view.session
            try:
                if kind == MsgType.HELLO:
                    self.pending.pop(session, None)
                elif session in self.pending:
                    await self._enter(session)
                return await handler(ctx, msg)
            except StoreError as exc:
                self.health.suspect(exc)
                if kind == MsgType.HELLO:
                    assert isinstance(msg, Hello)
                    self.pending[session] = (ctx, msg)
                return [unavailable_reply()]

        guarded.guarded_by = self  # type: ignore[attr-defined]
        return guarded

    async def _enter(self, session: int) -> None:
        """Run a held-back hello now; its replies (wallet, quests) go to the session."""
        held = self.pending.pop(session, None)
        view = held[0].presence.world.view(session) if held is not None else None
        if held is None or view is None or self.hello is None:
            return
        ctx, msg = held
        try:
            replies = await self.hello(RequestContext(view, ctx.presence), msg)
        except StoreError:
            self.pending.setdefault(session, held)
            raise
        for reply in replies:
            ctx.presence.send(session, reply)

    async def retry_pending(self) -> None:
        """The store is back: enter every session that said hello while it was away."""
        for session in list(self.pending):
            await self._enter(session)

    async def forget(self, session: int) -> None:
        self.pending.pop(session, None)


@web.middleware
async def store_errors(request: web.Request, handler: Callable) -> web.StreamResponse:
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
            dumps=_dumps,
        )


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


HEALTH = web.AppKey("store_health", StoreHealth)


def setup_health(
    app: web.Application,
    store: Callable[[web.Application], Store],
    *,
    up_s: float = PROBE_UP_S,
    down_s: float = PROBE_DOWN_S,
) -> StoreHealth:
    """Watch the store, answer for it in ``/healthz``, turn its failures into retryable errors.

    Call last in ``create_app`` (after the cleanup context that opens the store): the
    WebSocket handlers registered by then, and any added before startup, are wrapped when the
    app starts.
    """

    async def probe() -> object:
        return await store(app).booth_versions()

    health = StoreHealth(probe, up_s=up_s, down_s=down_s)
    app[HEALTH] = health
    app.middlewares.append(store_errors)
    guard: RequestGuard | None = None
    if PRESENCE in app:
        guard = RequestGuard(health, app[HANDLERS])
        app[LEAVE_HOOKS].append(guard.forget)
        health.on_recovered.append(guard.retry_pending)

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        if METRICS in app:
            gauge = Gauge(
                "srichan_store_up",
                "1 while the durable store answers, 0 in degraded mode",
                registry=app[METRICS].registry,
            )
            gauge.set(1)
            health.on_change.append(lambda up: gauge.set(1 if up else 0))
        if guard is not None:
            guard.wrap_all()
        from server.fanout import BUS

        if BUS in app:
            app[BUS].on_disconnect.append(health.suspect)
        watcher = asyncio.create_task(health.run_forever())
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    app.cleanup_ctx.append(lifespan)
    return health


class FailureStreak:
    """Log a background loop's failure once per outage, not once per round: a store that is
    away for a minute should leave one traceback and one "recovered" line, not a hundred."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self.logger = logger
        self.what = what
        self.failures = 0

    def failed(self) -> None:
        """Call from an ``except`` block."""
        self.failures += 1
        if self.failures == 1:
            self.logger.exception("%s failed; retrying quietly until it works again", self.what)
        else:
            self.logger.debug("%s failed again (%d in a row)", self.what, self.failures)

    def succeeded(self) -> None:
        if self.failures:
            self.logger.info("%s works again after %d failures", self.what, self.failures)
        self.failures = 0
