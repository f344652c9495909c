"""Benchmark of the SQLite store: awards and redemptions per second, FULL vs NORMAL sync.

Justifies ``synchronous=FULL`` (see server/store/sqlite.py): prints a table and writes
``bench-results/store.json``. Usage: python -m tools.bench_store [--ops 400] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from server.store.sqlite import SYNCHRONOUS, SQLiteStore
from srichan_world.scene.model import QuizPoint, Text
from srichan_world.world.ledger import Transfer, shop_account, visitor_account
from srichan_world.world.quizzes import QuizBook, QuizDesk, QuizPrompt

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


async def measure(folder: Path, synchronous: str, ops: int, concurrency: int) -> dict[str, float]:
    """Answer ``ops`` quizzes (one visitor each, correct, so each is an award) and redeem once
    per visitor, ``concurrency`` requests in flight."""
    store = await SQLiteStore.open(
        folder / f"bench-{synchronous}-{concurrency}.db", synchronous=synchronous
    )
    desk = QuizDesk(QuizBook([QUIZ]))
    visitors = [f"bench-visitor-{i:06d}" for i in range(ops)]
    for v in visitors:
        await store.register_visitor(v, SECRET, 0.0)
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)

    async def timed(coro) -> None:  # type: ignore[no-untyped-def]
        async with semaphore:
            start = time.perf_counter()
            await coro
            latencies.append(time.perf_counter() - start)

    answers = []
    for v in visitors:
        prompt = desk.open(v, QUIZ.id, (0.0, 0.0), 1.0, await store.quiz_attempts(v, "x"), v)
        assert isinstance(prompt, QuizPrompt)
        answers.append(desk.answer(v, QUIZ.id, 0, (0.0, 0.0), 1.0))
    start = time.perf_counter()
    await asyncio.gather(*(timed(store.record_answer(a, 500)) for a in answers))  # type: ignore[arg-type]
    award_s = time.perf_counter() - start
    award_lat = sorted(latencies)
    latencies.clear()
    redeems = [
        Transfer(f"redeem-{v}", visitor_account(v), shop_account("B01"), 1, "redeem", 2.0)
        for v in visitors
    ]
    start = time.perf_counter()
    await asyncio.gather(*(timed(store.transfer(t)) for t in redeems))
    redeem_s = time.perf_counter() - start
    report = await store.audit()
    await store.close()
    assert report.ok, report.problems
    return {
        "awards_per_s": ops / award_s,
        "award_p50_ms": statistics.median(award_lat) * 1000,
        "award_p99_ms": award_lat[int(len(award_lat) * 0.99) - 1] * 1000,
        "redeems_per_s": ops / redeem_s,
    }


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
                result = await measure(Path(folder), synchronous, args.ops, concurrency)
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
