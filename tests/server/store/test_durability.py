"""Durability with a real process: every credit reported as committed survives ``kill -9``."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from server.store import open_store
from srichan_world.world.ledger import visitor_account
from tests.server.store.conftest import SECRET
from tests.server.store.credit_worker import credits_until_killed

VISITOR = "durable-visitor-1"
REPORTED_BEFORE_KILL = 60


async def test_commits_reported_before_sigkill_are_all_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/durable.db"
    reported, worker = credits_until_killed(
        url, VISITOR, SECRET, REPORTED_BEFORE_KILL, lambda w: os.kill(w.pid, signal.SIGKILL)
    )
    assert worker.returncode == -signal.SIGKILL, "killed mid-stream, not finished"

    store = await open_store(url)
    try:
        entries = await store.entries(visitor_account(VISITOR), limit=1000)
        keys = {e.transfer.key for e in entries}
        assert set(reported) <= keys, f"lost: {sorted(set(reported) - keys)}"
        assert await store.balance(visitor_account(VISITOR)) == len(entries)
        assert (await store.authenticate_visitor(VISITOR, SECRET)).id == VISITOR
        statements = await store.statements_since(0.0, limit=1000)
        assert len(statements.statements) >= REPORTED_BEFORE_KILL // 10
        report = await store.audit()
        assert report.ok, report.problems
    finally:
        await store.close()
