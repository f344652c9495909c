"""Benchmark of data protection: one visitor's export and erasure, and the retention purge, on
a store holding ``--statements`` xAPI statements (default 50,000) of ``--visitors`` visitors.

The raw learning events (statements) are the one family a store finds by scanning: SQLite
reads ``json_extract`` over the table, Redis reads every statement's body (``HSCAN``), so an
export or an erasure costs time in proportion to the statements kept, and the purge keeps
that number bounded. This bench measures it on SQLite and (when ``redis-server`` is
installed) a fresh Redis, each operation ``--repeat`` times on different visitors (median).
The first half of the statements is older than the retention (written first: a store files
statements in the order they come), so the purge removes half. Prints a table
and writes ``bench-results/privacy.json``.

Usage: python -m tools.bench.privacy [--statements 50000] [--visitors 1000] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from server.services.privacy import Privacy
from server.store import Store, open_store
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from srichan_world.world.privacy import Retention
from tools import redis_servers

SECRET = "bench-secret-0123456789abcdef"
DAY_S = 86_400.0


def visitor(n: int) -> str:
    return f"bench-visitor-{n:06d}"


async def fill(store: Store, args: argparse.Namespace) -> float:
    now = time.time()
    started = time.perf_counter()
    for n in range(args.visitors):
        await store.register_visitor(visitor(n), SECRET, now)
        await store.set_nickname(visitor(n), f"ผู้เรียน {n}")
        gift = Transfer(f"gift-{n}", CITY_POOL, visitor_account(visitor(n)), 10, "gift", now)
        await store.transfer(gift)
    for first in range(0, args.statements, 20):
        batch = []
        for i in range(first, min(first + 20, args.statements)):
            at = now - (400 if i < args.statements // 2 else 10) * DAY_S  # half past 365 days
            statement = {
                "id": str(uuid.UUID(int=i)),
                "actor": {"objectType": "Agent", "account": {"name": visitor(i % args.visitors)}},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
                "timestamp": at,
            }
            batch.append(store.keep_statement(statement, at))
        await asyncio.gather(*batch)
    return time.perf_counter() - started


async def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    store = await open_store(url)
    try:
        fill_s = await fill(store, args)
        privacy = Privacy(store, Retention())
        timings: dict[str, list[float]] = {"export": [], "erase": []}
        for n in range(args.repeat):
            t0 = time.perf_counter()
            doc = await privacy.export(visitor(n))
            timings["export"].append(time.perf_counter() - t0)
            assert doc["found"] and doc["statements"]
            t0 = time.perf_counter()
            done = await privacy.erase(visitor(n), "bench")
            timings["erase"].append(time.perf_counter() - t0)
            assert done["erased"]
        t0 = time.perf_counter()
        purged = await privacy.purge("bench")
        purge_s = time.perf_counter() - t0
        audit_ok = (await store.audit()).ok
    finally:
        await store.close()
    return {
        "fill_s": fill_s,
        "export_median_s": statistics.median(timings["export"]),
        "erase_median_s": statistics.median(timings["erase"]),
        "purge_s": purge_s,
        "purged": purged["removed"],
        "audit_ok": audit_ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=50_000)
    parser.add_argument("--visitors", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench-results/privacy.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {
        "statements": args.statements,
        "visitors": args.visitors,
        "load": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = asyncio.run(measure(f"sqlite:///{tmp}/privacy.db", args))
        if redis_servers.available() is None:
            server = redis_servers.start_server(Path(tmp) / "redis")
            try:
                results["redis"] = asyncio.run(measure(server.url, args))
            finally:
                server.stop()
    print(
        f"{args.statements:,} statements of {args.visitors:,} visitors; "
        f"load {results['load'][0]:.2f}"
    )
    print(f"{'store':<8}{'fill s':>9}{'export s':>10}{'erase s':>9}{'purge s':>9}  purged")
    for kind in ("sqlite", "redis"):
        if kind in results:
            r = results[kind]
            print(
                f"{kind:<8}{r['fill_s']:>9.1f}{r['export_median_s']:>10.3f}"
                f"{r['erase_median_s']:>9.3f}{r['purge_s']:>9.2f}  {r['purged']['statements']:,}"
                f"{'' if r['audit_ok'] else '  AUDIT FAILED'}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
