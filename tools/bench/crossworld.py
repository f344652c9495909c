"""What sharing the street costs the rules: two presence worlds exchanging their news in one
process, against one world with the same walkers.

    python -m tools.bench.crossworld                 # 1,000 walkers, 60 ticks, best of 5
    python -m tools.bench.crossworld --clients 500,1000,2000 --profile
    python -m tools.bench.crossworld --spread --zoned   # the crowd spread, and zoned worlds

No sockets, no Redis, no event loop: the worlds of tools/bench/scale.py's two workers, with the
relay's own encoding (``encode_news`` / ``decode_news``) between them, so the figure is the
rules' part of the two-worker overhead alone, measured in process CPU time (steadier than the
socket benchmarks on a busy machine). Walkers take a small random step every tick on the
real street (the presence benchmark's spread spawns; the worlds start them at the first
quest unless ``--spread``). ``--zoned`` adds two zoned worlds (``--zoning zoned``): each keeps
the walkers of its half of the street and hears only the cells its visitors watch, as the
relay's subscriptions do. ``--profile`` adds the functions whose time grew most from one
world to two (cProfile). Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack

from server.bus.presence_relay import decode_news, encode_news, lane_ids
from srichan_world.protocol.codec import encode
from srichan_world.protocol.messages import Hello
from srichan_world.scene.manifest import Manifest
from srichan_world.world.presence import PresenceSettings, PresenceWorld
from tools.bench.presence import DEFAULT_SCENE, _bench_manifest

DEFAULT_JSON = Path("bench-results/crossworld.json")
WARMUP = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", default="1000", help="walkers, comma list")
    parser.add_argument("--ticks", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the best counts")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--spread", action="store_true", help="start walkers spread out")
    parser.add_argument("--zoned", action="store_true", help="also two zoned worlds")
    parser.add_argument("--scene", type=Path, default=DEFAULT_SCENE)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)


class _Walkers:
    def __init__(
        self,
        manifest: Manifest,
        lane: int | None,
        n: int,
        first_sid: int,
        settings: PresenceSettings | None = None,
    ) -> None:
        self.world = PresenceWorld(manifest, settings or PresenceSettings(max_speed=50.0))
        if lane is not None:
            self.world.share(*lane_ids(lane))
        self.lane = lane or 0
        self.sids = list(range(first_sid, first_sid + n))
        for i, sid in enumerate(self.sids):
            self.world.connect(sid, 0.0)
            self.world.receive(sid, encode(Hello(1, f"b{i}", (1, 2, 3), cid=1)), 0.0)
        zones = self.world.zones
        if zones is not None:  # zoned: only the walkers of this world's stretch stay
            for sid in list(self.sids):
                a = self.world.sessions[sid].avatar
                if a is not None and zones.zone_of(a.x) != zones.home:
                    self.world.disconnect(sid, 0.0, goodbye=True)
                    self.sids.remove(sid)

    def step(self, t: float, rng: random.Random) -> None:
        w = self.world
        for sid in self.sids:
            a = w.sessions[sid].avatar
            assert a is not None
            x, z = a.x + rng.uniform(-0.4, 0.4), a.z + rng.uniform(-0.4, 0.4)
            if w.walk.contains(x, z):
                w.receive(sid, msgpack.packb([3, None, x, z, 90.0, 1]), t)

    def tell(self, other: _Walkers, tick: int, watched: set[int] | None = None) -> set[int]:
        """This world's news to ``other`` (only the cells in ``watched``, when given, as a
        relay subscribed to them hears); returns the cells this world's visitors watch."""
        news = self.world.take_news(lambda c: c % 10 == tick % 10)
        for cell, item in news.cells.items():
            if watched is not None and cell not in watched:
                continue
            message = encode_news(self.lane, item, ask=False)
            _, updates, records, enters, leaves, _, _ = decode_news(message)
            other.world.remote_news(cell, updates, enters, leaves, records, tick * 0.1)
        return news.watched


def _timed(ticks: int, step: Callable[[int], None], prof: cProfile.Profile | None) -> float:
    for k in range(WARMUP):
        step(k)
    if prof is not None:
        prof.enable()
    started = time.process_time()
    for k in range(WARMUP, WARMUP + ticks):
        step(k)
    spent = time.process_time() - started
    if prof is not None:
        prof.disable()
    return spent


def _settings(spread: bool, zone: int | None = None) -> PresenceSettings:
    zoned = {} if zone is None else {"zones": 2, "zone": zone}
    return PresenceSettings(
        max_speed=50.0, start_at_first_quest=not spread, max_avatars=6000, **zoned
    )


def one_world(
    manifest: Manifest,
    n: int,
    ticks: int,
    prof: cProfile.Profile | None = None,
    spread: bool = False,
) -> float:
    rng = random.Random(1)
    w = _Walkers(manifest, None, n, 1, _settings(spread))

    def step(k: int) -> None:
        w.step(k * 0.1, rng)
        w.world.tick(k * 0.1)

    return _timed(ticks, step, prof)


