"""The console's *now* view across server processes: how many visitors each live process has,
and where they stand on the street plan.

With the embedded store there is one process and the view is that process's own sessions,
read when asked. With Redis every process, every :data:`NOW_EVERY_S`, writes its own
snapshot (:class:`~srichan_world.world.figures.ProcessNow`: a count and per-cell counts, no
avatar id, no name, no position finer than an interest cell) to its key
``srichan:{now}:p:<host:pid>`` with an expiry of :data:`NOW_TTL_S` and names itself in the set
``srichan:{now}:processes``. The console's process reads the set and every snapshot in one
``MGET`` (the keys share the ``{now}`` hash tag, so this works on a Redis Cluster too), adds
its own fresh count in place of its stored one, and forgets names whose key expired: a
process that died drops out of the view :data:`NOW_TTL_S` after its last write, one that
stopped cleanly at once (it deletes its key). Small groups are hidden only after the
processes' counts are added up (srichan_world/world/figures.py ``now``), so 3 + 3 visitors in
one cell on two processes show as 6.

If Redis cannot be reached the view is this process's alone, marked ``"complete": false``.

The snapshot carries the process's abuse signals too (srichan_world/world/signals.py: the
busiest address's new identities this hour, no address; coupons per booth slot over the hour
with their distinct buyers and busiest minute, no visitor), put together for the console's
economy section by :meth:`NowBoard.signals_view` the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from server.health import FailureStreak
from server.scene_files import LiveScene
from server.tasks import cancel
from server.ws.pump import Pump
from srichan_world.world import figures
from srichan_world.world.figures import ProcessNow
from srichan_world.world.signals import Signals, signals

log = logging.getLogger(__name__)

NOW_EVERY_S = 2.0
"""How often a process writes its snapshot."""
NOW_TTL_S = 6.0
"""A snapshot's life: three missed writes and the process is taken for gone."""
PROCESSES_KEY = "srichan:{now}:processes"
PROCESSES_TTL_S = 86_400
"""The set of names outlives every snapshot; it is pruned by the readers."""


def snapshot_key(process: str) -> str:
    return f"srichan:{{now}}:p:{process}"


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class NowBoard:
    """This process's snapshot, shared through ``client`` (a redis-py asyncio client) when
    there is one; :meth:`view` for the console."""

    def __init__(
        self,
        pump: Pump,
        scene: LiveScene,
        client: Any | None = None,
        *,
        process: str | None = None,
        every_s: float = NOW_EVERY_S,
        ttl_s: float = NOW_TTL_S,
        clock: Callable[[], float] = time.time,
        signals: Callable[[], Signals] | None = None,
    ) -> None:
        self.pump = pump
        self.signals = signals
        """This process's abuse signals now (``None``: it keeps none)."""
        self.scene = scene
        self.client = client
        self.process = process or process_name()
        self.every_s = every_s
        self.ttl_s = ttl_s
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    def local(self) -> ProcessNow:
        """This process's own visitors, now (one place each, however many tabs)."""
        world = self.pump.world
        views = (world.view(s) for s in list(world.sessions))
        seen = ((v.visitor_id, (v.x, v.z)) for v in views if v is not None)
        positions = figures.one_per_visitor(seen)  # several tabs: one visitor
        return figures.now_counts(self.process, positions, self.scene.current.manifest.grid)

    async def start(self) -> None:
        if self.client is not None:
            self._task = asyncio.create_task(self._publish_forever())

    async def close(self) -> None:
        await cancel(self._task)
        self._task = None
        if self.client is not None:
            try:  # a clean stop leaves the view at once, not after the expiry
                await self.client.delete(snapshot_key(self.process))
                await self.client.srem(PROCESSES_KEY, self.process)
            except (RedisError, OSError):
                log.info("now snapshot not withdrawn: Redis unreachable (it expires)")

    async def publish(self) -> None:
        """Write this process's snapshot once."""
        assert self.client is not None
        body = {**self.local().to_json(), "at": self.clock()}
        if self.signals is not None:
            body["signals"] = self.signals().to_json()
        pipe = self.client.pipeline(transaction=False)
        pipe.set(snapshot_key(self.process), json.dumps(body), px=int(self.ttl_s * 1000))
        pipe.sadd(PROCESSES_KEY, self.process)
        pipe.expire(PROCESSES_KEY, PROCESSES_TTL_S)
        await pipe.execute()

    async def _publish_forever(self) -> None:
        streak = FailureStreak(log, "now snapshot")
        while True:
            try:
                await self.publish()
            except Exception:  # Redis away or a bug: the next round tries again
                streak.failed()
            else:
                streak.succeeded()
            await asyncio.sleep(self.every_s)

    async def _others(self) -> tuple[list[tuple[str, float, dict[str, Any]]], bool]:
        """Every other live process's snapshot as ``(name, age in s, body)``, and whether all
        could be read."""
        if self.client is None:
            return [], True
        try:
            names = sorted(
                n.decode() if isinstance(n, bytes) else n
                for n in await self.client.smembers(PROCESSES_KEY)
            )
            others = [n for n in names if n != self.process]
            bodies = await self.client.mget([snapshot_key(n) for n in others]) if others else []
        except (RedisError, OSError):
            log.warning("now view: Redis unreachable, showing this process only")
            return [], False
        now = self.clock()
        found, gone = [], []
        for name, body in zip(others, bodies, strict=True):
            if body is None:
                gone.append(name)
                continue
            data = json.loads(body)
            found.append((name, max(0.0, now - float(data["at"])), data))
        if gone:
            with contextlib.suppress(RedisError, OSError):  # else the next reader prunes them
                await self.client.srem(PROCESSES_KEY, *gone)
        return found, True

    async def snapshots(self) -> tuple[list[ProcessNow], bool]:
        """Every live process's snapshot (this one's fresh), and whether all could be read."""
        others, complete = await self._others()
        found = [self.local()]
        found += [ProcessNow.from_json(data, age) for _, age, data in others]
        return found, complete

    async def signals_view(self) -> dict[str, Any]:
        """The console's abuse signals: every live process's together, small groups hidden
        (a process that keeps none, or an older one whose snapshot has none, is left out)."""
        others, complete = await self._others()
        found = [] if self.signals is None else [(self.process, 0.0, self.signals())]
        found += [
            (name, age, Signals.from_json(data["signals"]))
            for name, age, data in others
            if "signals" in data
        ]
        return {"complete": complete, **signals(found)}

    async def view(self) -> dict[str, Any]:
        """The console's JSON: every live process together, small groups hidden."""
        processes, complete = await self.snapshots()
        grid = self.scene.current.manifest.grid
        return {"complete": complete, **figures.now(processes, grid)}
