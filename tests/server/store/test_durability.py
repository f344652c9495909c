"""Durability with a real process: every credit reported as committed survives ``kill -9``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from server.store import open_store
from srichan_world.world.ledger import visitor_account
from tests.server.store.conftest import SECRET

ROOT = Path(__file__).resolve().parents[3]
VISITOR = "durable-visitor-1"
REPORTED_BEFORE_KILL = 60


async def test_commits_reported_before_sigkill_are_all_there(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/durable.db"
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.server.store.credit_worker", url, VISITOR, SECRET, "5000"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[str] = []
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            reported.append(line.split()[1])
            if len(reported) >= REPORTED_BEFORE_KILL:
                os.kill(worker.pid, signal.SIGKILL)
                break
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)
        assert worker.stderr is not None
        errors = worker.stderr.read()
        worker.stdout.close()  # type: ignore[union-attr]
        worker.stderr.close()
    assert len(reported) == REPORTED_BEFORE_KILL, f"the worker died early: {errors}"
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
