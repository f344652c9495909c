"""The audit in Redis: cross-slot steps settled first, then the ledger recomputed with the awards
and coupons that rest on it; and the owners' action log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import replace

from server.store.base import page
from server.store.redis.connection import Connection, guarded
from server.store.redis.coupons import newest_first
from server.store.redis.keys import (
    ACTIONS,
    BALANCES,
    COUPONS,
    CREDITS,
    EARN,
    ENTRIES,
    SEQ,
    VISITOR_PATTERN,
    transfer_of,
    visitor_keys,
    visitor_of_key,
)
from server.store.redis.slots import VisitorSlots
from server.store.redis.street import Changes, Street
from srichan_world.world import ledger
from srichan_world.world.awards import GivenAward, award_problems
from srichan_world.world.coupons import coupon_problems
from srichan_world.world.ledger import (
    AuditReport,
    Entry,
)
from srichan_world.world.owners import OwnerAction

PAGE = 1000
"""Entries read per round trip by the audit."""


class RedisAudit:
    """What an auditor reads."""

    _conn: Connection
    _slots: VisitorSlots
    _street: Street

    @guarded
    async def audit(self) -> AuditReport:
        """Settle half-done steps, then recompute; a discrepancy that a concurrent operation
        in flight could explain is re-checked twice before it is reported."""
        report = await self._audit_once()
        for _ in range(2):
            if report.ok:
                break
            await asyncio.sleep(0.05)
            report = await self._audit_once()
        return report

    @guarded
    async def settle(self) -> int:
        """Finish every cross-slot step a crashed or cut-off call left undone (see
        :meth:`VisitorSlots.settle`); returns how many it found waiting."""
        return await self._slots.settle()

    async def _audit_once(self) -> AuditReport:
        await self._slots.settle()
        redis = self._conn.redis
        problems: list[str] = []
        entries: list[Entry] = []
        count = int(await redis.get(SEQ) or 0)
        for first in range(1, count + 1, PAGE):
            seqs = list(range(first, min(count, first + PAGE - 1) + 1))
            for seq, body in zip(seqs, await redis.hmget(ENTRIES, seqs), strict=True):
                if body is None:
                    problems.append(f"entry {seq} is missing")
                else:
                    entries.append(Entry(seq, transfer_of(body)))
        stored = {account: int(v) for account, v in (await redis.hgetall(BALANCES)).items()}
        balance_keys = [k async for k in redis.scan_iter(match=f"{VISITOR_PATTERN}:bal")]
        for key, held in zip(balance_keys, await self._get_many(balance_keys), strict=True):
            stored[ledger.visitor_account(visitor_of_key(key, ":bal"))] = int(held or 0)
        report = ledger.audit(entries, stored)
        transfers = {e.transfer.key: e.transfer for e in entries}
        awards: list[GivenAward] = []
        earned: dict[str, int] = {}
        async for key in redis.scan_iter(match=f"{VISITOR_PATTERN}:awd"):
            visitor_id = visitor_of_key(key, ":awd")
            for award_key, raw in (await redis.hgetall(key)).items():
                held = json.loads(raw)
                awards.append(
                    GivenAward(visitor_id, award_key, held["amount"], held["transfer_key"])
                )
            all_time = await redis.hget(visitor_keys(visitor_id)[EARN - 1], "all")
            earned[visitor_id] = json.loads(all_time)[0] if all_time else 0
        problems += award_problems(awards, transfers, earned)
        coupons = newest_first((await redis.hgetall(COUPONS)).values())
        street = await self._street.read()
        street = await self._street.read(slots=sorted(street.booths))
        promotions = [
            (slot, pid, promotion["issued"], street.booths[slot]["shop_id"])
            for slot, held in street.promotions.items()
            for pid, promotion in held.items()
        ]
        problems += coupon_problems(coupons, transfers, promotions)
        waiting = await redis.hlen(CREDITS)
        async for key in redis.scan_iter(match=f"{VISITOR_PATTERN}:out"):
            waiting += await redis.hlen(key)
        if waiting:
            problems.append(f"{waiting} cross-slot steps still pending after settling")
        return replace(report, problems=report.problems + tuple(problems))

    async def _get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        pipe = self._conn.redis.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
        return list(await pipe.execute())

    @guarded
    async def note_action(
        self, actor: str, action: str, slot: str | None, detail: str, now: float
    ) -> None:
        changes = Changes()
        changes.note(actor, action, slot, detail, now)
        await self._street.commit("", changes)

    @guarded
    async def owner_actions(self, *, after: int = 0, limit: int = 100) -> tuple[OwnerAction, ...]:
        limit = page(limit)
        first = max(int(after), 0) + 1
        seqs = list(range(first, first + limit))
        actions = []
        for seq, raw in zip(seqs, await self._conn.redis.hmget(ACTIONS, seqs), strict=True):
            if raw is None:
                break
            line = json.loads(raw)
            actions.append(
                OwnerAction(
                    seq, line["at"], line["actor"], line["action"], line["slot"], line["detail"]
                )
            )
        return tuple(actions)
