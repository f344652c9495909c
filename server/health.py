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
pub/sub connection (server/bus/redis.py) dropped. The WebSocket side of degraded mode is
:class:`server.ws.guard.RequestGuard`, the HTTP side :func:`server.http.status.store_errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from server.store import StoreError

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
