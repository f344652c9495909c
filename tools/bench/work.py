"""Benchmark of the proof of work a new visitor identity pays: what minting identities costs.

Solves ``--count`` challenges (distinct visitor ids, the server's own :class:`WorkGate`) in
Python with hashlib, as an attacker's script would, for each difficulty in ``--bits``, and
checks every proof. Prints a table (median and 95th percentile seconds per identity, the
total for the count, the hashes tried) and writes JSON. The browser's figure comes from
tests/browser/test_identity_work.py (Chromium, phone profile).

Usage: .venv/bin/python -m tools.bench.work [--json bench-results/work.json] [--count 1000]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from srichan_world.world.work import DEFAULT_BITS, WorkGate, solve  # noqa: E402

NOW = 1_800_000_000.0


def mint(bits: int, count: int) -> dict[str, float]:
    """Solve ``count`` challenges at ``bits``: seconds per identity and hashes tried."""
    gate = WorkGate(b"bench-key-" + b"k" * 22, bits)
    times: list[float] = []
    hashes = 0
    for n in range(count):
        visitor_id = f"bench-{n:08d}"
        challenge = gate.issue(visitor_id, NOW)
        t0 = time.perf_counter()
        nonce = solve(challenge.text, bits)
        times.append(time.perf_counter() - t0)
        gate.verify(visitor_id, challenge.text, nonce, NOW)
        hashes += int(nonce) + 1
    times.sort()
    return {
        "bits": bits,
        "count": count,
        "median_s": statistics.median(times),
        "p95_s": times[int(0.95 * (count - 1))],
        "total_s": sum(times),
        "mean_hashes": hashes / count,
        "us_per_hash": sum(times) / hashes * 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "work.json")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--bits", type=int, nargs="+", default=[DEFAULT_BITS])
    args = parser.parse_args(argv)
    rows = [mint(bits, args.count) for bits in args.bits]
    print(f"{'bits':>4} {'count':>6} {'median s':>9} {'p95 s':>7} {'total s':>8} {'µs/hash':>8}")
    for r in rows:
        print(
            f"{r['bits']:>4} {r['count']:>6} {r['median_s']:>9.3f} {r['p95_s']:>7.3f} "
            f"{r['total_s']:>8.1f} {r['us_per_hash']:>8.2f}"
        )
    report = {"python": platform.python_version(), "machine": platform.machine(), "rows": rows}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
