"""A visitor's slot in Redis: read at one instant, committed if unchanged, and the global steps
each commit leaves in the visitor's outbox (see :mod:`server.store.redis.store` for the theory).

:class:`VisitorSlots` is the one place that crosses slots: it reads a visitor's hashes
(:meth:`~VisitorSlots.view`), commits writes with a compare-and-set on the visitor's state version
(:meth:`~VisitorSlots.update`), then runs the sequencer's share of what was committed
(:meth:`~VisitorSlots.flush`: ledger entries, statements, leaderboard rows, and the street's
decision on a paid redemption, which the coupons area passes in as ``confirm``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from server.store.base import StoreError
from server.store.redis.connection import Connection
from server.store.redis.keys import (
    BAL,
    CREDITS,
    ENTRIES,
    LEGS,
    OUT,
    POST_KEYS,
    VISITOR_PATTERN,
    KeyList,
    dumps,
    item_args,
    movement,
    payer_visitor,
    transfer_of,
    visitor_keys,
    visitor_of_key,
)
from srichan_world.errors import Refused
from srichan_world.world.ledger import Entry, Transfer

T = TypeVar("T")
CAS_TRIES = 64
Confirm = Callable[[str, str, dict[str, Any]], Awaitable[Any]]
"""The street's decision on a paid redemption queued in a visitor's outbox (visitor id, outbox
id, item); it refuses by raising ``Refused``."""


@dataclass(frozen=True)
class View:
    """A visitor's slot read at one instant."""

    registered: bool
    version: str
    values: dict[tuple[int, str], str | None]
    outbox: dict[str, dict[str, Any]]

    def get(self, key_index: int, name: str) -> str | None:
        return self.values[(key_index, name)]

    @property
    def next_version(self) -> int:
        return int(self.version) + 1


@dataclass
class Writes:
    """What one visitor commit writes: hash fields, a balance change, outbox items."""

    writes: list[tuple[int, str, str]] = field(default_factory=list)
    delta: int = 0
    items: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, key_index: int, name: str, value: Any) -> None:
        self.writes.append((key_index, name, value if isinstance(value, str) else dumps(value)))

    def queue(self, item_id: str, item: dict[str, Any]) -> None:
        self.items[item_id] = item
        self.put(OUT, item_id, item)

    def value(self, key_index: int, name: str) -> str | None:
        """What this commit writes to a field (its last write), or ``None``."""
        return next((v for k, n, v in reversed(self.writes) if (k, n) == (key_index, name)), None)


