"""Capacity plan: a street of V visitors on M machines, from measured per-process figures.

    python -m tools.bench.capacity                               # 20,000 visitors, 8 machines
    python -m tools.bench.capacity --from bench-results/scale-cluster.json
    python -m tools.bench.capacity --visitors 20000 --machines 8 --procs-per-machine 2

A simulation, not a load test: it lays the visitors out on the real street's interest grid
(scenes/srichan.toml, the walkable area, the cells and their neighbourhoods exactly as the
presence world computes them), hands each to a process at random as a load balancer does, and
counts what the presence relay (server/bus/presence_relay.py) would do each tick: the cells
each process publishes (one message per cell where its visitors are and something moved, or
its roster once a second), the cells each process subscribes to (its visitors' neighbourhoods),
the other processes' updates each one hears, and which master of a Redis Cluster each cell's
channel lands on (the channel names and CRC16 hash slots of server/bus/cluster.py, the slot
ranges ``redis-cli --cluster create`` gives to its masters).

Costs come from measurements (``--from`` a ``tools/bench/scale.py`` JSON, or the flags):

* ``--us-local``: µs of server CPU per client-tick with one process (bench mode ``redis1``);
* ``--us-two``: the same with two processes (``redis2`` or ``cluster2``), at ``--bench-clients``;
  the difference is what hearing the other process costs. It is turned into µs per remote
  update heard by simulating the bench's own run (its clients on two processes, every bot
  moving every tick) with this same model: the calibration line of the output;
* ``--bytes-per-update``: bytes of one neighbour update record (``srichan bench presence``).
  A visitor's frames carry the updates of its ``--k-nearest`` (64) nearest neighbours that
  moved: on a street this crowded every visitor has 64 neighbours, so bandwidth per visitor is
  computed from them, not taken from the bench's sparser crowd (its B/c/s is kept in the JSON
  as ``bench_bytes_per_client_s``).

Prints the plan as a table and writes JSON (``--json``). Everything is per second at 10 Hz.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from tools.bench.presence import DEFAULT_SCENE, _bench_manifest

DEFAULT_JSON = Path("bench-results/capacity.json")
LANES = 16
"""Processes one street can have (server/bus/presence_relay.py: avatar id lanes)."""
MAX_PER_PROCESS = 4095
RESP_OVERHEAD = 48
"""Bytes of one SPUBLISH / delivered message beyond its payload (RESP framing, the channel
name ``srichan:p:srichan:NNN``, the 8-byte origin, the news array's header)."""
WS_HEADER = 4
"""Bytes of a server WebSocket frame header for a frame of 126..65535 bytes."""
TCP_IP = 52
"""Bytes of IPv4 + TCP headers (with timestamps) per segment: one frame is one segment."""
FRAME_OVERHEAD = 12
"""Bytes of a presence frame besides its update records (type, tick, array headers)."""


@dataclass(frozen=True)
class Costs:
    us_local: float
    us_two: float
    bench_clients: int
    bench_bytes_per_client_s: float
    bytes_per_update: float
    source: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--visitors", type=int, default=20_000)
    parser.add_argument("--machines", type=int, default=8)
    parser.add_argument("--procs-per-machine", type=int, default=2)
    parser.add_argument("--cores-per-machine", type=int, default=4)
    parser.add_argument("--masters", type=int, default=3, help="Redis Cluster masters")
    parser.add_argument(
        "--moving", default="1.0,0.3", help="shares of visitors moving each tick (comma list)"
    )
    parser.add_argument(
        "--assign",
        default="random,zoned",
        help="how visitors meet processes: random (a load balancer, today), zoned (a "
        "process per stretch of street, not built: what it would save)",
    )
    parser.add_argument("--tick-hz", type=float, default=10.0)
    parser.add_argument("--target-core", type=float, default=0.7, help="planned CPU per process")
    parser.add_argument("--from", dest="source", type=Path, help="a tools/bench/scale.py JSON")
    parser.add_argument("--us-local", type=float, default=42.5, help="µs/client-tick, 1 process")
    parser.add_argument("--us-two", type=float, default=51.7, help="µs/client-tick, 2 processes")
    parser.add_argument("--bench-clients", type=int, default=1500)
    parser.add_argument("--bytes-per-client-s", type=float, default=0.0, help="for the record")
    parser.add_argument("--bytes-per-update", type=float, default=9.8)
    parser.add_argument("--k-nearest", type=int, default=64)
    parser.add_argument(
        "--redis-us-per-delivery",
        type=float,
        default=2.5,
        help="Redis CPU per message delivered (bench: Redis CPU / (published/s × 2))",
    )
    parser.add_argument("--scene", type=Path, default=DEFAULT_SCENE)
    parser.add_argument("--scene-name", default="srichan")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)


