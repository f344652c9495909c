"""The ledger audit as the ``srichan ledger audit`` command runs it."""

from __future__ import annotations

from server.store.base import Audit
from srichan_world.world.ledger import AuditReport


async def audit_report(store: Audit) -> AuditReport:
    """Recompute the ledger from its entries; print ``report.table()``, exit 1 unless ``ok``."""
    return await store.audit()
