"""Scene notices: a street rebuilt by one process is switched to by every process.

With several processes on one street (``--workers``, or several machines on one Redis), a
change of the scene file is built **once**: every watching process sees the change, but only
the one that *claims* it (``SET srichan:scene:build:<digest> NX``, kept 60 s) builds; it
writes the build's files under ``<scene_dir>/versions/<content hash>/`` and announces the hash
on the bus (``srichan:scene``). Every other process loads those files by hash and switches.
So the processes must share ``scene_dir`` (one machine, or a shared folder; docs/deploy.md).

A notice missed while the bus was away is caught up after it reconnects: the newest build is
also written to ``<scene_dir>/<name>.*``, whose manifest names its hash. Without Redis the
claim always succeeds and the notice reaches nobody: one process, one build.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from server.bus import Bus

log = logging.getLogger(__name__)

SCENE_CHANNEL = "srichan:scene"
CLAIM_PREFIX = "srichan:scene:build:"
CLAIM_MS = 60_000
"""How long a claim on one change stands: longer than any build."""
_HASH = re.compile(r"[0-9a-f]{64}")

Follow = Callable[[str], Awaitable[Any]]


class SceneNotices:
    """Claims builds, announces them, and hands the hashes other processes built to
    ``follow``. ``client`` is a redis-py client for the claim (``None``: one process)."""

    def __init__(self, bus: Bus, client: Any | None = None) -> None:
        self.bus = bus
        self.client = client
        self._follow: Follow | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self, follow: Follow, catch_up: Callable[[], Awaitable[None]]) -> None:
        self._follow = follow
        await self.bus.subscribe(SCENE_CHANNEL, self.heard)
        self.bus.on_reconnect.append(catch_up)

    async def claim(self, digest: str) -> bool:
        """True for the one process that is to build this change of the files."""
        if self.client is None:
            return True
        try:
            won = await self.client.set(
                CLAIM_PREFIX + digest, self.bus.origin, nx=True, px=CLAIM_MS
            )
        except (RedisError, OSError) as exc:
            log.warning("scene build claim failed (%s): building here", exc)
            return True
        return bool(won)

    async def announce(self, content_hash: str) -> None:
        await self.bus.publish(SCENE_CHANNEL, content_hash.encode())

    def heard(self, payload: bytes) -> None:
        text = payload.decode("ascii", "replace")
        if not _HASH.fullmatch(text) or self._follow is None:
            log.warning("ignoring a malformed scene notice %r", payload[:80])
            return
        task = asyncio.ensure_future(self._follow(text))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("following a scene notice failed: %s", task.exception())
