"""`srichan ledger audit`: recompute the token ledger from its entries and check it.

Safe to run beside a live server on the same SQLite file (WAL readers do not block the writer).
Prints balances by account kind and every problem; exits 1 when an invariant is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from server.config import DEFAULT_STORE
from server.store import StoreError, open_store
from server.store.audit import audit_report
from srichan_world.world.ledger import AuditReport


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = subparsers.add_parser("ledger", help="inspect the learning-token ledger")
    sub = ledger.add_subparsers(dest="ledger_command", required=True)
    audit = sub.add_parser("audit", help="recompute balances from entries; exit 1 on a problem")
    audit.add_argument("--store", default=DEFAULT_STORE, help="store URL (sqlite:///path.db)")
    audit.set_defaults(func=cmd_audit)


def cmd_audit(args: argparse.Namespace) -> int:
    try:
        report = asyncio.run(_audit(args.store))
    except (StoreError, ValueError) as exc:
        print(f"srichan ledger audit: {exc}", file=sys.stderr)
        return 2
    print(report.table())
    return 0 if report.ok else 1


async def _audit(url: str) -> AuditReport:
    store = await open_store(url)
    try:
        return await audit_report(store)
    finally:
        await store.close()
