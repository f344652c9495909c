"""The audit in SQLite: the ledger recomputed with the awards and coupons that rest on it, and
the ``owner_actions`` log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace

from server.store.base import page
from server.store.sqlite.database import Database
from server.store.sqlite.ledger import entry_of
from srichan_world.world import ledger
from srichan_world.world.ledger import AuditReport
from srichan_world.world.owners import OwnerAction


class SQLiteAudit(Database):
    """What an auditor reads."""

    async def audit(self) -> AuditReport:
        def run(conn: sqlite3.Connection) -> AuditReport:
            stored = dict(conn.execute("SELECT id, balance FROM accounts").fetchall())
            rows = conn.execute(
                "SELECT seq, key, source, target, amount, reason, at FROM transfers ORDER BY seq"
            )
            report = ledger.audit((entry_of(row) for row in rows), stored)
            extra = (*award_problems(conn), *coupon_problems(conn))
            return replace(report, problems=report.problems + extra)

        return await self._call(run, write=False)

    async def note_action(
        self, actor: str, action: str, slot: str | None, detail: str, now: float
    ) -> None:
        await self._call(lambda c: note(c, actor, action, slot, detail, now), write=True)

    async def owner_actions(self, *, after: int = 0, limit: int = 100) -> tuple[OwnerAction, ...]:
        limit = page(limit)

        def run(conn: sqlite3.Connection) -> tuple[OwnerAction, ...]:
            rows = conn.execute(
                "SELECT seq, at, actor, action, slot, detail FROM owner_actions "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            )
            return tuple(OwnerAction(*row) for row in rows)

        return await self._call(run, write=False)


def note(
    conn: sqlite3.Connection, actor: str, action: str, slot: str | None, detail: str, now: float
) -> None:
    conn.execute(
        "INSERT INTO owner_actions (at, actor, action, slot, detail) VALUES (?, ?, ?, ?, ?)",
        (now, actor, action, slot, detail),
    )


def award_problems(conn: sqlite3.Connection) -> Iterator[str]:
    """Awards and the ledger must agree: each paid award has its transfer from the pool, and
    each visitor's all-time learning earnings equal the sum of their awards."""
    missing = conn.execute(
        "SELECT a.visitor_id, a.award_key FROM awards AS a LEFT JOIN transfers AS t "
        "ON t.key = a.transfer_key WHERE a.amount > 0 AND (t.seq IS NULL OR t.amount <> a.amount "
        "OR t.source <> ?)",
        (ledger.CITY_POOL,),
    )
    for visitor_id, award_key in missing:
        yield f"award {award_key} of {visitor_id} has no matching transfer"
    mismatched = conn.execute(
        "SELECT a.visitor_id, sum(a.amount), coalesce(e.tokens, 0) FROM awards AS a "
        "LEFT JOIN earnings AS e ON e.visitor_id = a.visitor_id AND e.period = 'all' "
        "GROUP BY a.visitor_id HAVING sum(a.amount) <> coalesce(e.tokens, 0)"
    )
    for visitor_id, awarded, earned in mismatched:
        yield f"{visitor_id}: awards total {awarded} but learning earnings say {earned}"


def coupon_problems(conn: sqlite3.Connection) -> Iterator[str]:
    """Each coupon was paid for: its transfer went from its visitor to its shop at its cost,
    and a promotion never counts more coupons issued than it has."""
    unpaid = conn.execute(
        "SELECT c.code FROM coupons AS c LEFT JOIN transfers AS t ON t.key = c.transfer_key "
        "WHERE t.seq IS NULL OR t.amount <> c.cost OR t.source <> 'visitor:' || c.visitor_id "
        "OR t.target <> 'shop:' || c.shop_id"
    )
    for (code,) in unpaid:
        yield f"coupon {code} has no matching transfer"
    miscounted = conn.execute(
        "SELECT p.slot, p.id, p.issued, count(c.id) FROM promotions AS p "
        "JOIN booth_slots AS b ON b.slot = p.slot "
        "LEFT JOIN coupons AS c ON c.slot = p.slot AND c.promotion_id = p.id "
        "AND c.shop_id = b.shop_id GROUP BY p.slot, p.id HAVING p.issued <> count(c.id)"
    )
    for slot, pid, issued, counted in miscounted:
        yield f"promotion {slot}/{pid} says {issued} issued but {counted} coupons exist"
