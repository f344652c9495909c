"""Scale-out benchmark: the street on one or two worker processes sharing Redis.

    python -m tools.bench.scale                        # 600,1200,1800 bots, 3 runs each
    python -m tools.bench.scale --clients 1200 --modes redis1,redis2 --repeat 3
    python -m tools.bench.scale --clients 600 --modes redis1,zoned2 --pin --per-worker

Each run starts ``srichan serve`` as an operator would, on the real street (scenes/srichan.toml
with extra spawn points spread over the walkable area, as tools/bench/presence.py does), and
walks bots on it with the presence benchmark's lean WebSocket client. Modes:

* ``sqlite``: one process, SQLite store, no Redis anywhere: the baseline;
* ``redis1``: one process on Redis (``--workers 1``): the presence fan-out publishes every
  tick but has no other process to hear from; against ``sqlite`` this is the cost of the
  Redis side of presence for the same clients;
* ``redis2``: ``--workers 2`` on one Redis: the kernel spreads the bots over the two
  processes, so about half of all observer/mover pairs cross processes through Redis;
* ``cluster2``: ``--workers 2`` on a 3-master Redis Cluster (``redis+cluster://``): presence
  by sharded pub/sub over the masters (server/bus/cluster.py). Not in the default modes.
* ``zoned2``: ``--workers 2 --zoning zoned`` on one Redis: each process serves one half of the
  street; a bot asked to move (``zone``) reconnects to ``/ws?zone=k`` with its resume token,
  as the browser does, and the run counts the moves and any that did not resume.

Latency is move→observer, as in the presence benchmark: a bot stamps each move; bots of the
same bot process that see the position in a frame record the delay. Each sample is *local*
(mover and observer on the same server process) or *remote* (through Redis), told apart by
the avatar ids' process lane (server/bus/presence_relay.py). Server CPU is every worker's
utime+stime over the measured window; Redis's is reported apart.

By default nothing is pinned: the servers, Redis and the bot processes share this machine's
cores in every mode alike (bot CPU is reported so you can tell when the bots were the
bottleneck). With ``--pin`` every mode's serving processes share the first core and the bots
and Redis the others, so two workers are compared with one on the same one core and neither
shares it with the load: on a 2-core machine that is the only way the per-client-tick cost
of a second worker is not also the cost of three processes taking turns with the bots.
Modes alternate within each repeat, and the summary quotes medians. "held" is the largest
client count whose median p99 stays within ``--p99-ms``. Traffic stays on 127.0.0.1; every
run is bounded by ``--duration``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import msgpack

from tools.bench.presence import (
    DEFAULT_SCENE,
    Walkers,
    _bench_manifest,
    _core_busy,
    _cpu_seconds,
    _Lean,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_JSON = Path("bench-results/scale.json")
MODES = ("sqlite", "redis1", "redis2", "cluster2", "zoned2")
WORKERS = {"sqlite": 1, "redis1": 1, "redis2": 2, "cluster2": 2, "zoned2": 2}
OPEN = re.compile(r"open: http://[\d.]+:(\d+)/")
LANE_SHIFT = 12
"""Avatar ids carry their process's lane in the bits above this (server/bus/presence_relay.py)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", default="600,1200,1800", help="bots per run, comma list")
    parser.add_argument("--modes", default=",".join(MODES), help="comma list of " + "/".join(MODES))
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode and size")
    parser.add_argument("--rate", type=float, default=10.0, help="moves per bot per second")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="walking seconds before it")
    parser.add_argument("--bot-procs", type=int, default=2, help="bot processes")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="serving processes on the first core, bots and Redis on the others: every mode's"
        " servers get the same one core and never share it with the load",
    )
    parser.add_argument(
        "--per-worker",
        action="store_true",
        help="--clients per serving process (two-worker modes get twice as many): compares"
        " what a worker costs at the same load, not the same crowd split in two",
    )
    parser.add_argument("--p99-ms", type=float, default=150.0, help="the latency target")
    parser.add_argument("--scene", type=Path, default=DEFAULT_SCENE, help="scene TOML")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")


