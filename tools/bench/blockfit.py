"""What crowded observers see, and what it costs, with fixed and fitted block sizes.

    python -m tools.bench.blockfit                    # three crowds, the three block rules
    python -m tools.bench.blockfit --ticks 30 --spread 1000 --festival 300

Crowded observers in one block share the K + 1 avatars nearest to the block's centre
(srichan_world/world/presence/frames.py), chosen again every so often, so an observer far
from its block's centre, or a block whose choice has aged in a walking crowd, may miss
someone standing close to it. This measures, for each block rule, on the real street:

* ``near20``: the share of each observer's own 20 nearest avatars its client sees (mean);
* ``all20``: the share of observers that see all 20 of them;
* ``miss p10/p50``: how far away the nearest avatar an observer misses stands (metres);
* ``µs/c/t``: the rules' process CPU time per client-tick (no sockets, as crossworld.py).

The views are sampled every half second after the first second. Three crowds: ``spread``
along the street and a ``festival`` in a 50 m square around Hug Mall, both taking small
random steps every tick, and the same festival ``walking`` at 1.4 m/s in all directions.
Rules: one fixed 8 m block chosen every 2 s (before), fixed 16 m, fitted blocks chosen every
2 s, and fitted (the default settings: blocks and how often they are chosen fit the crowd).
Prints a table, writes JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from srichan_world.scene.manifest import Manifest
from srichan_world.world.presence import PresenceSettings
from tools.bench.crossworld import _settings, _Walkers
from tools.bench.presence import DEFAULT_SCENE, _bench_manifest

DEFAULT_JSON = Path("bench-results/blockfit.json")
FESTIVAL = (265.0, -5.0, 25.0)
"""Centre x, z and half-side of the festival crowd's square (around Hug Mall)."""
NEAREST = 20
FIXED = {"knn_refresh_s_per_m": 0.0}  # chosen again every 2 s, whatever the crowd
RULES: dict[str, dict[str, float]] = {
    "fixed 8 m": {"knn_block_m": 8.0, "knn_block_min_m": 8.0} | FIXED,  # the rule before
    "fixed 16 m": {"knn_block_m": 16.0, "knn_block_min_m": 16.0} | FIXED,
    "fitted, 2 s": FIXED,  # fitted blocks, chosen again every 2 s
    "fitted": {},  # 16 m halved down to 2 m, chosen again sooner as the crowd thickens (--fit)
}
WALK_M_S = 1.4
WARM = 10
SAMPLE_EVERY = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spread", type=int, default=2000, help="walkers along the street")
    parser.add_argument("--festival", type=int, default=600, help="walkers around one landmark")
    parser.add_argument("--ticks", type=int, default=60, help="ticks timed (views sampled)")
    parser.add_argument("--fit", type=float, default=PresenceSettings().knn_block_fit)
    parser.add_argument("--scene", type=Path, default=DEFAULT_SCENE)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)


def _places(w: _Walkers, n: int, rng: random.Random, festival: bool) -> None:
    """Stand the walkers at random walkable points of the crowd's area."""
    walk = w.world.walk
    cx, cz, half = FESTIVAL
    placed = 0
    for sid in w.sids:
        while True:
            if festival:
                x, z = cx + rng.uniform(-half, half), cz + rng.uniform(-half, half)
            else:
                x, z = rng.uniform(0.0, 640.0), rng.uniform(-40.0, 40.0)
            if walk.contains(x, z):
                break
        a = w.world.sessions[sid].avatar
        assert a is not None
        a.x, a.z = x, z
        if not a.dirty:  # as a move does: the next tick files it into its cell
            a.dirty = True
            w.world.dirty.append(a)
        placed += 1
    assert placed == n


def _walk(w: _Walkers, t: float, rng: random.Random, heading: dict[int, float]) -> None:
    """Everyone walks at 1.4 m/s in their own direction, turning at the square's edge."""
    world = w.world
    cx, cz, half = FESTIVAL
    step = WALK_M_S / 10
    for sid in w.sids:
        a = world.sessions[sid].avatar
        assert a is not None
        d = heading.setdefault(sid, rng.uniform(0.0, 2 * math.pi))
        x, z = a.x + step * math.cos(d), a.z + step * math.sin(d)
        if abs(x - cx) > half or abs(z - cz) > half or not world.walk.contains(x, z):
            heading[sid] = rng.uniform(0.0, 2 * math.pi)
            continue
        world.receive(sid, msgpack.packb([3, None, x, z, 90.0, 1]), t)


