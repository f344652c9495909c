"""Benchmark of Open Badges: issuing (sign + keep, SQLite), checking, and the sizes a visitor
downloads. Prints a table and writes ``bench-results/badges.json``.

Usage: python -m tools.bench.badges [--badges 300] [--dir DIR]

Issuing is what a completed quest adds to the answer that completed it; checking is what each
view of a verification page costs the server (signature, claims, the status list's signature
and bit). Medians and 95th percentiles of one run, milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from server.services.badges import BadgeIssuer
from server.store.sqlite.store import SQLiteStore
from srichan_world.scene.model import Quest, QuestStep, Text
from srichan_world.world.badges.achievements import achievements_of
from srichan_world.world.badges.baking import badge_svg, bake
from srichan_world.world.badges.credential import Issuer
from srichan_world.world.badges.records import Grant
from srichan_world.world.badges.verify import check

QUEST = Quest(
    id="learning-city-101",
    title=Text("เมืองแห่งการเรียนรู้ 101", "Learning City 101"),
    description=Text("เริ่มที่ประตูเมือง แล้วตามรอยเส้นทาง", "Start at the City Gate and follow."),
    order="ordered",
    bonus=50,
    steps=(QuestStep("visit", "city-gate"), QuestStep("quiz", "q-gate")),
)


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 3),
    }


async def run(badges: int, folder: Path) -> dict[str, Any]:
    store = await SQLiteStore.open(folder / "badges.db")
    try:
        achievements = achievements_of([QUEST])
        issuer = BadgeIssuer(Issuer("https://srichan.example"), achievements)
        await issuer.start(store)
        achievement = next(iter(achievements))
        issue_times, tokens = [], []
        for i in range(badges):
            t0 = time.perf_counter()
            badge = await issuer.issue(Grant(f"bench-{i:06d}", achievement, "quest", time.time()))
            issue_times.append(time.perf_counter() - t0)
            tokens.append(badge)
        for badge in tokens[: badges // 10]:
            await store.revoke_badge(badge.credential_id, time.time())
        now = time.time()
        t0 = time.perf_counter()
        status_token = await issuer.status_token(now)
        status_time = time.perf_counter() - t0
        jwks = await issuer.jwks()
        check_times = []
        for badge in tokens:
            t0 = time.perf_counter()
            result = check(
                badge.token, jwks, now, issuer_id=issuer.issuer.id, status_token=status_token
            )
            check_times.append(time.perf_counter() - t0)
            assert result.verdict in ("valid", "revoked"), result
        baked = bake(badge_svg(achievements[achievement]), tokens[0].token)
        return {
            "badges": badges,
            "issue": _ms(issue_times),
            "check": _ms(check_times),
            "status_list_sign_ms": round(status_time * 1000, 3),
            "credential_bytes": len(tokens[0].token),
            "baked_svg_bytes": len(baked.encode("utf-8")),
            "status_list_bytes": len(status_token),
            "revoked": badges // 10,
        }
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--badges", type=int, default=300)
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.badges, args.dir or Path(tmp)))
    print(f"{'what':<34}{'median ms':>12}{'p95 ms':>10}")
    for name in ("issue", "check"):
        row = result[name]
        print(f"{name + ' (one badge)':<34}{row['median_ms']:>12}{row['p95_ms']:>10}")
    print(f"{'sign the status list (once)':<34}{result['status_list_sign_ms']:>12}")
    for name in ("credential_bytes", "baked_svg_bytes", "status_list_bytes"):
        print(f"{name:<34}{result[name]:>12}")
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    (out / "badges.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
