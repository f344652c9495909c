"""Usage counters in SQLite: one row per day and (kind, subject, detail), added to in place.

A thousand usages of one quiz on one day are one row, so a year of figures reads a few
thousand rows at most, whatever the street's traffic (``tools/bench/figures.py``).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence

from server.store.sqlite.database import Database
from srichan_world.world.figures import Usage, UsageTotal


class SQLiteUsage(Database):
    """The console's figures' records."""

    async def count_usage(self, day: str, usage: Sequence[Usage]) -> None:
        counts: Counter[tuple[str, str, str]] = Counter()
        totals: Counter[tuple[str, str, str]] = Counter()
        for u in usage:
            counts[(u.kind, u.subject, u.detail)] += 1
            totals[(u.kind, u.subject, u.detail)] += u.value
        if not counts:
            return

        def run(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO usage_days (day, kind, subject, detail, count, total) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, kind, subject, detail) "
                "DO UPDATE SET count = count + excluded.count, total = total + excluded.total",
                [(day, *key, n, totals[key]) for key, n in counts.items()],
            )

        await self._call(run, write=True)

    async def usage_totals(self, first: str, last: str) -> tuple[UsageTotal, ...]:
        def run(conn: sqlite3.Connection) -> tuple[UsageTotal, ...]:
            rows = conn.execute(
                "SELECT kind, subject, detail, sum(count), sum(total) FROM usage_days "
                "WHERE day >= ? AND day <= ? GROUP BY kind, subject, detail "
                "ORDER BY kind, subject, detail",
                (first, last),
            ).fetchall()
            return tuple(UsageTotal(*row) for row in rows)

        return await self._call(run, write=False)

    async def usage_by_day(
        self, first: str, last: str, kinds: Sequence[str]
    ) -> tuple[tuple[str, UsageTotal], ...]:
        wanted = list(kinds)
        if not wanted:
            return ()
        marks = ", ".join("?" * len(wanted))

        def run(conn: sqlite3.Connection) -> tuple[tuple[str, UsageTotal], ...]:
            rows = conn.execute(
                "SELECT day, kind, subject, detail, count, total FROM usage_days "
                f"WHERE day >= ? AND day <= ? AND kind IN ({marks}) "
                "ORDER BY day, kind, subject, detail",
                (first, last, *wanted),
            ).fetchall()
            return tuple((day, UsageTotal(*rest)) for day, *rest in rows)

        return await self._call(run, write=False)

    async def outstanding_tokens(self) -> int:
        def run(conn: sqlite3.Connection) -> int:
            (held,) = conn.execute(
                "SELECT -coalesce(sum(balance), 0) FROM accounts WHERE id NOT LIKE 'visitor:%'"
            ).fetchone()
            return int(held)

        return await self._call(run, write=False)