def main(args: argparse.Namespace) -> int:
    sizes = [int(n) for n in str(args.clients).split(",")]
    modes = [m for m in str(args.modes).split(",") if m]
    if any(m not in MODES for m in modes) or not modes:
        sys.stderr.write(f"--modes: choose from {', '.join(MODES)}\n")
        return 2
    most = 2000 if args.per_worker else 4000
    if any(n < 1 or n > most for n in sizes) or args.duration > 120 or args.repeat < 1:
        sys.stderr.write(f"clients must be 1–{most}, duration ≤ 120 s, repeat ≥ 1\n")
        return 2
    from tools import redis_servers

    needs_redis = any(m != "sqlite" for m in modes)
    if needs_redis and redis_servers.available():
        sys.stderr.write(f"{redis_servers.available()}\n")
        return 2
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        scene_dir = _scene_dir(Path(tmp) / "scene", args.scene)
        single = any(m.startswith("redis") or m == "zoned2" for m in modes)
        stores: dict[str, Any] = {}
        if single:
            stores["redis"] = redis_servers.start_server(Path(tmp) / "redis")
        if "cluster2" in modes:
            stores["cluster"] = redis_servers.start_cluster(Path(tmp) / "cluster")
        try:
            for n in sizes:
                for rep in range(args.repeat):
                    for mode in modes if rep % 2 == 0 else modes[::-1]:
                        redis = stores.get("cluster" if mode == "cluster2" else "redis")
                        if redis is not None and mode != "sqlite":
                            redis.flush()
                        else:
                            redis = None
                        total = n * WORKERS[mode] if args.per_worker else n
                        run = _run_once(mode, total, args, scene_dir, Path(tmp), redis)
                        run["repeat"] = rep
                        run["size"] = n
                        runs.append(run)
                        _print_run(run)
        finally:
            for store in stores.values():
                store.stop()
    summary = _summarise(runs, sizes, modes, args.p99_ms)
    _print_summary(summary)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    settings.pop("func", None)
    doc = {
        "settings": settings,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "summary": summary,
        "runs": runs,
    }
    args.json.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


# -- the street and its servers ---------------------------------------------------------------


def _scene_dir(folder: Path, scene: Path) -> Path:
    """The compiled-scene folder ``srichan serve`` reads, with the bench's spread spawns (the
    GLB is opaque to the server, so the bench does not build one)."""
    from srichan_world.scene.load import load_scene_text
    from srichan_world.scene.manifest import answers

    manifest = _bench_manifest(scene)
    secret = answers(load_scene_text(scene.read_text(encoding="utf-8")))
    content_hash = "be" * 32
    folder.mkdir(parents=True)
    manifest["content_hash"] = secret["content_hash"] = content_hash
    (folder / "srichan.manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    (folder / "srichan.answers.json").write_text(json.dumps(secret, ensure_ascii=False))
    (folder / "srichan.glb").write_bytes(b"glTF-bench")
    return folder


def _start(mode: str, scene_dir: Path, tmp: Path, redis: Any) -> tuple[subprocess.Popen, int]:
    srichan = str(Path(sys.executable).parent / "srichan")
    store = f"sqlite:///{tmp}/bench-{time.monotonic_ns()}.db" if mode == "sqlite" else redis.url
    workers = str(WORKERS[mode])
    cmd = [srichan, "serve", "--port", "0", "--scene-dir", str(scene_dir), "--store", store]
    cmd += ["--workers", workers, "--spawn", "rotate"]  # the crowd starts spread out
    if mode == "zoned2":
        cmd += ["--zoning", "zoned"]
    # every bot comes from 127.0.0.1: lift the per-address limits meant for the internet
    cmd += ["--ws-per-address", "100000", "--hello-burst", "100000"]
    cmd += ["--hellos-per-minute", "100000", "--pending-per-address", "100000"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRICHAN_")}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = OPEN.search(line)
    if not match:
        proc.kill()
        proc.wait(timeout=15)
        raise RuntimeError(f"{mode}: srichan serve did not start: {line!r}")
    return proc, int(match.group(1))


def _server_pids(proc: subprocess.Popen) -> list[int]:
    """The processes serving: the workers of a supervisor, else the process itself."""
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(proc.pid)], capture_output=True, text=True
    ).stdout
    workers = [int(line.split()[0]) for line in out.splitlines() if "spawn_main" in line]
    return workers or [proc.pid]


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
    if proc.stdout is not None:
        proc.stdout.close()


# -- one run ----------------------------------------------------------------------------------


