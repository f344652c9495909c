"""Usage counters in Redis: a hash per day in the sequencer's slot, ``use:<day>``, whose fields
are ``[kind, subject, detail, "c" | "t"]`` (count, total) added to with ``HINCRBY``.

Each day's hash expires :data:`KEEP_S` after its last write, so the counters are bounded in
time as well as in size (one field pair per quiz, quest step and kind).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import BALANCES, G
from srichan_world.world.figures import MAX_DAYS, Usage, UsageTotal, days

KEEP_S = 2 * MAX_DAYS * 86_400
"""Two of the widest ranges a figure reads: last year's annual report stays answerable."""


def usage_key(day: str) -> str:
    return f"{G}:use:{day}"


def _field(u: Usage, part: str) -> str:
    return json.dumps([u.kind, u.subject, u.detail, part], ensure_ascii=False)


class RedisUsage:
    """The console's figures' records."""

    _conn: Connection

    @guarded
    async def count_usage(self, day: str, usage: Sequence[Usage]) -> None:
        if not usage:
            return
        key = usage_key(day)
        pipe = self._conn.redis.pipeline(transaction=False)
        for u in usage:
            pipe.hincrby(key, _field(u, "c"), 1)
            pipe.hincrby(key, _field(u, "t"), u.value)
        pipe.expire(key, KEEP_S)
        await pipe.execute()

    async def _days(self, first: str, last: str) -> list[tuple[str, dict[str, str]]]:
        wanted = days(first, last)
        pipe = self._conn.redis.pipeline(transaction=False)
        for day in wanted:
            pipe.hgetall(usage_key(day))
        return list(zip(wanted, await pipe.execute(), strict=True))

    @guarded
    async def outstanding_tokens(self) -> int:
        balances = await self._conn.redis.hvals(BALANCES)  # the pool and the shops only
        return -sum(int(b) for b in balances)

    @guarded
    async def usage_totals(self, first: str, last: str) -> tuple[UsageTotal, ...]:
        sums: dict[tuple[str, str, str], list[int]] = {}
        for _day, fields in await self._days(first, last):
            _add(sums, fields, None)
        return tuple(UsageTotal(*key, c, t) for key, (c, t) in sorted(sums.items()))

    @guarded
    async def usage_by_day(
        self, first: str, last: str, kinds: Sequence[str]
    ) -> tuple[tuple[str, UsageTotal], ...]:
        out: list[tuple[str, UsageTotal]] = []
        for day, fields in await self._days(first, last):
            sums: dict[tuple[str, str, str], list[int]] = {}
            _add(sums, fields, set(kinds))
            out += [(day, UsageTotal(*key, c, t)) for key, (c, t) in sorted(sums.items())]
        return tuple(out)


def _add(
    sums: dict[tuple[str, str, str], list[int]], fields: dict[str, str], kinds: set[str] | None
) -> None:
    for raw, value in fields.items():
        kind, subject, detail, part = json.loads(raw)
        if kinds is None or kind in kinds:
            sums.setdefault((kind, subject, detail), [0, 0])[part == "t"] += int(value)