def _views(w: _Walkers) -> tuple[list[float], list[float]]:
    """Each observer's share of its 20 nearest that it sees, and how far away the nearest
    one it misses stands (for those who miss one)."""
    avatars = [w.world.sessions[sid].avatar for sid in w.sids]
    ids = np.array([a.id for a in avatars if a is not None])
    xz = np.array([(a.x, a.z) for a in avatars if a is not None])
    seen: list[float] = []
    missed_at: list[float] = []
    for i, a in enumerate(avatars):
        assert a is not None
        d2 = ((xz - xz[i]) ** 2).sum(axis=1)
        d2[i] = np.inf
        nearest = np.argsort(d2)[:NEAREST]
        missing = [j for j in nearest if int(ids[j]) not in a.visible]
        seen.append(1.0 - len(missing) / NEAREST)
        if missing:
            missed_at.append(float(np.sqrt(d2[missing[0]])))
    return seen, missed_at


def measure(
    manifest: Manifest, crowd: str, n: int, rule: dict[str, float], ticks: int
) -> dict[str, Any]:
    """Run ``ticks`` ticks; the views are sampled every ``SAMPLE_EVERY`` ticks after the
    first ``WARM`` (outside the timed part), so a choice's age shows."""
    rng = random.Random(3)
    settings: PresenceSettings = replace(_settings(spread=True), **rule)
    w = _Walkers(manifest, None, n, 1, settings)
    _places(w, n, rng, crowd != "spread")
    heading: dict[int, float] = {}
    spent = 0.0
    seen: list[float] = []
    missed_at: list[float] = []
    for k in range(ticks):
        started = time.process_time()
        if crowd == "festival walking":
            _walk(w, k * 0.1, rng, heading)
        else:
            w.step(k * 0.1, rng)
        w.world.tick(k * 0.1)
        spent += time.process_time() - started
        if k >= WARM and (k - WARM) % SAMPLE_EVERY == 0:
            got, missed = _views(w)
            seen += got
            missed_at += missed
    world = w.world
    levels = Counter(
        world.block_sizes[world.block_level[c]] for c in range(len(world.cells)) if world.cells[c]
    )
    return {
        "crowd": crowd,
        "walkers": n,
        "us_per_client_tick": round(spent / (n * ticks) * 1e6, 2),
        "near20": round(float(np.mean(seen)), 4),
        "all20": round(float(np.mean(np.array(seen) == 1.0)), 4),
        "miss_p10_m": round(float(np.percentile(missed_at, 10)), 1) if missed_at else None,
        "miss_p50_m": round(float(np.median(missed_at)), 1) if missed_at else None,
        "cells_by_block_m": {str(k): v for k, v in sorted(levels.items())},
    }


def main(args: argparse.Namespace) -> int:
    if args.ticks <= WARM:
        sys.stderr.write(f"--ticks: more than {WARM}, the ticks before the views are sampled\n")
        return 2
    gc.set_threshold(PresenceSettings().gc_threshold, *gc.get_threshold()[1:])  # as the server
    manifest = Manifest.parse(_bench_manifest(args.scene))
    rows = []
    print(
        f"{'crowd':>16} {'walkers':>8} {'blocks':>12} {'µs/c/t':>7} {'near20':>7} "
        f"{'all20':>6} {'miss p10/p50 m':>15}  cells by block size"
    )
    crowds = (
        ("spread", args.spread),
        ("festival", args.festival),
        ("festival walking", args.festival),
    )
    for crowd, n in crowds:
        for name, rule in RULES.items():
            rule = {"knn_block_fit": args.fit} | rule
            row = {"blocks": name} | measure(manifest, crowd, n, rule, args.ticks)
            rows.append(row)
            miss = f"{row['miss_p10_m']}/{row['miss_p50_m']}" if row["miss_p10_m"] else "-"
            print(
                f"{row['crowd']:>16} {n:>8} {name:>12} {row['us_per_client_tick']:>7} "
                f"{row['near20']:>7} {row['all20']:>6} {miss:>15}  {row['cells_by_block_m']}"
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = vars(args) | {"scene": str(args.scene), "json": str(args.json)}
    settings.pop("func", None)  # set when run as `srichan bench blockfit`
    args.json.write_text(json.dumps({"settings": settings, "rows": rows}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
