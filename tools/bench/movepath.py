"""Benchmark of the whole move path, in process: µs per move from the transport's entry point.

Feeds ready-made move frames for ``--avatars`` walking avatars on the real Sri Chan street
through ``Pump.feed`` (what the picows listener calls with each binary message), so the pump's
counting, the street and the presence world's decode, rate limit, speed and segment checks are
all in it; the socket and the tick are not. Each round every avatar takes one walking step
(0.14 m, 10 moves a second at 1.4 m/s) and the pump's clock moves on 0.1 s, so no move is
refused. Prints medians and, with ``--profile``, the top of a cProfile of one pass.

Usage: .venv/bin/python -m tools.bench.movepath [--avatars 1500] [--rounds 20] [--repeat 5]
       [--profile] [--json bench-results/movepath.json]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import platform
import pstats
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server.metrics import Metrics  # noqa: E402
from server.ws import pump as pump_module  # noqa: E402
from server.ws.pump import Connection, Pump  # noqa: E402
from srichan_world.protocol.codec import encode  # noqa: E402
from srichan_world.protocol.messages import Hello, Move  # noqa: E402
from srichan_world.scene.load import load_scene_text  # noqa: E402
from srichan_world.scene.manifest import Manifest, public_manifest  # noqa: E402
from srichan_world.street.street import Street  # noqa: E402
from srichan_world.world.presence import PresenceSettings, PresenceWorld  # noqa: E402
from srichan_world.world.walkmap import WalkMap  # noqa: E402

SCENE = ROOT / "scenes" / "srichan.toml"
STEP = 0.14


class _Transport:
    def abort(self) -> None:  # pragma: no cover - a refused move never cuts a socket here
        raise AssertionError("the bench's moves must all be accepted")


class _Sock:
    transport = _Transport()


class _Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def walks(walk: WalkMap, avatars: int, rounds: int, seed: int) -> list[list[tuple[float, float]]]:
    """Per avatar, ``rounds + 1`` points ``STEP`` apart along a wandering walkable path."""
    rng = random.Random(seed)
    corridor = walk.walkable.corridor
    xs, zs = [p[0] for p in corridor], [p[1] for p in corridor]
    paths = []
    while len(paths) < avatars:
        x, z = rng.uniform(min(xs), max(xs)), rng.uniform(min(zs), max(zs))
        if not walk.contains(x, z):
            continue
        path = [(x, z)]
        angle = rng.uniform(0, 2 * math.pi)
        while len(path) <= rounds:
            for _ in range(20):
                nx, nz = x + STEP * math.cos(angle), z + STEP * math.sin(angle)
                if walk.clear(x, z, nx, nz):
                    break
                angle = rng.uniform(0, 2 * math.pi)
            else:
                nx, nz = x, z
            x, z = nx, nz
            path.append((x, z))
        paths.append(path)
    return paths


def build(manifest: Manifest, paths: list[list[tuple[float, float]]]) -> tuple[Pump, Any]:
    world = PresenceWorld(manifest, PresenceSettings())
    street = Street(world)
    pump = Pump(street, world.settings, Metrics(), wall=lambda: 1.8e9)
    clock = _Clock()
    pump_module._clock = clock  # type: ignore[assignment]  # the bench's time, 0.1 s a round
    conns = []
    for sid, path in enumerate(paths, 1):
        world.connect(sid, clock.t)
        world.receive(sid, encode(Hello(1, "นักเดิน", (1, 2, 3))), clock.t)
        avatar = world.sessions[sid].avatar
        assert avatar is not None
        avatar.x, avatar.z = path[0]
        conns.append(Connection(sid, _Sock()))  # type: ignore[arg-type]
    rounds = [
        [encode(Move(path[i][0], path[i][1], 90.0, 1)) for path in paths]
        for i in range(1, len(paths[0]))
    ]

    def run() -> None:
        feed = pump.feed
        for frames in rounds:
            clock.t += 0.1
            for conn, data in zip(conns, frames, strict=True):
                feed(conn, data)

    return pump, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--avatars", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "movepath.json")
    args = parser.parse_args(argv)
    manifest = Manifest.parse(public_manifest(load_scene_text(SCENE.read_text("utf-8"))))
    paths = walks(WalkMap(manifest.walkable), args.avatars, args.rounds, seed=16)
    moves = args.avatars * args.rounds
    per_move = []
    for _ in range(args.repeat):
        pump, run = build(manifest, paths)
        started = time.process_time()
        run()
        per_move.append((time.process_time() - started) / moves * 1e6)
        refused = sum(n for kind, n in pump._out.items())
        if refused:
            raise SystemExit(f"{refused} moves answered (refused): the bench's path is wrong")
    print(f"{'avatars':>8} {'moves':>8} {'µs/move p50':>12} {'min':>6} {'max':>6}")
    print(
        f"{args.avatars:>8} {moves:>8} {statistics.median(per_move):>12.2f} "
        f"{min(per_move):>6.2f} {max(per_move):>6.2f}"
    )
    if args.profile:
        _, run = build(manifest, paths)
        profile = cProfile.Profile()
        profile.runcall(run)
        pstats.Stats(profile).sort_stats("tottime").print_stats(14)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "python": platform.python_version(),
        "avatars": args.avatars,
        "moves": moves,
        "us_per_move": per_move,
        "median_us": statistics.median(per_move),
    }
    args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