def costs_from(args: argparse.Namespace) -> Costs:
    """The measured inputs: the flags, or medians of a scale bench JSON (mode ``redis1``
    against ``cluster2``, else ``redis2``, at the largest client count where both kept 9.5
    frames a client a second)."""
    if args.source is None:
        return Costs(
            args.us_local,
            args.us_two,
            args.bench_clients,
            args.bytes_per_client_s,
            args.bytes_per_update,
            "flags",
        )
    doc = json.loads(args.source.read_text(encoding="utf-8"))
    rows = doc["summary"]["rows"]
    by = {(r["mode"], r["clients"]): r for r in rows}
    for n, mode in [(n, m) for n in sorted({r["clients"] for r in rows}, reverse=True)
                    for m in ("cluster2", "redis2")]:  # fmt: skip
        one, two = by.get(("redis1", n)), by.get((mode, n))
        if one and two and min(one["frames_per_client_s"], two["frames_per_client_s"]) >= 9.5:
            return Costs(
                one["cpu_us_per_client_tick"],
                two["cpu_us_per_client_tick"],
                n,
                float(two.get("frame_bytes_per_client_s") or args.bytes_per_client_s),
                args.bytes_per_update,
                f"{args.source} ({two['mode']} vs redis1 at {n} clients)",
            )
    raise SystemExit(f"{args.source}: no client count where redis1 and a 2-process mode kept up")


# -- the street ---------------------------------------------------------------------------


class Street:
    """The real street's interest grid and walkable area, as the presence world has them."""

    def __init__(self, scene: Path, scene_name: str) -> None:
        from srichan_world.scene.manifest import Manifest
        from srichan_world.world.presence import PresenceSettings, PresenceWorld
        from srichan_world.world.walkmap import WalkMap

        manifest = _bench_manifest(scene)
        self.world = PresenceWorld(Manifest.parse(manifest), PresenceSettings())
        self.walk = WalkMap(Manifest.parse(manifest).walkable)
        corridor = manifest["walkable"]["corridor"]
        self.box = (
            min(p[0] for p in corridor),
            max(p[0] for p in corridor),
            min(p[1] for p in corridor),
            max(p[1] for p in corridor),
        )
        prefix = f"srichan:p:{scene_name[:12]}:"
        self.channels = [f"{prefix}{c}" for c in range(len(self.world.cells))]

    def place(self, n: int, rng: random.Random) -> list[int]:
        """The cells of ``n`` visitors spread uniformly over the walkable area."""
        x0, x1, z0, z1 = self.box
        cells = []
        while len(cells) < n:
            x, z = rng.uniform(x0, x1), rng.uniform(z0, z1)
            if self.walk.contains(x, z):
                cells.append(self.world._cell_of(x, z))
        return cells


def shard_of_slot(slot: int, masters: int) -> int:
    """The master owning ``slot`` after ``redis-cli --cluster create``, whose ranges end at
    ``round(cursor + per - 1)`` with ``per = 16384 / masters`` (0–5460, 5461–10922,
    10923–16383 for three)."""
    per = REDIS_CLUSTER_HASH_SLOTS / masters
    cursor = 0.0
    for master in range(masters - 1):
        if slot <= int(cursor + per - 1 + 0.5):
            return master
        cursor += per
    return masters - 1


# -- one tick of the relay, counted ---------------------------------------------------------


