"""A process that credits tokens through the store and reports each commit on stdout.

Run by the durability tests through :func:`credits_until_killed`, which kills the worker (or
the database under it) mid-stream: every credit reported as committed must still be there when
the database is opened again.
Usage: python -m tests.server.store.credit_worker URL VISITOR_ID SECRET LIMIT
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from server.store import open_store
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from tests.server.store.conftest import make_answer, record_answer
from tests.world.learning_fixtures import quiz

RESTLESS = quiz(cooldown_s=0.0)
"""Wrong answers never lock this quiz, so the worker can keep answering."""


async def main(url: str, visitor_id: str, secret: str, limit: int) -> None:
    store = await open_store(url)
    await store.register_visitor(visitor_id, secret, time.time())
    out = sys.stdout
    for i in range(limit):
        if i % 10 == 0:
            wrong = make_answer(visitor_id, f"answer-{i}", correct=False, q=RESTLESS)
            await record_answer(store, wrong, 500)
        key = f"credit-{i}"
        account = visitor_account(visitor_id)
        await store.transfer(Transfer(key, CITY_POOL, account, 1, "durability test", time.time()))
        out.write(f"committed {key}\n")
        out.flush()
    await store.close()


def credits_until_killed(
    url: str, visitor_id: str, secret: str, reports: int, kill: Callable[[subprocess.Popen], None]
) -> tuple[list[str], subprocess.Popen]:
    """Start a worker on ``url``, read ``reports`` committed credit keys, then ``kill`` (the
    worker, or the server it writes to). Returns the keys and the finished worker."""
    worker = subprocess.Popen(
        [sys.executable, "-m", __name__, url, visitor_id, secret, "5000"],
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[str] = []
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            reported.append(line.split()[1])
            if len(reported) >= reports:
                kill(worker)
                break
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)
        assert worker.stderr is not None
        errors = worker.stderr.read()
        worker.stdout.close()  # type: ignore[union-attr]
        worker.stderr.close()
    assert len(reported) == reports, f"the worker died early: {errors}"
    return reported, worker


if __name__ == "__main__":
    url, visitor_id, secret, limit = sys.argv[1:5]
    asyncio.run(main(url, visitor_id, secret, int(limit)))
