"""What distance tiers save the browser: bytes and decode time per client per second.

    python -m tools.bench.decode --clients 1500 --seconds 10 --observers 100

Runs the presence world without sockets (the rules exactly as served) with ``--clients``
walkers on Sri Chan Road (the presence benchmark's street and spawn points), once with the
distance tiers and once with every neighbour on every tick, and records the frames of
``--observers`` of them for ``--seconds``. Then node decodes each observer's frames with the
browser's own code (``server/web/js/net.js`` ``decodeMessage`` and ``state.js``
``WorldState.apply``, as the page does) and times it, ``--repeat`` times (the median is
quoted). Prints a table and writes JSON. It also times the world's own tick (server CPU).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parents[2]
DECODER = Path(__file__).with_name("decode_frames.mjs")
WALK_STEP_M = 0.14  # 1.4 m/s at 10 moves a second


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=1500, help="walkers on the street")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of frames recorded")
    parser.add_argument("--warmup", type=float, default=3.0, help="walking seconds before it")
    parser.add_argument("--observers", type=int, default=100, help="clients whose frames count")
    parser.add_argument("--repeat", type=int, default=5, help="decode passes (median quoted)")
    parser.add_argument("--json", type=Path, default=Path("bench-results/decode.json"))


def record(clients: int, seconds: float, warmup: float, observers: int, tiered: bool) -> dict:
    """Frames of every ``clients // observers``-th walker, and the world's tick CPU."""
    from srichan_world.protocol.codec import encode
    from srichan_world.protocol.messages import Hello
    from srichan_world.scene.manifest import Manifest
    from srichan_world.world.presence import Frames, PresenceSettings, PresenceWorld
    from tools.bench.presence import DEFAULT_SCENE, _bench_manifest

    settings = PresenceSettings(max_avatars=6000, start_at_first_quest=False)
    if not tiered:
        settings = replace(settings, tier_near=settings.k_nearest + 1)
    world = PresenceWorld(Manifest.parse(_bench_manifest(DEFAULT_SCENE)), settings)
    rng = random.Random(1)
    now = 100.0
    walkers = []
    for sid in range(clients):
        world.connect(sid, now)
        world.receive(sid, encode(Hello(1, f"บอท{sid}", (sid % 16, sid % 12, sid % 5))), now)
        walkers.append([sid, world.sessions[sid].avatar, rng.uniform(0, 2 * math.pi)])
    every = max(1, clients // observers)
    watched = {sid for sid in range(0, clients, every)}
    frames: dict[int, list[bytes]] = {sid: [] for sid in watched}
    warm = round(warmup * settings.tick_hz)
    ticks = warm + round(seconds * settings.tick_hz)
    tick_cpu = 0.0
    for t in range(ticks):
        now += 1 / settings.tick_hz
        for w in walkers:
            sid, a, heading = w
            x, z = a.x + WALK_STEP_M * math.cos(heading), a.z + WALK_STEP_M * math.sin(heading)
            if not world.walk.contains(x, z):
                w[2] = rng.uniform(0, 2 * math.pi)  # turn at the edge, as the bots do
                continue
            world.receive(sid, msgpack.packb([3, None, x, z, math.degrees(heading), 1]), now)
        started = time.process_time()
        effects = world.tick(now)
        if t >= warm:
            tick_cpu += time.process_time() - started
        for e in effects:
            if isinstance(e, Frames):
                for sid, data in e.items:
                    if sid in watched and t >= warm - 1:  # the last warm-up frame sets the view
                        frames[sid].append(data)
    return {
        "frames": frames,
        "tick_us_per_client": tick_cpu / (ticks - warm) / clients * 1e6,
    }


def decode_times(frames: dict[int, list[bytes]], repeat: int, tmp: Path) -> list[dict]:
    """Each decode pass: node's ms per observer for all its frames (the first frame, the
    warm-up's, applied untimed)."""
    path = tmp / "frames.json"
    path.write_text(json.dumps([[list(f) for f in fs] for fs in frames.values()]))
    out = subprocess.run(
        ["node", str(DECODER), str(path), str(repeat)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main(args: argparse.Namespace) -> int:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for tiered in (True, False):
            got = record(args.clients, args.seconds, args.warmup, args.observers, tiered)
            frames = got["frames"]
            passes = decode_times(frames, args.repeat, Path(tmp))
            n = len(frames)
            timed = [fs[1:] for fs in frames.values()]
            nbytes = sum(len(f) for fs in timed for f in fs)
            updates = sum(len(msgpack.unpackb(f)[5]) for fs in timed for f in fs)
            count = sum(len(fs) for fs in timed)
            ms = statistics.median(p["ms"] for p in passes)
            rows.append(
                {
                    "mode": "tiers" if tiered else "every tick",
                    "clients": args.clients,
                    "observers": n,
                    "bytes_per_client_s": round(nbytes / n / args.seconds),
                    "updates_per_frame": round(updates / count, 1),
                    "decode_ms_per_client_s": round(ms / n / args.seconds, 3),
                    "decode_passes_ms": [round(p["ms"], 1) for p in passes],
                    "world_tick_us_per_client": round(got["tick_us_per_client"], 2),
                }
            )
    print(
        f"{'mode':>10}  {'clients':>7}  {'B/c/s':>7}  {'upd/fr':>6}  "
        f"{'decode ms/c/s':>13}  {'tick µs/c':>9}"
    )
    for r in rows:
        print(
            f"{r['mode']:>10}  {r['clients']:>7}  {r['bytes_per_client_s']:>7}  "
            f"{r['updates_per_frame']:>6}  {r['decode_ms_per_client_s']:>13}  "
            f"{r['world_tick_us_per_client']:>9}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        k: str(v) if isinstance(v, Path) else v
        for k, v in vars(args).items()
        if isinstance(v, int | float | str | Path)
    }
    args.json.write_text(json.dumps({"settings": settings, "rows": rows}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(_parser)
    raise SystemExit(main(_parser.parse_args()))
