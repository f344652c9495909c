"""Benchmark of the console's figures: a million usage events into SQLite, then each figure
query timed.

The store keeps per-day counters, not raw events (server/store/sqlite/usage.py), so a query's
cost follows the days and subjects in its range, not the street's traffic. This bench checks
that claim: it writes ``--events`` usages (default 1,000,000) over ``--days`` days for
``--quizzes`` quizzes and ``--quests`` quests, in batches as the learning loop writes them, then
times each figure query ``--repeat`` times (median); a fifth of the events are the inclusion
figures' (a visitor counted, or one of their settings), read per day as the console does.
Target: each query under 1 s. Prints a table and writes ``bench-results/figures.json``.

Usage: python -m tools.bench.figures [--events 1000000] [--days 365] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from server.store.sqlite.store import SQLiteStore
from srichan_world.world import figures, inclusion
from srichan_world.world.figures import Usage

BATCH = 2_000
"""Usages per write: about what a busy street tallies in one watcher round."""


def usages(rng: random.Random, n: int, quizzes: int, quests: int) -> list[Usage]:
    out = []
    for _ in range(n):
        q = f"q-{rng.randrange(quizzes):03d}"
        pick = rng.random()
        if pick < 0.2:  # the inclusion figures: a visitor counted, or one of their settings
            if pick < 0.04:
                out.append(Usage(inclusion.VISITORS, ""))
            else:
                setting, value = rng.choice(inclusion.COLUMNS)
                out.append(Usage(inclusion.SETTING, setting, value))
            continue
        pick = (pick - 0.2) / 0.8
        if pick < 0.4:
            out.append(Usage(figures.QUIZ_OPEN, q))
        elif pick < 0.7:
            out.append(Usage(figures.QUIZ_FIRST, q, rng.choice(("right", "wrong"))))
        elif pick < 0.85:
            out.append(Usage(figures.QUIZ_SOLVED, q, "", rng.randint(1, 3)))
        else:
            quest = f"quest-{rng.randrange(quests):02d}"
            out.append(Usage(figures.QUEST_STEP, quest, str(rng.randint(1, 6))))
    return out


async def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    store = await SQLiteStore.open(str(folder / "figures.db"))
    rng = random.Random(13)
    last = dt.date(2026, 12, 31)
    day_names = [(last - dt.timedelta(days=i)).isoformat() for i in range(args.days)]
    started = time.perf_counter()
    written = 0
    while written < args.events:
        n = min(BATCH, args.events - written)
        await store.count_usage(rng.choice(day_names), usages(rng, n, args.quizzes, args.quests))
        written += n
    fill_s = time.perf_counter() - started
    queries = {
        "learning, 1 day": (day_names[0], day_names[0]),
        "learning, 30 days": (day_names[29], day_names[0]),
        "learning, 365 days": (day_names[min(364, args.days - 1)], day_names[0]),
    }
    results: dict[str, Any] = {}
    for name, (first, end) in {
        "inclusion, 30 days": (day_names[29], day_names[0]),
        "inclusion, 365 days": (day_names[min(364, args.days - 1)], day_names[0]),
    }.items():
        times, rows = [], 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            daily = await store.usage_by_day(first, end, inclusion.KINDS)
            inclusion.inclusion(daily, first, end)
            times.append(time.perf_counter() - t0)
            rows = len(daily)
        results[name] = {"median_s": statistics.median(times), "max_s": max(times), "keys": rows}
    for name, (first, end) in queries.items():
        times, rows = [], 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            counters = await store.usage_totals(first, end)
            figures.learning(counters)
            times.append(time.perf_counter() - t0)
            rows = len(counters)
        results[name] = {"median_s": statistics.median(times), "max_s": max(times), "keys": rows}
    await store.close()
    size = (folder / "figures.db").stat().st_size
    return {
        "events": args.events,
        "days": args.days,
        "quizzes": args.quizzes,
        "quests": args.quests,
        "repeat": args.repeat,
        "fill_s": fill_s,
        "events_per_s": args.events / fill_s,
        "db_bytes": size,
        "queries": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--quizzes", type=int, default=120)
    parser.add_argument("--quests", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench-results/figures.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args, Path(tmp)))
    print(
        f"{result['events']:,} events over {result['days']} days written in "
        f"{result['fill_s']:.1f} s ({result['events_per_s']:,.0f}/s); "
        f"database {result['db_bytes'] / 1e6:.1f} MB"
    )
    print(f"{'query':<22}{'median s':>10}{'max s':>10}{'keys':>8}")
    for name, r in result["queries"].items():
        print(f"{name:<22}{r['median_s']:>10.4f}{r['max_s']:>10.4f}{r['keys']:>8,}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
