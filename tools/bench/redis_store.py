"""Benchmark of the Redis store next to SQLite: awards and redemptions per second, p50/p99.

Starts its own redis-servers on free loopback ports (AOF ``always`` and ``everysec``, and a
3-master cluster with AOF ``everysec``), runs the same workload on each and on SQLite with
``synchronous=FULL``, prints a table and writes ``bench-results/redis_store.json``.
Usage: python -m tools.bench.redis_store [--ops 400] [--dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from server.store import open_store
from tools import redis_servers
from tools.bench.store import measure


def _aof(fsync: str) -> tuple[str, ...]:
    return ("--save", "", "--appendonly", "yes", "--appendfsync", fsync)


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
    rows: list[dict[str, Any]] = []
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
