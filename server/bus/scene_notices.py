"""Scene notices: a street rebuilt by one process is switched to by every process.

With several processes on one street (``--workers``, or several machines on one Redis), a
change of the scene file is built **once**: every watching process sees the change and asks
for the build lock (``SET srichan:scene:lock NX``, at most 60 s); the one that gets it builds,
unless ``srichan:scene:built`` already names the files' digest (another process built exactly
these files: it was only slower to notice), then records the digest there and lets the lock
go. The builder writes the build's files under ``<scene_dir>/versions/<content hash>/`` and
announces the hash on the bus (``srichan:scene``); every other process loads those files by
hash and switches. An edit undone and done again is a new build each time (the digest is
compared with the last one built, not with every one ever claimed).
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
LOCK_KEY = "srichan:scene:lock"
BUILT_KEY = "srichan:scene:built"
LOCK_MS = 60_000
"""Longest a build holds the lock (a process that died building does not block for longer)."""
WAIT_S = 0.05
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
        """True for the one process that is to build files of this digest (it then holds the
        lock: call :meth:`built`); False when they were built already. Waits while another
        process builds. Without Redis, or when Redis cannot be asked, True."""
        if self.client is None:
            return True
        try:
            async with asyncio.timeout(LOCK_MS / 1000):
                while not await self.client.set(LOCK_KEY, self.bus.origin, nx=True, px=LOCK_MS):
                    await asyncio.sleep(WAIT_S)
            done = await self.client.get(BUILT_KEY)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("scene build lock failed (%r): building here", exc)
            return True
        if done == digest.encode():
            await self._unlock()
            return False
        return True

    async def built(self, digest: str) -> None:
        """The build of ``digest`` is over (served or refused): record it, let the lock go."""
        if self.client is None:
            return
        try:
            await self.client.set(BUILT_KEY, digest)
        except (RedisError, OSError) as exc:
            log.warning("cannot record the scene build (%r)", exc)
        await self._unlock()

    async def _unlock(self) -> None:
        assert self.client is not None
        try:
            await self.client.delete(LOCK_KEY)
        except (RedisError, OSError) as exc:  # it expires by itself
            log.warning("cannot release the scene build lock (%r)", exc)

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