def _pair(
    a: _Walkers, b: _Walkers, ticks: int, prof: cProfile.Profile | None, zoned: bool
) -> float:
    """Two worlds ticking together, each telling the other its news: all of it, or (zoned)
    only the cells the other's visitors watch, as its relay's subscriptions would."""
    rng = random.Random(1)
    watched: list[set[int] | None] = [set(), set()] if zoned else [None, None]

    def step(k: int) -> None:
        t = k * 0.1
        a.step(t, rng)
        b.step(t, rng)
        a.world.collect()
        b.world.collect()
        seen_by_a = a.tell(b, k, watched[1])
        seen_by_b = b.tell(a, k, watched[0])
        if zoned:
            watched[:] = [seen_by_a, seen_by_b]
        a.world.tick(t)
        b.world.tick(t)

    return _timed(ticks, step, prof)


def zoned_worlds(manifest: Manifest, n: int, ticks: int) -> tuple[float, int]:
    """Two zoned worlds on one spread crowd: (CPU seconds, walkers kept in all)."""
    a = _Walkers(manifest, 1, n, 1, _settings(True, zone=0))
    b = _Walkers(manifest, 2, n, 100_000, _settings(True, zone=1))
    return _pair(a, b, ticks, None, zoned=True), len(a.sids) + len(b.sids)


def two_worlds(
    manifest: Manifest,
    n: int,
    ticks: int,
    prof: cProfile.Profile | None = None,
    spread: bool = False,
) -> float:
    a = _Walkers(manifest, 1, n // 2, 1, _settings(spread))
    b = _Walkers(manifest, 2, n - n // 2, 100_000, _settings(spread))
    return _pair(a, b, ticks, prof, zoned=False)


def _grown(manifest: Manifest, n: int, ticks: int) -> list[dict[str, Any]]:
    def table(prof: cProfile.Profile) -> dict[str, float]:
        stats: Any = pstats.Stats(prof)
        return {f"{f.split('/')[-1]}:{name}": v[2] for (f, _, name), v in stats.stats.items()}

    p1, p2 = cProfile.Profile(), cProfile.Profile()
    one_world(manifest, n, ticks, p1)
    two_worlds(manifest, n, ticks, p2)
    a, b = table(p1), table(p2)
    rows = sorted(((b.get(k, 0.0) - a.get(k, 0.0), k) for k in set(a) | set(b)), reverse=True)
    return [
        {
            "function": k,
            "one_ms": round(a.get(k, 0.0) * 1e3, 1),
            "two_ms": round(b.get(k, 0.0) * 1e3, 1),
        }
        for _, k in rows[:10]
    ]


def main(args: argparse.Namespace) -> int:
    gc.set_threshold(PresenceSettings().gc_threshold, *gc.get_threshold()[1:])  # as the server
    manifest = Manifest.parse(_bench_manifest(args.scene))
    sizes = [int(v) for v in args.clients.split(",")]
    rows = []
    zoned_head = f" {'zoned µs/c/t':>13} {'ratio':>6}" if args.zoned else ""
    print(f"{'clients':>8} {'one µs/c/t':>11} {'two µs/c/t':>11} {'ratio':>6}{zoned_head}")
    for n in sizes:
        one = two = zoned = float("inf")
        kept = n
        for _ in range(args.repeat):  # alternated, the best of each
            one = min(one, one_world(manifest, n, args.ticks, spread=args.spread))
            two = min(two, two_worlds(manifest, n, args.ticks, spread=args.spread))
            if args.zoned:
                spent, kept = zoned_worlds(manifest, n, args.ticks)
                zoned = min(zoned, spent)
        per = n * args.ticks / 1e6
        row: dict[str, Any] = {
            "clients": n,
            "one_us_per_client_tick": round(one / per, 2),
            "two_us_per_client_tick": round(two / per, 2),
            "ratio": round(two / one, 3),
        }
        line = f"{n:>8} {row['one_us_per_client_tick']:>11} {row['two_us_per_client_tick']:>11} "
        line += f"{row['ratio']:>6}"
        if args.zoned:
            row["zoned_walkers"] = kept
            row["zoned_us_per_client_tick"] = round(zoned / (kept * args.ticks / 1e6), 2)
            row["zoned_ratio"] = round(row["zoned_us_per_client_tick"] / (one / per), 3)
            line += f" {row['zoned_us_per_client_tick']:>13} {row['zoned_ratio']:>6}"
        print(line)
        if args.profile:
            row["grown"] = _grown(manifest, n, args.ticks)
            for g in row["grown"]:
                print(
                    f"    {g['function']:50s} one {g['one_ms']:8.1f} ms  two {g['two_ms']:8.1f} ms"
                )
        rows.append(row)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "settings": vars(args) | {"scene": str(args.scene), "json": str(args.json)},
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