def _run_once(
    mode: str, n: int, args: argparse.Namespace, scene_dir: Path, tmp: Path, redis: Any
) -> dict[str, Any]:
    proc, port = _start(mode, scene_dir, tmp, redis)
    manifest = json.loads((scene_dir / "srichan.manifest.json").read_text(encoding="utf-8"))
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    go = ctx.Event()
    bots = []
    try:
        pids = _server_pids(proc)
        cpus = sorted(os.sched_getaffinity(0))
        load_cpus = cpus[1:] or cpus
        if args.pin and len(cpus) > 1:
            for pid in [proc.pid, *pids]:
                os.sched_setaffinity(pid, {cpus[0]})
            for pid in (node.process.pid for node in _nodes(redis)):
                os.sched_setaffinity(pid, set(load_cpus))
        procs_n = max(1, min(args.bot_procs, n))
        for i in range(procs_n):
            cfg = {
                "url": f"ws://127.0.0.1:{port}/ws",
                "clients": n // procs_n + (1 if i < n % procs_n else 0),
                "rate": args.rate,
                "warmup": args.warmup,
                "duration": args.duration,
                "manifest": manifest,
                "seed": i,
                "name": f"bot{i}",
                "cpus": load_cpus if args.pin else cpus,
            }
            p = ctx.Process(target=_bot_process, args=(cfg, results, go), daemon=True)
            p.start()
            bots.append(p)
        ready = [results.get(timeout=60 + n / 50) for _ in bots]
        failed = [r for r in ready if r.get("error")]
        if failed:
            raise RuntimeError(failed[0]["error"])
        go.set()
        time.sleep(args.warmup)
        cpu0 = sum(_cpu_seconds(pid) for pid in pids)
        redis0 = _redis_cpu(redis)
        published0 = _published(redis)
        cores0 = [_core_busy(c) for c in sorted(os.sched_getaffinity(0))]
        t0 = time.monotonic()
        reports = [results.get(timeout=args.duration + 60) for _ in bots]
        wall = time.monotonic() - t0
        failed = [r for r in reports if r.get("error")]
        if failed:
            raise RuntimeError(failed[0]["error"])
        cpu = (sum(_cpu_seconds(pid) for pid in pids) - cpu0) / wall
        redis_cpu = (_redis_cpu(redis) - redis0) / wall
        published = (_published(redis) - published0) / wall
        cores1 = [_core_busy(c) for c in sorted(os.sched_getaffinity(0))]
        busy = sum(b[0] - a[0] for a, b in zip(cores0, cores1, strict=True)) / max(
            1.0, cores1[0][1] - cores0[0][1]
        )
    finally:
        for p in bots:
            p.join(timeout=20)
            if p.is_alive():
                p.kill()
        _stop(proc)
    run = _combine(mode, n, args, reports, cpu, redis_cpu, len(pids), busy)
    run["redis_pub_per_s"] = round(published, 1)
    run["redis_pub_per_worker_tick"] = round(published / len(pids) / args.rate, 2)
    return run


def _nodes(redis: Any) -> list[Any]:
    """The redis-server processes of a store: one, a cluster's masters, or none."""
    return [] if redis is None else list(getattr(redis, "nodes", [redis]))


def _redis_cpu(redis: Any) -> float:
    return sum(_cpu_seconds(node.process.pid) for node in _nodes(redis))


def _published(redis: Any) -> int:
    """Messages published to Redis so far, all masters together (``INFO commandstats``)."""
    total = 0
    for node in _nodes(redis):
        with node.client() as c:
            stats = c.info("commandstats")
        total += sum(
            int(stats.get(f"cmdstat_{k}", {}).get("calls", 0)) for k in ("publish", "spublish")
        )
    return total


def _pct(values: list[float], q: float) -> float | None:
    return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else None


