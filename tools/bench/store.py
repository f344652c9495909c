"""Benchmark of the SQLite store: awards and redemptions per second, FULL vs NORMAL sync.

Justifies ``synchronous=FULL`` (see server/store/sqlite/store.py): prints a table and writes
``bench-results/store.json``. Usage: python -m tools.bench.store [--ops 400] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from server.store import Store
from server.store.sqlite.schema import SYNCHRONOUS
from server.store.sqlite.store import SQLiteStore
from server.ws.steps import StoreSteps
from srichan_world.scene.model import QuizPoint, Text
from srichan_world.street.learning import record_answer
from srichan_world.world.ledger import Transfer, shop_account, visitor_account
from srichan_world.world.quizzes import Answer, QuizBook, QuizDesk, QuizPrompt

SECRET = "bench-secret-0123456789abcdef"
QUIZ = QuizPoint(
    id="q-bench",
    landmark="city-gate",
    station=0.0,
    offset=0.0,
    radius=5.0,
    reward=1,
    question=Text("คำถาม", "Question"),
    choices=(Text("ก", "A"), Text("ข", "B"), Text("ค", "C")),
    correct=0,
    explanation=Text("คำอธิบาย", "Explanation"),
    attempts=3,
    cooldown_s=0.0,
)


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, int(len(sorted_values) * q) - 1)]


async def measure(store: Store, ops: int, concurrency: int, tag: str) -> dict[str, float]:
    """Answer ``ops`` quizzes correctly (one visitor each, so each is an award), then redeem
    once per visitor, ``concurrency`` requests in flight."""
    desk = QuizDesk(QuizBook([QUIZ]))
    visitors = [f"bench-{tag}-{i:06d}" for i in range(ops)]
    for v in visitors:
        await store.register_visitor(v, SECRET, 0.0)
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)

    async def timed(call: Callable[[], Awaitable[Any]]) -> None:
        async with semaphore:
            start = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - start)

    answers = []
    for v in visitors:
        prompt = desk.open(v, QUIZ.id, (0.0, 0.0), 1.0, await store.quiz_attempts(v, "x"), v)
        assert isinstance(prompt, QuizPrompt)
        answer = desk.answer(v, QUIZ.id, 0, (0.0, 0.0), 1.0)
        assert isinstance(answer, Answer)
        answers.append(answer)
    start = time.perf_counter()
    steps = StoreSteps(store)
    await asyncio.gather(*(timed(partial(steps.run, record_answer(a, 500))) for a in answers))
    award_s = time.perf_counter() - start
    award_lat = sorted(latencies)
    latencies.clear()
    redeems = [
        Transfer(f"redeem-{v}", visitor_account(v), shop_account("B01"), 1, "redeem", 2.0)
        for v in visitors
    ]
    start = time.perf_counter()
    await asyncio.gather(*(timed(partial(store.transfer, t)) for t in redeems))
    redeem_s = time.perf_counter() - start
    redeem_lat = sorted(latencies)
    report = await store.audit()
    assert report.ok, report.problems
    return {
        "awards_per_s": ops / award_s,
        "award_p50_ms": statistics.median(award_lat) * 1000,
        "award_p99_ms": _percentile(award_lat, 0.99) * 1000,
        "redeems_per_s": ops / redeem_s,
        "redeem_p50_ms": statistics.median(redeem_lat) * 1000,
        "redeem_p99_ms": _percentile(redeem_lat, 0.99) * 1000,
    }


async def measure_sqlite(
    folder: Path, synchronous: str, ops: int, concurrency: int
) -> dict[str, float]:
    """The workload on a fresh SQLite file with the given ``synchronous`` pragma."""
    store = await SQLiteStore.open(
        folder / f"bench-{synchronous}-{concurrency}.db", synchronous=synchronous
    )
    try:
        return await measure(store, ops, concurrency, "visitor")
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=400)
    parser.add_argument("--dir", type=Path, default=None, help="where to put the databases")
    parser.add_argument("--out", type=Path, default=Path("bench-results/store.json"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for synchronous in SYNCHRONOUS:
            for concurrency in (1, 32):
                result = await measure_sqlite(Path(folder), synchronous, args.ops, concurrency)
                rows.append({"synchronous": synchronous, "concurrency": concurrency} | result)
    header = f"{'sync':<8}{'conc':>6}{'awards/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'redeems/s':>11}"
    print(header)
    for r in rows:
        print(
            f"{r['synchronous']:<8}{r['concurrency']:>6}{r['awards_per_s']:>11.0f}"
            f"{r['award_p50_ms']:>9.2f}{r['award_p99_ms']:>9.2f}{r['redeems_per_s']:>11.0f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"ops": args.ops, "rows": rows}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
