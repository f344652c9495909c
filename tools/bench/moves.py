"""Benchmark of the move check: what checking a move along its segment adds, same run.

Every accepted move used to cost one walkable test of its end point (``WalkMap.contains``);
it now costs one walk of its segment's raster cells (``WalkMap.clear``), which from a walkable
start also answers for the end point. This measures, on the real Sri Chan street and in one
run, the two tests alone and a whole move through ``PresenceWorld.receive`` (decode, rate
limit, speed, the segment), for walking steps (10 moves a second at 1.4 m/s: 0.14 m) and
running ones (8 m/s: 0.8 m) spread over the whole walkable area. Prints a table of medians
and writes JSON.

Usage: .venv/bin/python -m tools.bench.moves [--json bench-results/moves.json] [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from srichan_world.protocol.codec import encode  # noqa: E402
from srichan_world.protocol.messages import Hello, Move  # noqa: E402
from srichan_world.scene.load import load_scene_text  # noqa: E402
from srichan_world.scene.manifest import Manifest, public_manifest  # noqa: E402
from srichan_world.world.presence import PresenceSettings, PresenceWorld  # noqa: E402
from srichan_world.world.walkmap import WalkMap  # noqa: E402

SCENE = ROOT / "scenes" / "srichan.toml"
STEPS = {"walk 0.14 m": 0.14, "run 0.8 m": 0.8}
MOVES = 5_000


def segments(walk: WalkMap, step: float, n: int, seed: int) -> list[tuple[float, ...]]:
    """``n`` steps of length ``step`` in random directions, both ends walkable."""
    rng = random.Random(seed)
    corridor = walk.walkable.corridor
    xs, zs = [p[0] for p in corridor], [p[1] for p in corridor]
    out: list[tuple[float, ...]] = []
    while len(out) < n:
        x, z = rng.uniform(min(xs), max(xs)), rng.uniform(min(zs), max(zs))
        angle = rng.uniform(0, 2 * math.pi)
        x2, z2 = x + step * math.cos(angle), z + step * math.sin(angle)
        if walk.contains(x, z) and walk.contains(x2, z2):
            out.append((x, z, x2, z2))
    return out


def per_call_us(run: Any, n: int) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) / n * 1e6


def end_points_us(walk: WalkMap, steps: list[tuple[float, ...]]) -> float:
    """The check before: is the end point walkable."""
    contains = walk.contains
    return per_call_us(lambda: [contains(s[2], s[3]) for s in steps], len(steps))


def segments_us(walk: WalkMap, steps: list[tuple[float, ...]]) -> float:
    """The check now: is the way there clear (and so the end walkable)."""
    clear = walk.clear
    return per_call_us(lambda: [clear(*s) for s in steps], len(steps))


def world_moves_us(manifest: Manifest, steps: list[tuple[float, ...]]) -> float:
    """A whole move through the world: one session per step (its own speed bucket), placed at
    the step's start, sending the step's end."""
    world = PresenceWorld(manifest, PresenceSettings(max_speed=50.0))
    now = 1000.0
    frames = []
    for sid, (x, z, x2, z2) in enumerate(steps, 1):
        world.connect(sid, now)
        world.receive(sid, encode(Hello(1, "นักวิ่ง", (1, 2, 3))), now)
        avatar = world.sessions[sid].avatar
        assert avatar is not None
        avatar.x, avatar.z = x, z
        frames.append((sid, encode(Move(x2, z2, 0.0, 1))))
    now += 1.0
    receive = world.receive

    def run() -> None:
        for sid, data in frames:
            receive(sid, data, now)

    return per_call_us(run, len(frames))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "moves.json")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    manifest = Manifest.parse(public_manifest(load_scene_text(SCENE.read_text("utf-8"))))
    walk = WalkMap(manifest.walkable)
    rows = []
    for label, step in STEPS.items():
        steps = segments(walk, step, MOVES, seed=len(label))
        ends, clear, whole = [], [], []
        for _ in range(args.repeat):
            ends.append(end_points_us(walk, steps))
            clear.append(segments_us(walk, steps))
            whole.append(world_moves_us(manifest, steps))
        row = {
            "step": label,
            "end_point_before_us": statistics.median(ends),
            "segment_now_us": statistics.median(clear),
            "whole_move_us": statistics.median(whole),
            "repeat": args.repeat,
        }
        # pairs measured back to back: on a shared machine their difference is steadier
        added = statistics.median(c - e for c, e in zip(clear, ends, strict=True))
        row["added_us"] = added
        row["added_share_of_move"] = added / row["whole_move_us"]
        rows.append(row)
    head = ("step", "before: end µs", "now: segment µs", "added µs", "whole move µs", "added")
    print(f"{head[0]:<12} {head[1]:>15} {head[2]:>16} {head[3]:>9} {head[4]:>14} {head[5]:>7}")
    for r in rows:
        print(
            f"{r['step']:<12} {r['end_point_before_us']:>15.2f} {r['segment_now_us']:>16.2f} "
            f"{r['added_us']:>+9.2f} {r['whole_move_us']:>14.2f} {r['added_share_of_move']:>+7.1%}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {"python": platform.python_version(), "machine": platform.machine(), "rows": rows}
    args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