def simulate(
    street: Street,
    visitors: int,
    processes: int,
    moving: float,
    masters: int,
    seed: int,
    bytes_per_update: float = 9.8,
    zoned: bool = False,
) -> dict[str, Any]:
    """Per-second counts of the relay for ``visitors`` on ``processes`` (expected values
    when each visitor moves in a tick with probability ``moving``). Visitors go to a process
    at random (what a load balancer does today), or, ``zoned``, each process takes one
    stretch of the street (equal shares of the crowd, by grid column)."""
    rng = random.Random(seed)
    cells = street.place(visitors, rng)
    if zoned:
        cols = street.world.grid.cols
        order = sorted(range(visitors), key=lambda i: (cells[i] % cols, rng.random()))
        owner = [0] * visitors
        for rank, i in enumerate(order):
            owner[i] = rank * processes // visitors
    else:
        owner = [rng.randrange(processes) for _ in range(visitors)]
    per: list[Counter[int]] = [Counter() for _ in range(processes)]
    for cell, p in zip(cells, owner, strict=True):
        per[p][cell] += 1
    neigh = street.world.neigh
    watched = [{w for c in per[p] for w in neigh[c]} for p in range(processes)]
    subscribers: Counter[int] = Counter(c for w in watched for c in w)
    channel_shard = [shard_of_slot(key_slot(name.encode()), masters) for name in street.channels]

    def news_rate(k: int) -> float:
        """Messages a second for a cell where a process has ``k`` visitors: one a tick when
        any of them moved, else the roster once a second."""
        still = (1.0 - moving) ** k
        return 10.0 * (1.0 - still) + 1.0 * still

    published = [0.0] * processes
    heard_msgs = [0.0] * processes
    heard_updates = [0.0] * processes
    shard_in = [0.0] * masters
    shard_out = [0.0] * masters
    shard_bytes_out = [0.0] * masters
    for p in range(processes):
        for cell, k in per[p].items():
            rate = news_rate(k)
            updates = 10.0 * moving * k
            published[p] += rate
            s = channel_shard[cell]
            shard_in[s] += rate
            shard_out[s] += rate * subscribers[cell]
            per_message = updates / rate if rate else 0.0
            size = RESP_OVERHEAD + per_message * bytes_per_update
            shard_bytes_out[s] += rate * subscribers[cell] * size
            for q in range(processes):
                if q != p and cell in watched[q]:
                    heard_msgs[q] += rate
                    heard_updates[q] += updates
    own = [sum(c.values()) for c in per]
    return {
        "own": own,
        "published_per_s": published,
        "heard_msgs_per_s": heard_msgs,
        "heard_updates_per_s": heard_updates,
        "watched_cells": [len(w) for w in watched],
        "cells": len(street.channels),
        "shard_spublish_per_s": shard_in,
        "shard_deliveries_per_s": shard_out,
        "shard_bytes_out_per_s": shard_bytes_out,
    }


def calibrate(street: Street, costs: Costs, seed: int) -> float:
    """µs per remote update heard: the bench's two-process overhead over its one-process
    cost, divided by the updates each process heard in the bench's run as simulated here."""
    sim = simulate(street, costs.bench_clients, 2, 1.0, 3, seed)
    extra_us_per_s = (costs.us_two - costs.us_local) * costs.bench_clients * 10.0
    heard = sum(sim["heard_updates_per_s"])
    return max(0.0, extra_us_per_s / heard) if heard else 0.0


def plan(args: argparse.Namespace) -> dict[str, Any]:
    costs = costs_from(args)
    processes = args.machines * args.procs_per_machine
    if processes > LANES:
        raise SystemExit(f"{processes} processes: a street has at most {LANES} (id lanes)")
    if args.visitors > processes * MAX_PER_PROCESS:
        raise SystemExit(f"more than {MAX_PER_PROCESS} visitors a process")
    street = Street(args.scene, args.scene_name)
    us_remote = calibrate(street, costs, args.seed)
    hz = args.tick_hz
    scenarios = []
    cases = [(a, float(m)) for a in args.assign.split(",") for m in args.moving.split(",")]
    for assign, moving in cases:
        sim = simulate(
            street,
            args.visitors,
            processes,
            moving,
            args.masters,
            args.seed,
            costs.bytes_per_update,
            zoned=assign == "zoned",
        )
        cpu = [
            (own * hz * costs.us_local + heard * us_remote) / 1e6
            for own, heard in zip(sim["own"], sim["heard_updates_per_s"], strict=True)
        ]
        worst = max(range(processes), key=lambda p: cpu[p])
        per_machine_visitors = args.visitors / args.machines
        payload = hz * (FRAME_OVERHEAD + args.k_nearest * moving * costs.bytes_per_update)
        frame_wire = payload + hz * (WS_HEADER + TCP_IP)
        redis_in_bytes = [
            sim["heard_msgs_per_s"][p] * RESP_OVERHEAD
            + sim["heard_updates_per_s"][p] * costs.bytes_per_update
            for p in range(processes)
        ]
        scenarios.append(
            {
                "assign": assign,
                "moving": moving,
                "processes": processes,
                "visitors_per_process": round(statistics.mean(sim["own"])),
                "visitors_per_process_max": max(sim["own"]),
                "cpu_core_per_process_median": round(statistics.median(cpu), 3),
                "cpu_core_per_process_max": round(cpu[worst], 3),
                "cpu_own_part": round(sim["own"][worst] * hz * costs.us_local / 1e6, 3),
                "cpu_remote_part": round(sim["heard_updates_per_s"][worst] * us_remote / 1e6, 3),
                "headroom_vs_target": round(1.0 - cpu[worst] / args.target_core, 2),
                "cores_per_machine_used": round(
                    sum(cpu) / args.machines, 2
                ),  # average machine, server processes only
                "watched_cells_median": statistics.median(sim["watched_cells"]),
                "cells": sim["cells"],
                "published_per_process_s": round(statistics.mean(sim["published_per_s"])),
                "heard_msgs_per_process_s": round(statistics.mean(sim["heard_msgs_per_s"])),
                "heard_updates_per_process_s": round(statistics.mean(sim["heard_updates_per_s"])),
                "redis_in_per_process_bytes_s": round(statistics.mean(redis_in_bytes)),
                "shard_spublish_per_s": [round(v) for v in sim["shard_spublish_per_s"]],
                "shard_deliveries_per_s": [round(v) for v in sim["shard_deliveries_per_s"]],
                "shard_cpu_core": [
                    round(v * args.redis_us_per_delivery / 1e6, 2)
                    for v in sim["shard_deliveries_per_s"]
                ],
                "shard_out_mbit_s": [round(v * 8 / 1e6, 1) for v in sim["shard_bytes_out_per_s"]],
                "bytes_per_visitor_s": round(payload),
                "wire_bytes_per_visitor_s": round(frame_wire),
                "machine_out_mbit_s": round(per_machine_visitors * frame_wire * 8 / 1e6, 1),
            }
        )
    return {
        "inputs": {
            "visitors": args.visitors,
            "machines": args.machines,
            "procs_per_machine": args.procs_per_machine,
            "cores_per_machine": args.cores_per_machine,
            "masters": args.masters,
            "tick_hz": hz,
            "target_core": args.target_core,
            "costs": costs.__dict__,
            "us_per_remote_update": round(us_remote, 3),
        },
        "scenarios": scenarios,
    }