def _combine(
    mode: str,
    n: int,
    args: argparse.Namespace,
    reports: list[dict],
    cpu: float,
    redis_cpu: float,
    workers: int,
    busy: float,
) -> dict[str, Any]:
    local = sorted(x for r in reports for x in r["local_ms"])
    remote = sorted(x for r in reports for x in r["remote_ms"])
    every = sorted(local + remote)
    frames = sum(r["frames"] for r in reports)
    return {
        "mode": mode,
        "clients": n,
        "workers": workers,
        "connected": sum(r["connected"] for r in reports),
        "p50_ms": _pct(every, 0.50),
        "p99_ms": _pct(every, 0.99),
        "local_p50_ms": _pct(local, 0.50),
        "local_p99_ms": _pct(local, 0.99),
        "remote_p50_ms": _pct(remote, 0.50),
        "remote_p99_ms": _pct(remote, 0.99),
        "remote_share": round(len(remote) / len(every), 2) if every else None,
        "samples": len(every),
        "server_cpu": round(cpu, 3),
        "redis_cpu": round(redis_cpu, 3),
        "machine_busy": round(busy, 2),
        "cpu_us_per_client_tick": (
            round(cpu * args.duration / frames * 1e6, 1) if cpu and frames else None
        ),
        "bot_cpu": round(sum(r["cpu"] for r in reports), 2),
        "frames_per_client_s": round(frames / n / args.duration, 2),
        "frame_bytes_per_client_s": round(
            sum(r.get("frame_bytes", 0) for r in reports) / n / args.duration
        ),
        "errors": sum(r["errors"] for r in reports),
        "disconnects": sum(r["disconnects"] for r in reports),
        "zone_moves": sum(r["zone_moves"] for r in reports),
        "zone_moves_measured": sum(r["zone_moves_measured"] for r in reports),
        "zone_missed": sum(r["zone_missed"] for r in reports),
        "zone_failures": dict(sum((Counter(r["zone_failures"]) for r in reports), Counter())),
    }


# -- bots -------------------------------------------------------------------------------------


def _bot_process(cfg: dict, results: Any, go: Any) -> None:
    os.sched_setaffinity(0, set(cfg["cpus"]))
    try:
        asyncio.run(_bots(cfg, results, go))
    except Exception as exc:  # reported to the parent rather than lost in a child
        results.put({"error": f"{cfg['name']}: {type(exc).__name__}: {exc}"})


async def _bots(cfg: dict, results: Any, go: Any) -> None:
    """The presence benchmark's walkers, with each latency sample filed as local or remote."""
    crowd = Walkers(cfg)
    sent, clock = crowd.sent, crowd.clock
    local: list[float] = []
    remote: list[float] = []
    counts = {"frames": 0, "bytes": 0}

    def on_frame_for(me: list) -> Any:
        def on_frame(data: bytes) -> None:
            if not crowd.measuring:
                return
            now = clock()
            counts["frames"] += 1
            counts["bytes"] += len(data)
            me[5] += 1
            if me[5] % 8:
                return  # decode one frame in eight: enough samples, little bot CPU
            lane = me[0] >> LANE_SHIFT
            for u in msgpack.unpackb(data)[5]:
                if u[1] is not None and u[0] != me[0]:
                    t = sent.get((u[0], u[1], u[2]))
                    if t is not None:
                        (local if u[0] >> LANE_SHIFT == lane else remote).append((now - t) * 1e3)

        return on_frame

    zones = {"moves": 0, "measured": 0, "missed": 0, "failed": 0}  # measured: in the window
    moving: dict[int, asyncio.Task[None]] = {}  # bots (by index) reconnecting to another zone
    failures: dict[str, int] = {}  # why zone moves failed, and how often

    async def move_zone(i: int, me: list, old: _Lean, zone: int) -> None:
        """As the browser does: a new socket to the zone's process, resuming the avatar
        ``old`` was given; the old socket is left for the server to close."""
        url = cfg["url"].split("?", 1)[0] + f"?zone={zone}"
        client = None
        try:
            client = await _Lean.connect(url, on_frame_for(me), on_zone_for(i, me))
            name, look = f"บอท{cfg['name']}-{i}", (i % 16, 1, 0)
            me[0], me[1], me[2] = await client.hello(name, look, resume=old.resume_token)
        except Exception as exc:
            zones["failed"] += 1
            why = f"{type(exc).__name__}: {exc}"
            if client is not None:
                why += f"; closed {client.closure}; error {client.last_error}"
            failures[why] = failures.get(why, 0) + 1
            if client is not None:
                await client.close()
        else:
            me[4] = client
            zones["moves"] += 1
            zones["measured"] += crowd.measuring
            zones["missed"] += not client.resumed
        finally:
            moving.pop(i, None)

    def on_zone_for(i: int, me: list) -> Any:
        def on_zone(old: _Lean, zone: int) -> None:
            # ``old``, not ``me[4]``: a zone may come with the welcome, before join keeps it
            if i not in moving:
                moving[i] = asyncio.get_running_loop().create_task(move_zone(i, me, old, zone))

        return on_zone

    async def connect(i: int, me: list) -> _Lean:
        client = await _Lean.connect(cfg["url"], on_frame_for(me), on_zone_for(i, me))
        me[0], me[1], me[2] = await client.hello(f"บอท{cfg['name']}-{i}", (i % 16, 1, 0))
        return client

    if not await crowd.join(results, connect):
        return
    cpu = await crowd.walk_until_done(go)
    if moving:  # moves under way finish (or fail, and say why) before the count
        await asyncio.wait(list(moving.values()), timeout=40)
    report = {
        "connected": len(crowd.bots),
        "local_ms": local,
        "remote_ms": remote,
        "frames": counts["frames"],
        "frame_bytes": counts["bytes"],
        "errors": sum(me[4].errors for me in crowd.bots),
        "disconnects": sum(1 for me in crowd.bots if me[4].closure is not None),
        "cpu": cpu,
        "zone_moves": zones["moves"],
        "zone_moves_measured": zones["measured"],
        "zone_missed": zones["missed"] + zones["failed"],
        "zone_failures": failures,
    }
    await crowd.close()
    results.put(report)