class VisitorSlots:
    """Reads and commits of visitors' slots, and the cross-slot steps they queue."""

    def __init__(self, conn: Connection, confirm: Confirm) -> None:
        self._conn = conn
        self._confirm = confirm

    async def view(self, visitor_id: str, fields: Iterable[tuple[int, str]]) -> View:
        wanted = list(fields)
        args: list[Any] = []
        for key_index, name in wanted:
            args += [key_index, name]
        registered, version, values, outbox = await self._conn.scripts.view(
            visitor_keys(visitor_id), args
        )
        return View(
            registered=bool(registered),
            version=str(version),
            values=dict(zip(wanted, values, strict=True)),
            outbox={outbox[i]: json.loads(outbox[i + 1]) for i in range(0, len(outbox), 2)},
        )

    async def update(
        self,
        visitor_id: str,
        fields: Sequence[tuple[int, str]],
        decide: Callable[[View], tuple[Writes, Callable[[int], T]]],
    ) -> T:
        """Read the visitor's slot, let ``decide`` check a plan's conditions against it and say
        what to write, commit if nothing changed in between (else again), then do the global
        steps of what was committed (and of any leftovers). ``decide`` may raise to write
        nothing."""
        keys = visitor_keys(visitor_id)
        async with self._conn.turns(visitor_id):
            for attempt in range(CAS_TRIES):
                view = await self.view(visitor_id, fields)
                writes, finish = decide(view)
                if not writes.writes:
                    await self.flush(visitor_id, view.outbox)
                    return finish(0)
                args: list[Any] = [view.version, writes.delta]
                for write in writes.writes:
                    args += write
                ok, _, balance = await self._conn.scripts.commit(keys, args)
                if ok:
                    await self.flush(visitor_id, view.outbox | writes.items)
                    return finish(int(balance))
                await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
        raise StoreError(f"visitor {visitor_id} kept changing; gave up after {CAS_TRIES} tries")

    async def flush(
        self, visitor_id: str, items: dict[str, dict[str, Any]]
    ) -> dict[str, Entry | None]:
        """Run the sequencer step for a visitor's outbox items, finish their other legs, and
        clear them; a movement whose key the sequencer holds for another movement maps to
        ``None`` (its debit given back). A paid redemption is decided by the street."""
        items = dict(items)
        for item_id in [i for i, item in items.items() if item["kind"] == "C"]:
            # A refusal is decided and the debit given back; whoever paid was told (or is gone).
            with contextlib.suppress(Refused, StoreError):
                await self._confirm(visitor_id, item_id, items.pop(item_id))
        if not items:
            return {}
        ids = list(items)
        results = await self.post([items[i] for i in ids])
        legs: list[str] = []
        done: list[str] = []
        entries: dict[str, Entry | None] = {}
        for item_id, (status, seq, body, waiting) in zip(ids, results, strict=True):
            item = items[item_id]
            if item["kind"] != "M":
                done.append(item_id)
                continue
            held = transfer_of(body) if status != "short" else None
            if held is None or not held.same_movement(transfer_of(item["body"])):
                if item["leg"].startswith("dr:"):
                    keys = visitor_keys(visitor_id)
                    await self._conn.scripts.refund(
                        [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
                        [item["leg"], item["amount"], item_id, dumps(item)],
                    )
                    entries[item_id] = None
                # A credit cannot be taken back safely: the item stays for the audit to report.
                continue
            if int(waiting):
                await self.deliver(held, int(seq))
            legs += [item["leg"], str(seq)]
            done.append(item_id)
            entries[item_id] = Entry(int(seq), held)
        keys = visitor_keys(visitor_id)
        await self._conn.scripts.ack(
            [keys[LEGS - 1], keys[OUT - 1]], [len(legs) // 2, *legs, *done]
        )
        return entries

    async def post(self, items: Sequence[dict[str, Any]]) -> list[list[Any]]:
        keys = KeyList(POST_KEYS)
        results: list[list[Any]] = await self._conn.scripts.post(keys.names, item_args(items, keys))
        return results

    async def deliver(self, t: Transfer, seq: int) -> None:
        """The receiving visitor's side of a sequenced movement, then clear it as pending."""
        payee = payer_visitor(t.target)
        assert payee is not None, t
        keys = visitor_keys(payee)
        await self._conn.scripts.credit(
            [keys[BAL - 1], keys[LEGS - 1]], [f"cr:{t.key}", t.amount, seq]
        )
        await self._conn.redis.hdel(CREDITS, t.key)

    async def from_sequencer(self, t: Transfer) -> Entry:
        ((status, seq, body, waiting),) = await self.post([movement(t, debit_here=True, leg=None)])
        if status == "short":
            raise t.short()
        held = transfer_of(body)
        if not held.same_movement(t):
            raise t.conflict()
        if int(waiting):
            await self.deliver(held, int(seq))
        return Entry(int(seq), held)

    async def from_visitor(self, payer: str, t: Transfer) -> Entry:
        keys = visitor_keys(payer)
        item_id = f"m:{t.key}"
        item = movement(t, debit_here=False, leg=f"dr:{t.key}")
        status, detail = await self._conn.scripts.debit(
            [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
            [f"dr:{t.key}", f"cr:{t.key}", t.amount, item_id, dumps(item)],
        )
        conflict = t.conflict()
        if status == "short":
            raise t.short()
        if status == "conflict":
            raise conflict
        if status == "done":
            held = transfer_of(await self._conn.redis.hget(ENTRIES, detail))
            if not held.same_movement(t):
                raise conflict
            return Entry(int(detail), held)
        if status == "pending" and detail:
            queued = json.loads(detail)
            if not transfer_of(queued["body"]).same_movement(t):
                raise conflict
            item = queued
        entry = (await self.flush(payer, {item_id: item})).get(item_id)
        if entry is None:
            raise conflict
        return entry

    async def settle(self) -> int:
        """Finish every cross-slot step that a crashed or cut-off call left undone: pending
        credits to visitors and visitors' outboxes. Idempotent; safe from any process at any
        time. Returns how many steps it found waiting."""
        redis = self._conn.redis
        found = 0
        for seq in (await redis.hgetall(CREDITS)).values():
            body = await redis.hget(ENTRIES, seq)
            if body is not None:
                await self.deliver(transfer_of(body), int(seq))
                found += 1
        async for out_key in redis.scan_iter(match=f"{VISITOR_PATTERN}:out", count=500):
            visitor_id = visitor_of_key(out_key, ":out")
            async with self._conn.turns(visitor_id):
                raw = await redis.hgetall(out_key)
                if raw:
                    found += len(raw)
                    await self.flush(visitor_id, {k: json.loads(v) for k, v in raw.items()})
        return found
