"""The audit in SQLite: the ledger recomputed with the awards and coupons that rest on it, and
the ``owner_actions`` log."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from server.store.base import page
from server.store.sqlite.coupons import COUPON_COLUMNS, coupon_of
from server.store.sqlite.database import Database
from server.store.sqlite.ledger import entry_of
from server.store.sqlite.owners import note
from srichan_world.world import ledger
from srichan_world.world.awards import GivenAward, award_problems
from srichan_world.world.coupons import coupon_problems
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
            entries = [entry_of(row) for row in rows]
            report = ledger.audit(entries, stored)
            transfers = {e.transfer.key: e.transfer for e in entries}
            awards = conn.execute("SELECT visitor_id, award_key, amount, transfer_key FROM awards")
            earned = conn.execute("SELECT visitor_id, tokens FROM earnings WHERE period = 'all'")
            coupons = conn.execute(f"SELECT {COUPON_COLUMNS}, transfer_key FROM coupons")
            promotions = conn.execute(
                "SELECT p.slot, p.id, p.issued, b.shop_id FROM promotions AS p "
                "JOIN booth_slots AS b ON b.slot = p.slot"
            )
            problems = award_problems(
                (GivenAward(*row) for row in awards), transfers, dict(earned.fetchall())
            )
            sold = [(coupon_of(row[:-1]), row[-1]) for row in coupons]
            problems += coupon_problems(sold, transfers, promotions)
            return replace(report, problems=report.problems + tuple(problems))

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
