"""Forwarding xAPI statements to a Learning Record Store, in the background.

The city may run its own LRS; when ``SRICHAN_LRS_URL`` names one, every statement the store has
kept (a graded answer, a completed quest) is also POSTed there. Play never waits for it:
:meth:`LrsForwarder.offer` only puts the statement in a bounded queue (a full queue drops it and
counts the drop: the statement stays in the store and ``GET /api/xapi/statements`` can backfill
it). One task sends batches and retries failures with capped, jittered exponential backoff.

Statement ids derive from the events' idempotency keys, so a batch sent twice (a retry after a
reply was lost) is harmless: an LRS answers a known id with 204 or 409, never a second copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from server.config import ConfigError
from server.tasks import cancel

log = logging.getLogger(__name__)

XAPI_VERSION = "1.0.3"
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Answers worth trying again; any other error status rejects the batch for good."""


@dataclass(frozen=True)
class LrsConfig:
    endpoint: str
    """The LRS's xAPI base URL; statements go to ``<endpoint>/statements``."""
    auth: str | None = None
    """The ``Authorization`` header value, e.g. ``Basic dXNlcjpwYXNz``."""
    queue_size: int = 10_000
    batch_size: int = 50
    backoff_s: float = 0.5
    backoff_max_s: float = 60.0
    timeout_s: float = 10.0
    shutdown_grace_s: float = 3.0
    """On shutdown, how long to keep sending what is queued before giving up on it."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        problems = []
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"SRICHAN_LRS_URL: {self.endpoint!r} is not an http(s) URL")
        if self.auth is not None and (not self.auth.strip() or "\n" in self.auth):
            problems.append("SRICHAN_LRS_AUTH: must be one line, e.g. 'Basic <base64>'")
        if self.queue_size < 1 or self.batch_size < 1:
            problems.append("LRS queue_size and batch_size must be at least 1")
        if not 0 < self.backoff_s <= self.backoff_max_s or self.timeout_s <= 0:
            problems.append("LRS backoff must satisfy 0 < backoff_s <= backoff_max_s")
        if problems:
            raise ConfigError(problems)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LrsConfig | None:
        """``None`` unless ``SRICHAN_LRS_URL`` is set; ``ConfigError`` for a bad value."""
        endpoint = environ.get("SRICHAN_LRS_URL", "").strip()
        if not endpoint:
            return None
        return cls(endpoint=endpoint, auth=environ.get("SRICHAN_LRS_AUTH") or None)

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"


def backoff_delay(
    attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, capped, and
    jittered into the upper half so many servers do not retry in step."""
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 30))
    return ceiling * (0.5 + 0.5 * rand())


@dataclass
class LrsCounts:
    """What became of the statements offered (also exported as Prometheus counters)."""

    sent: int = 0
    conflicts: int = 0
    """Sent, and the LRS already had them (409)."""
    rejected: int = 0
    """Dropped: the LRS refused the batch for good (400, 401, 403, 413...)."""
    dropped: int = 0
    """Dropped: the queue was full, or shutdown came before they could be sent."""
    retries: int = 0


class LrsForwarder:
    def __init__(
        self,
        config: LrsConfig,
        on_count: Callable[[str, int], None] | None = None,
    ) -> None:
        """``on_count(outcome, n)`` mirrors :class:`LrsCounts` into metrics."""
        self.config = config
        self.counts = LrsCounts()
        self._on_count = on_count
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(config.queue_size)
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def offer(self, statement: dict[str, Any]) -> bool:
        """Queue a statement without waiting; False (and counted) when it had to be dropped."""
        if self._closing:
            self._count("dropped", 1)
            return False
        try:
            self._queue.put_nowait(statement)
        except asyncio.QueueFull:
            if self.counts.dropped == 0 or self.counts.dropped % 1000 == 0:
                log.warning("LRS queue full (%d): dropping statements", self.config.queue_size)
            self._count("dropped", 1)
            return False
        return True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Stop taking statements, send what is queued for up to the grace period, stop."""
        self._closing = True
        task = self._task
        if task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), self.config.shutdown_grace_s)
        await cancel(task)
        left = self._queue.qsize()
        if left:
            log.warning("LRS: %d statements not forwarded at shutdown", left)
            self._count("dropped", left)

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
        headers = {"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"}
        if self.config.auth:
            headers["Authorization"] = self.config.auth
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as http:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < self.config.batch_size and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                try:
                    await self._deliver(http, batch)
                except asyncio.CancelledError:
                    self._count("dropped", len(batch))
                    raise
                finally:
                    for _ in batch:
                        self._queue.task_done()

    async def _deliver(self, http: aiohttp.ClientSession, batch: list[dict[str, Any]]) -> None:
        """Send one batch until the LRS takes or refuses it; only cancellation stops early."""
        unique = list({s["id"]: s for s in batch}.values())  # an LRS refuses repeated ids
        body = json.dumps(unique, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        attempt = 0
        while True:
            wait: float | None = None
            detail = ""
            try:
                async with http.post(self.config.statements_url, data=body) as reply:
                    status = reply.status
                    if status in RETRY_STATUSES:
                        wait = _retry_after(reply.headers.get("Retry-After"))
                    elif status >= 300:
                        detail = (await reply.text())[:200]
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, detail = 0, f"{type(exc).__name__}: {exc}"
            if 200 <= status < 300:
                self._count("sent", len(batch))
                return
            if status == 409:
                self._count("conflicts", len(batch))
                return
            if status and status not in RETRY_STATUSES:
                log.error("LRS refused %d statements: %d %s", len(batch), status, detail)
                self._count("rejected", len(batch))
                return
            attempt += 1
            self._count("retries", 1)
            delay = backoff_delay(attempt, self.config.backoff_s, self.config.backoff_max_s)
            if wait is not None:
                delay = min(max(delay, wait), self.config.backoff_max_s)
            if attempt == 1 or attempt % 10 == 0:
                log.warning(
                    "LRS unavailable (%s); retry %d in %.1f s", status or detail, attempt, delay
                )
            await asyncio.sleep(delay)

    def _count(self, outcome: str, n: int) -> None:
        setattr(self.counts, outcome, getattr(self.counts, outcome) + n)
        if self._on_count is not None:
            self._on_count(outcome, n)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in its seconds form (dates are ignored)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