ROWS = (
    ("visitors_per_process", "visitors per process (mean / max)", "visitors_per_process_max"),
    ("cpu_core_per_process_median", "CPU per process, cores (median / busiest)", None),
    ("cpu_own_part", "  busiest: own visitors' frames", None),
    ("cpu_remote_part", "  busiest: hearing the other processes", None),
    ("headroom_vs_target", "headroom of the busiest vs target", None),
    ("cores_per_machine_used", "server cores used per machine", None),
    ("watched_cells_median", "cells watched per process (median, of all)", "cells"),
    ("published_per_process_s", "SPUBLISH per process per s", None),
    ("heard_msgs_per_process_s", "messages heard per process per s", None),
    ("heard_updates_per_process_s", "remote updates heard per process per s", None),
    ("shard_spublish_per_s", "SPUBLISH per s on each master", None),
    ("shard_deliveries_per_s", "deliveries per s from each master", None),
    ("shard_out_mbit_s", "pub/sub out of each master, Mbit/s", None),
    ("shard_cpu_core", "Redis CPU of each master, cores (estimate)", None),
    ("bytes_per_visitor_s", "frame bytes per visitor per s (payload)", None),
    ("wire_bytes_per_visitor_s", "  with WebSocket + TCP/IP headers", None),
    ("machine_out_mbit_s", "visitor traffic out per machine, Mbit/s", None),
)


def _cell(scenario: dict[str, Any], key: str, extra: str | None) -> str:
    value = scenario[key]
    if key == "cpu_core_per_process_median":
        return f"{value} / {scenario['cpu_core_per_process_max']}"
    if extra is not None:
        return f"{value} / {scenario[extra]}"
    if isinstance(value, list):
        return " / ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_plan(result: dict[str, Any]) -> None:
    inputs = result["inputs"]
    costs = inputs["costs"]
    print(
        f"{inputs['visitors']:,} visitors on {inputs['machines']} machines × "
        f"{inputs['procs_per_machine']} processes, {inputs['masters']}-master Redis Cluster, "
        f"{inputs['tick_hz']:g} Hz"
    )
    print(
        f"measured ({costs['source']}): {costs['us_local']} µs/client-tick on one process, "
        f"{costs['us_two']} on two at {costs['bench_clients']:,} clients → "
        f"{inputs['us_per_remote_update']} µs per remote update heard (calibration)"
    )
    head = "".join(f" | {s['assign']}, moving {s['moving']:g}" for s in result["scenarios"])
    print(f"| {'':45s}{head} |")
    print("|" + "-" * 46 + "|---" * len(result["scenarios"]) + "|")
    for key, label, extra in ROWS:
        cells = " | ".join(_cell(s, key, extra) for s in result["scenarios"])
        print(f"| {label:44s} | {cells} |")


def main(args: argparse.Namespace) -> int:
    result = plan(args)
    print_plan(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    add_arguments(_parser)
    sys.exit(main(_parser.parse_args()))