# -- reporting --------------------------------------------------------------------------------

_COLUMNS = (
    ("mode", "mode", 7),
    ("clients", "N", 5),
    ("p50_ms", "p50", 6),
    ("p99_ms", "p99", 6),
    ("local_p99_ms", "loc99", 6),
    ("remote_p50_ms", "rem50", 6),
    ("remote_p99_ms", "rem99", 6),
    ("remote_share", "rem%", 5),
    ("server_cpu", "srvCPU", 6),
    ("redis_cpu", "rdsCPU", 6),
    ("bot_cpu", "botCPU", 6),
    ("machine_busy", "busy", 5),
    ("cpu_us_per_client_tick", "µs/c/t", 7),
    ("frames_per_client_s", "fr/c/s", 6),
    ("frame_bytes_per_client_s", "B/c/s", 6),
    ("redis_pub_per_s", "pub/s", 6),
    ("redis_pub_per_worker_tick", "pub/w/t", 7),
    ("errors", "err", 4),
    ("disconnects", "disc", 4),
    ("zone_moves", "zmove", 5),
    ("zone_moves_measured", "zmIn", 5),
    ("zone_missed", "zmiss", 5),
)
_MEDIANS = [k for k, _, _ in _COLUMNS if k not in ("mode", "clients")]


def _row(values: dict) -> str:
    return "  ".join(f"{values.get(k)!s:>{w}}" for k, _, w in _COLUMNS)


def _print_run(run: dict) -> None:
    print(_row(run), flush=True)


def _summarise(runs: list[dict], sizes: list[int], modes: list[str], target: float) -> dict:
    rows = []
    for n in sizes:
        for mode in modes:
            mine = [r for r in runs if r["size"] == n and r["mode"] == mode]
            clients = mine[0]["clients"] if mine else n
            row: dict[str, Any] = {"mode": mode, "clients": clients, "runs": len(mine)}
            for key in _MEDIANS:
                values = [r[key] for r in mine if r.get(key) is not None]
                row[key] = round(statistics.median(values), 2) if values else None
            rows.append(row)
    held = {}
    for mode in modes:
        ok = [
            r["clients"]
            for r in rows
            if r["mode"] == mode and r["p99_ms"] is not None and r["p99_ms"] <= target
        ]
        held[mode] = max(ok) if ok else 0
    return {"rows": rows, "held_at_p99": held, "p99_target_ms": target}


def _print_summary(summary: dict) -> None:
    print("\nmedians")
    print("  ".join(f"{h:>{w}}" for _, h, w in _COLUMNS))
    for row in summary["rows"]:
        print(_row(row))
    target = summary["p99_target_ms"]
    for mode, n in summary["held_at_p99"].items():
        print(f"{mode}: largest client count with p99 ≤ {target:g} ms: {n}")


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(_parser)
    raise SystemExit(main(_parser.parse_args()))
