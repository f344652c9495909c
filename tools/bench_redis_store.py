"""Benchmark of the Redis store next to SQLite: awards and redemptions per second, p50/p99.

Starts its own redis-servers on free loopback ports (AOF ``always`` and ``everysec``, and a
3-master cluster with AOF ``everysec``), runs the same workload on each and on SQLite with
``synchronous=FULL``, prints a table and writes ``bench-results/redis_store.json``.
Usage: python -m tools.bench_redis_store [--ops 400] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from server.store import Store, open_store
from srichan_world.world.ledger import Transfer, shop_account, visitor_account
from srichan_world.world.quizzes import QuizBook, QuizDesk, QuizPrompt
from tools import redis_servers
from tools.bench_store import QUIZ, SECRET


def _aof(fsync: str) -> tuple[str, ...]:
    return ("--save", "", "--appendonly", "yes", "--appendfsync", fsync)


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
        answers.append(desk.answer(v, QUIZ.id, 0, (0.0, 0.0), 1.0))
    start = time.perf_counter()
    await asyncio.gather(*(timed(lambda a=a: store.record_answer(a, 500)) for a in answers))
    award_s = time.perf_counter() - start
    award_lat = sorted(latencies)
    latencies.clear()
    redeems = [
        Transfer(f"redeem-{v}", visitor_account(v), shop_account("B01"), 1, "redeem", 2.0)
        for v in visitors
    ]
    start = time.perf_counter()
    await asyncio.gather(*(timed(lambda t=t: store.transfer(t)) for t in redeems))
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


def _server_cpu_s(servers: list[redis_servers.RedisServer]) -> float:
    """CPU seconds the redis-server processes have used so far (INFO cpu)."""
    total = 0.0
    for server in servers:
        with server.client() as c:
            info = c.info("cpu")
        total += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    return total


async def run(folder: Path, ops: int) -> list[dict[str, Any]]:
    """Every store kind at concurrency 1 and 32; servers are stopped whatever happens."""
    standalone = {
        "redis AOF always": redis_servers.start_server(folder / "always", _aof("always")),
        "redis AOF everysec": redis_servers.start_server(folder / "everysec", _aof("everysec")),
    }
    cluster = redis_servers.start_cluster(folder / "cluster")
    for node in cluster.nodes:  # the cluster starts without persistence; turn AOF on
        with node.client() as c:
            c.config_set("appendonly", "yes")
            c.config_set("appendfsync", "everysec")
    kinds: dict[str, tuple[str, list[redis_servers.RedisServer]]] = {
        "sqlite FULL": (f"sqlite:///{folder}/bench.db", [])
    }
    kinds |= {name: (server.url, [server]) for name, server in standalone.items()}
    kinds["redis cluster ×3 everysec"] = (cluster.url, list(cluster.nodes))
    rows = []
    try:
        for name, (url, servers) in kinds.items():
            for concurrency in (1, 32):
                store = await open_store(url)
                cpu = _server_cpu_s(servers)
                try:
                    result = await measure(store, ops, concurrency, f"{len(rows)}")
                finally:
                    await store.close()
                # Redis CPU per visitor: register, read attempts, award, redeem, audit share.
                result["redis_cpu_ms_per_visitor"] = (_server_cpu_s(servers) - cpu) * 1000 / ops
                rows.append({"store": name, "concurrency": concurrency} | result)
    finally:
        for server in standalone.values():
            server.stop()
        cluster.stop()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=400)
    parser.add_argument("--dir", type=Path, default=None, help="where servers and files go")
    parser.add_argument("--out", type=Path, default=Path("bench-results/redis_store.json"))
    args = parser.parse_args()
    reason = redis_servers.available()
    if reason:
        parser.error(reason)
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        rows = await run(Path(folder), args.ops)
    header = (
        f"{'store':<28}{'conc':>5}{'awards/s':>10}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'redeems/s':>11}{'p50 ms':>8}{'p99 ms':>8}{'cpu ms/vis':>11}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['store']:<28}{r['concurrency']:>5}{r['awards_per_s']:>10.0f}"
            f"{r['award_p50_ms']:>8.2f}{r['award_p99_ms']:>8.2f}{r['redeems_per_s']:>11.0f}"
            f"{r['redeem_p50_ms']:>8.2f}{r['redeem_p99_ms']:>8.2f}"
            f"{r['redis_cpu_ms_per_visitor']:>11.3f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"ops": args.ops, "rows": rows}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
