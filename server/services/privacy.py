"""Data protection on the store: one visitor's export and erasure, and the retention purge.

The console (server/http/console_privacy.py) and the command line (tools/visitor_cmd.py) both
come here. The export reads every family (srichan_world/world/privacy.py ``FAMILIES``):
the store's own :meth:`~server.store.base.PersonalData.personal_records`, and the records
other store methods already read (ledger, coupons, badges, quests, courses, the dialogue,
reports, sanctions). The erasure asks the store to erase, writes one audit line, and asks
``on_erased`` (the moderation relay, in a server) to close the visitor's sessions.

The audit log names a request by a *reference*, the first 12 hex digits of the SHA-256 of the
visitor id, never the id itself: whoever holds the id can show their request was handled;
the log alone does not give the id back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any

from server.store import Store
from server.store.base import PAGE_MAX
from srichan_world.world import privacy
from srichan_world.world.ledger import visitor_account
from srichan_world.world.moderation import ReportRecord
from srichan_world.world.privacy import Retention

log = logging.getLogger(__name__)

PURGE_EVERY_S = 6 * 3600.0
"""The server purges raw records past their retention this often (and once at start)."""
REPORTS_MAX = 10_000
"""Reports read per export (the queue's whole history on a small street)."""


def reference(visitor_id: str) -> str:
    """How the audit log names a request about ``visitor_id``."""
    return "ref:" + hashlib.sha256(visitor_id.encode()).hexdigest()[:12]


def plain(value: Any) -> Any:
    """A store record as JSON-ready data (dataclasses, enums, sets, tuples unwrapped)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def after_report(reports: list[ReportRecord]) -> int:
    return reports[-1].seq if reports else 0


class Privacy:
    """Export, erase, purge (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        retention: Retention,
        on_erased: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.retention = retention
        self.on_erased = on_erased
        self.last_purge: dict[str, Any] | None = None

    async def export(self, visitor_id: str, actor: str | None = None) -> dict[str, Any]:
        """Everything the store holds about the visitor, as one JSON-ready document (its
        ``found`` is False when there is nothing). Audited when ``actor`` is given."""
        now = time.time()
        store = self.store
        doc = privacy.empty_export(visitor_id, now)
        if privacy.TOMBSTONE.match(visitor_id):  # an erased visitor's pseudonym is nobody
            doc["summary"] = privacy.summary(doc)
            return doc
        doc |= await store.personal_records(visitor_id)
        account = visitor_account(visitor_id)
        entries, after = [], 0
        while True:
            batch = await store.entries(account, after=after, limit=PAGE_MAX)
            entries += [plain(e) for e in batch]
            if len(batch) < PAGE_MAX:
                break
            after = batch[-1].seq
        doc["ledger"] = {"balance": await store.balance(account), "entries": entries}
        doc["learning"]["quest_progress"] = plain(await store.quest_progress(visitor_id))
        doc["coupons"] = {"coupons": plain(await store.coupons_of(visitor_id))}
        doc["badges"] = {"badges": plain(await store.badges_of(visitor_id))}
        doc["courses"] = {"progress": plain(await store.course_progress(visitor_id))}
        doc["dialogue"] = await self._dialogue(visitor_id)
        reports: list[ReportRecord] = []
        while len(reports) < REPORTS_MAX:
            filed = await store.reports(status=None, after=after_report(reports), limit=PAGE_MAX)
            reports += filed
            if len(filed) < PAGE_MAX:
                break
        doc["moderation"] = {
            "reports": [
                r.to_json() for r in reports if privacy.report_concerns(r.stored(), visitor_id)
            ],
            "sanctions": [
                s.to_json()
                for s in await store.sanctions()
                if s.target == visitor_id and not s.by_address
            ],
        }
        link = await store.account_link(visitor_id)
        doc["account"] = {"links": [] if link is None else [privacy.link_export(link)]}
        doc["found"] = privacy.holds_anything(doc)
        doc["summary"] = privacy.summary(doc)
        if actor is not None:
            await store.note_action(actor, "visitor_export", None, reference(visitor_id), now)
        return doc

    async def _dialogue(self, visitor_id: str) -> dict[str, Any]:
        taken = []
        for question in await self.store.questions():
            part = await self.store.dialogue_part(question.id, visitor_id)
            if not (part.took_part or part.supported):
                continue
            mine = [
                plain(o)
                for o in (await self.store.dialogue_tally(question.id)).opinions
                if o.visitor_id == visitor_id
            ]
            taken.append({"question": question.id, **plain(part), "opinions": mine})
        return {"questions": taken}

    async def erase(self, visitor_id: str, actor: str) -> dict[str, Any]:
        """Erase the visitor. ``{"erased": False}`` when the store holds nothing about them
        (an unknown id, or erased before): nothing changes and nothing is written."""
        found = await self.export(visitor_id)
        if not found["found"]:
            return {"erased": False, "visitor_id": visitor_id}
        if self.on_erased is not None:  # no request of theirs lands while it is erased
            await self.on_erased(visitor_id)
        now = time.time()
        tomb = privacy.tombstone(secrets.token_hex(8))
        # the sign-in link first: it holds the sealed secret that would restore the identity
        unlinked = await self.store.unlink_account(visitor_id)
        counts = await self.store.erase_visitor(visitor_id, tomb, now) | {"account": int(unlinked)}
        detail = f"{reference(visitor_id)} -> {tomb} ({sum(counts.values())} records)"
        await self.store.note_action(actor, "visitor_erase", None, detail, now)
        if self.on_erased is not None:  # and one that came back meanwhile is closed too
            await self.on_erased(visitor_id)
        return {"erased": True, "visitor_id": visitor_id, "tombstone": tomb, "records": counts}

    async def purge(self, actor: str = "retention") -> dict[str, Any]:
        """Delete raw records older than the retention says; aggregates are never touched."""
        now = time.time()
        statements_before, reports_before = self.retention.cutoffs(now)
        counts = await self.store.purge_raw(statements_before, reports_before)
        if any(counts.values()):
            detail = ", ".join(f"{k}={v}" for k, v in counts.items())
            await self.store.note_action(actor, "retention_purge", None, detail, now)
        self.last_purge = {"at": now, "removed": counts}
        return self.last_purge

    async def run(self) -> None:
        """The server's periodic purge (a background task)."""
        while True:
            try:
                await self.purge()
            except Exception:  # the store may be down; try again next round
                log.exception("retention purge failed")
            await asyncio.sleep(PURGE_EVERY_S)
