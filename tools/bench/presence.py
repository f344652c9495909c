"""Presence benchmark: N walking bots against the product server and against a bare relay.

    srichan bench presence --clients 1500 --rate 10 --duration 15
    python -m tools.bench.presence --clients 500,1000,1500 --repeat 3 --duration 12

Each run starts a server process pinned to one core (``os.sched_setaffinity``) and bot
processes pinned to the other cores, or targets ``--url``. The bots walk Sri Chan Road at
``--rate`` moves per second and measure, per run:

* move→observer latency: a bot stamps each move it sends; bots of the same process that see
  that position in a frame record the delay (p50/p95/p99; the mover's own echo separately);
* frames and bytes per client per second, bytes per neighbour update (msgpack record size);
* server CPU (utime+stime over the measured window) and RSS, bot CPU (to show the bots were
  not the bottleneck), errors, corrections and unexpected disconnects.

The bare relay (``relay``) is the fastest Python stack we know, picows + uvloop + msgpack: one
frame per tick per client, per-cell batches encoded once and written as one finished
WebSocket frame to every observer, with no rules: no validation, no K cap, no enters/leaves.
``relay-aiohttp`` is the same relay on aiohttp (the former baseline); ``product-aiohttp`` is
the product with ``/ws`` on aiohttp. Every server runs on uvloop. ``--mode both`` runs the
product and both relays and prints the product's clients per core as a share of each relay's.
Modes alternate (``--repeat`` times each) and the table quotes medians,
because this machine pauses for 100–300 ms now and then. The machine is also shared: a run in
which other processes took more than ``--contention`` of the server's or the bots' core is
marked contended and retried (``--retries``); medians use the clean runs when there are any.
Traffic stays on 127.0.0.1; every run is bounded by ``--duration``.

The bench serves the real scene (scenes/srichan.toml) with extra spawn points spread over the
walkable area, so the crowd starts spread out instead of walking there for minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import multiprocessing as mp
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENE = ROOT / "scenes" / "srichan.toml"
DEFAULT_JSON = Path("bench-results/presence.json")
WALK_SPEED = 1.4  # m/s, a stroll
SERVERS = (
    "product",
    "product-untiered",
    "product-8m",
    "product-aiohttp",
    "relay",
    "relay-aiohttp",
)
"""The product with /ws on picows (with its distance tiers, or every neighbour on every tick)
or aiohttp; the bare relay on picows or aiohttp."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--clients", default="500", help="bots per run; a comma list sweeps (e.g. 500,1000,1500)"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="moves per bot per second")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="walking seconds before it")
    parser.add_argument("--url", help="target a running server (ws://127.0.0.1:PORT/ws)")
    parser.add_argument(
        "--mode",
        default="both",
        help="what to run, a comma list of product, product-untiered, product-8m, "
        "product-aiohttp, relay, relay-aiohttp; "
        "both: the product and the picows and aiohttp relays",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode per size")
    parser.add_argument("--tick-hz", type=float, default=10.0, help="server ticks per second")
    parser.add_argument("--bot-procs", type=int, default=2, help="bot processes")
    parser.add_argument(
        "--contention",
        type=float,
        default=0.15,
        help="a run is contended when other processes took more than this share of a core",
    )
    parser.add_argument("--retries", type=int, default=2, help="reruns of a contended run")
    parser.add_argument(
        "--bot-client",
        choices=("lean", "library"),
        default="lean",
        help="bots' WebSocket transport: a minimal one, or server/ws/client.py (websockets)",
    )
    parser.add_argument("--scene", type=Path, default=DEFAULT_SCENE, help="scene TOML")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--serve", choices=SERVERS, help=argparse.SUPPRESS)
    parser.add_argument("--manifest", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)


def main(args: argparse.Namespace) -> int:
    if args.serve:
        return _serve(args.serve, args.manifest, args.port, args.tick_hz)
    sizes = [int(n) for n in str(args.clients).split(",")]
    if any(n < 1 or n > 5000 for n in sizes) or args.duration > 120 or args.repeat < 1:
        sys.stderr.write("clients must be 1–5000, duration ≤ 120 s, repeat ≥ 1\n")
        return 2
    if args.url and not args.url.startswith(("ws://127.", "ws://localhost")):
        sys.stderr.write("--url must point at this machine (ws://127.0.0.1:PORT/ws)\n")
        return 2
    modes = ["product", "relay", "relay-aiohttp"] if args.mode == "both" else args.mode.split(",")
    if not set(modes) <= set(SERVERS):
        sys.stderr.write(f"--mode: each of {', '.join(SERVERS)}, or both\n")
        return 2
    manifest = _bench_manifest(args.scene) if not args.url else _fetch_manifest(args.url)
    if args.url:
        modes = ["target"]
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        manifest_path = Path(tmp) / "manifest.json"
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
        for n in sizes:
            for rep in range(args.repeat):
                for mode in modes:
                    for attempt in range(args.retries + 1):
                        run = _run_once(mode, n, args, manifest, manifest_path)
                        run["repeat"], run["attempt"] = rep, attempt
                        others = (run["server_core_others"] or 0, run["bot_cores_others"])
                        run["contended"] = max(others) > args.contention
                        runs.append(run)
                        _print_run(run)
                        if not run["contended"]:
                            break
                        time.sleep(5)
    summary = _summarise(runs, sizes, modes)
    _print_summary(summary)
    ratios = _same_run_ratios(runs)
    for line in ratios["lines"]:
        print(line)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    settings = {
        k: (str(v) if isinstance(v, Path) else v)
        for k, v in vars(args).items()
        if k not in ("serve", "manifest", "port", "func")
    }
    doc = {
        "settings": settings,
        "machine": _machine(),
        "summary": summary,
        "same_run_ratios": ratios["ratios"],
        "runs": runs,
    }
    args.json.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


# -- the scene --------------------------------------------------------------------------------


def _bench_manifest(scene: Path) -> dict:
    from srichan_world.scene.load import load_scene_text
    from srichan_world.scene.manifest import Manifest, public_manifest
    from srichan_world.world.walkmap import WalkMap

    manifest = public_manifest(load_scene_text(scene.read_text(encoding="utf-8")))
    walk = WalkMap(Manifest.parse(manifest).walkable)
    xs = [p[0] for p in manifest["walkable"]["corridor"]]
    zs = [p[1] for p in manifest["walkable"]["corridor"]]
    rng = random.Random(7)
    spawns = []
    while len(spawns) < 256:
        x, z = rng.uniform(min(xs), max(xs)), rng.uniform(min(zs), max(zs))
        if walk.contains(x, z):
            spawns.append({"id": f"bench-{len(spawns)}", "position": [x, z], "heading": 0.0})
    rng.shuffle(spawns)
    manifest["spawn_points"] = spawns
    return manifest


def _fetch_manifest(url: str) -> dict:
    from urllib.request import urlopen

    http = url.replace("ws://", "http://", 1).rsplit("/ws", 1)[0]
    with urlopen(f"{http}/scene/manifest.json", timeout=10) as response:
        return json.loads(response.read())


# -- servers ----------------------------------------------------------------------------------


def _serve(mode: str, manifest_path: Path, port: int, tick_hz: float) -> int:
    """The server process: pinned to one core, prints ``READY <port>``, runs until killed.
    Every mode runs on uvloop, so the rows differ only in what serves the sockets."""
    from server.runner import run

    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    from srichan_world.world.presence import PresenceSettings

    gc.set_threshold(PresenceSettings().gc_threshold, *gc.get_threshold()[1:])  # every mode
    ticks: list[float] = []  # seconds per tick, read and cleared by GET /bench-ticks
    main = _picows_relay if mode == "relay" else _aiohttp_server
    profile_to = os.environ.get("SRICHAN_BENCH_PROFILE")  # --profile: cProfile the server
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        with contextlib.suppress(KeyboardInterrupt):
            run(main(mode, manifest, port, tick_hz, ticks))
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{profile_to}.{mode}")
    return 0


async def _aiohttp_server(
    mode: str, manifest: dict, port: int, tick_hz: float, ticks: list[float]
) -> None:
    """The product (its ``/ws`` on picows through the connection gate, or on aiohttp), or
    the aiohttp relay; ``GET /bench-ticks`` on the same port."""
    from aiohttp import web

    from server.app import create_presence_app
    from server.connection_gate import Gate, listen
    from server.keys import METRICS, WEBSOCKET
    from server.metrics import Metrics
    from srichan_world.scene.manifest import Manifest
    from srichan_world.world.admission import Admission, AdmissionLimits
    from srichan_world.world.presence import PresenceSettings

    websocket = None
    if mode.startswith("product"):
        # the crowd starts spread over the bench's spawn points, not at the first quest
        settings = PresenceSettings(tick_hz=tick_hz, max_avatars=6000, start_at_first_quest=False)
        if mode == "product-untiered":  # every neighbour at the full rate, as before issue 16
            settings = replace(settings, tier_near=settings.k_nearest + 1)
        elif mode == "product-8m":  # one fixed 8 m block chosen every 2 s, as before
            fixed = {"knn_block_m": 8.0, "knn_block_min_m": 8.0, "knn_refresh_s_per_m": 0.0}
            settings = replace(settings, **fixed)
        app = create_presence_app(Manifest.parse(manifest), settings)
        metrics = app[METRICS]
        observe = metrics.tick_seconds.observe

        def record(seconds: float) -> None:
            observe(seconds)
            ticks.append(seconds)

        metrics.tick_seconds.observe = record  # type: ignore[method-assign]
        if mode != "product-aiohttp":
            websocket = app[WEBSOCKET].protocol
    else:
        app = web.Application()
        metrics = Metrics()
        relay = _Relay(manifest, tick_hz, ticks)
        app.router.add_get("/ws", relay.handle)
        app.cleanup_ctx.append(relay.lifespan)

    async def bench_ticks(_request: web.Request) -> web.Response:
        got = sorted(ticks)
        ticks.clear()
        return web.json_response(got)

    app.router.add_get("/bench-ticks", bench_ticks)
    runner = web.AppRunner(app, handle_signals=True)
    await runner.setup()
    # the bench's crowd shares one address: no per-address limits here
    gate = Gate(Admission(AdmissionLimits(pending_per_address=100_000)), metrics)
    gate = Gate(gate.admission, metrics, websocket=websocket)
    server = await listen(runner, "127.0.0.1", port, gate, backlog=4096)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        server.close()
        await runner.cleanup()


class _Relay:
    """The bare relay: hello → welcome, moves stored as they come, one shared per-cell batch
    per tick. No checks, no K cap, no enters or leaves: the floor for this stack."""

    def __init__(self, manifest: dict, tick_hz: float, ticks: list[float]) -> None:
        from srichan_world.scene.manifest import Manifest

        g = Manifest.parse(manifest).grid
        self.g = g
        self.spawns = [p["position"] for p in manifest["spawn_points"]]
        self.neigh = [
            tuple(r * g.cols + c for c, r in g.neighbourhood((i % g.cols, i // g.cols)))
            for i in range(g.cols * g.rows)
        ]
        self.period = 1.0 / tick_hz
        self.clients: dict[int, list] = {}  # id -> [ws, x, z, cell, dirty]
        self.next_id = 0
        self.ticks = ticks

    async def lifespan(self, app: Any) -> Any:
        task = asyncio.create_task(self._ticks())
        yield
        task.cancel()

    def _cell(self, x: float, z: float) -> int:
        g = self.g
        col = min(max(int((x - g.origin[0]) // g.cell), 0), g.cols - 1)
        row = min(max(int((z - g.origin[1]) // g.cell), 0), g.rows - 1)
        return row * g.cols + col

    async def handle(self, request: Any) -> Any:
        from aiohttp import WSMsgType, web

        from srichan_world.protocol.codec import encode
        from srichan_world.protocol.messages import Pong, Welcome

        ws = web.WebSocketResponse(compress=False, max_msg_size=16384, heartbeat=20)
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        me = None
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.BINARY:
                    continue
                m = msgpack.unpackb(msg.data)
                if m[0] == 3 and me is not None:
                    me[1], me[2], me[4] = m[2], m[3], True
                elif m[0] == 1 and me is None:
                    self.next_id += 1
                    x, z = self.spawns[self.next_id % len(self.spawns)]
                    me = [ws, x, z, self._cell(x, z), True]
                    self.clients[self.next_id] = me
                    w = Welcome(self.next_id, "t", x, z, 0.0, 0, "relay", False, 10.0, cid=m[1])
                    await ws.send_bytes(encode(w))
                elif m[0] == 10:
                    await ws.send_bytes(encode(Pong(m[2], loop.time(), cid=m[1])))
        finally:
            for aid, c in list(self.clients.items()):
                if c[0] is ws:
                    del self.clients[aid]
        return ws

    async def _ticks(self) -> None:
        from srichan_world.protocol.codec import array_header, frame_head

        loop = asyncio.get_running_loop()
        due = loop.time()
        tick = 0
        while True:
            due += self.period
            tick += 1
            started = time.perf_counter()
            batches: dict[int, list[bytes]] = {}
            for aid, c in self.clients.items():
                if c[4]:
                    c[4] = False
                    c[3] = self._cell(c[1], c[2])
                    rec = msgpack.packb([aid, round(c[1] * 100), round(c[2] * 100)])
                    batches.setdefault(c[3], []).append(rec)
            head = frame_head(tick, False) + b"\x90"
            frames: dict[int, bytes] = {}
            for c in list(self.clients.values()):
                frame = frames.get(c[3])
                if frame is None:
                    parts = [r for n in self.neigh[c[3]] for r in batches.get(n, ())]
                    updates = array_header(len(parts)) + b"".join(parts)
                    frame = frames[c[3]] = head + updates + b"\x90\x00"
                try:
                    await c[0].send_bytes(frame)
                except Exception:  # a gone client: its reader cleans up
                    continue
            self.ticks.append(time.perf_counter() - started)
            delay = due - loop.time()
            if delay < 0:  # fell behind: skip ahead, as the product does
                due = loop.time()
            await asyncio.sleep(max(0.0, delay))


async def _picows_relay(
    _mode: str, manifest: dict, port: int, tick_hz: float, ticks: list[float]
) -> None:
    """The strongest baseline: the bare relay on picows + uvloop, each cell's frame built
    once per tick as a finished WebSocket frame and written to every observer's transport
    (as the product does). ``GET /bench-ticks`` is answered by picows itself; its sockets
    are aiofastnet's when installed (picows's default), the fastest picows offers."""
    from picows import (
        WSListener,
        WSMsgType,
        WSUpgradeResponse,
        WSUpgradeResponseWithListener,
        ws_create_server,
    )

    from server.ws.wire import finished_frame
    from srichan_world.protocol.codec import array_header, encode, frame_head
    from srichan_world.protocol.messages import Pong, Welcome

    relay = _Relay(manifest, tick_hz, ticks)
    loop = asyncio.get_running_loop()

    class Listener(WSListener):  # type: ignore[misc]
        me: list | None = None

        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            if frame.msg_type is not WSMsgType.BINARY:
                if frame.msg_type is WSMsgType.CLOSE:
                    transport.disconnect()
                return
            m = msgpack.unpackb(frame.get_payload_as_memoryview())
            me = self.me
            if m[0] == 3 and me is not None:
                me[1], me[2], me[4] = m[2], m[3], True
            elif m[0] == 1 and me is None:
                relay.next_id += 1
                x, z = relay.spawns[relay.next_id % len(relay.spawns)]
                me = self.me = [transport.underlying_transport, x, z, relay._cell(x, z), True]
                relay.clients[relay.next_id] = me
                w = Welcome(relay.next_id, "t", x, z, 0.0, 0, "relay", False, 10.0, cid=m[1])
                transport.send(WSMsgType.BINARY, encode(w))
            elif m[0] == 10:
                transport.send(WSMsgType.BINARY, encode(Pong(m[2], loop.time(), cid=m[1])))

        def on_ws_disconnected(self, transport: Any) -> None:
            for aid, c in list(relay.clients.items()):
                if c is self.me:
                    del relay.clients[aid]

    def route(request: Any) -> Any:
        if request.path == b"/bench-ticks":
            got = sorted(ticks)
            ticks.clear()
            ok = WSUpgradeResponse.create_ok_response(json.dumps(got).encode())
            return WSUpgradeResponseWithListener(ok, None)
        return Listener()

    async def tick_forever() -> None:
        due = loop.time()
        tick = 0
        while True:
            due += relay.period
            tick += 1
            started = time.perf_counter()
            batches: dict[int, list[bytes]] = {}
            for aid, c in relay.clients.items():
                if c[4]:
                    c[4] = False
                    c[3] = relay._cell(c[1], c[2])
                    rec = msgpack.packb([aid, round(c[1] * 100), round(c[2] * 100)])
                    batches.setdefault(c[3], []).append(rec)
            head = frame_head(tick, False) + b"\x90"
            frames: dict[int, bytes] = {}
            for c in relay.clients.values():
                wire = frames.get(c[3])
                if wire is None:
                    parts = [r for n in relay.neigh[c[3]] for r in batches.get(n, ())]
                    updates = array_header(len(parts)) + b"".join(parts)
                    wire = frames[c[3]] = finished_frame(head + updates + b"\x90\x00")
                c[0].write(wire)
            ticks.append(time.perf_counter() - started)
            delay = due - loop.time()
            if delay < 0:  # fell behind: skip ahead, as the product does
                due = loop.time()
            await asyncio.sleep(max(0.0, delay))

    server = await ws_create_server(route, "127.0.0.1", port, backlog=4096, max_frame_size=16384)
    task = asyncio.create_task(tick_forever())
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        task.cancel()
        server.close()


def _start_server(mode: str, manifest_path: Path, tick_hz: float) -> tuple[subprocess.Popen, int]:
    cmd = [sys.executable, "-m", "tools.bench.presence", "--serve", mode]
    cmd += ["--manifest", str(manifest_path), "--tick-hz", str(tick_hz)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(proc.pid, {cpus[0]})
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("READY"):
            return proc, int(line.split()[1])
        if proc.poll() is not None:
            break
    proc.kill()
    proc.wait(timeout=15)
    proc.stdout.close()
    raise RuntimeError(f"{mode} server did not start")


def _server_ticks(url: str) -> list[float]:
    """The bench servers' own tick durations since the last call (empty for --url)."""
    from urllib.request import urlopen

    http = url.replace("ws://", "http://", 1).rsplit("/ws", 1)[0]
    try:
        with urlopen(f"{http}/bench-ticks", timeout=10) as response:
            return json.loads(response.read())
    except OSError:
        return []


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _core_busy(cpu: int) -> tuple[float, float]:
    """``(busy, total)`` jiffies of one core from /proc/stat, to tell how much of the server's
    core other processes took during a run."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{cpu} "):
            v = [int(x) for x in line.split()[1:]]
            idle = v[3] + v[4]
            return sum(v) - idle, sum(v)
    return 0.0, 1.0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- one run ----------------------------------------------------------------------------------


def _run_once(
    mode: str, n: int, args: argparse.Namespace, manifest: dict, manifest_path: Path
) -> dict[str, Any]:
    proc = None
    if args.url:
        url = args.url
    else:
        proc, port = _start_server(mode, manifest_path, args.tick_hz)
        url = f"ws://127.0.0.1:{port}/ws"
        time.sleep(0.5)
    rss0 = _rss_mb(proc.pid) if proc else None  # the idle server: memory per client is above it
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    go = ctx.Event()
    procs_n = max(1, min(args.bot_procs, n))
    cpus = sorted(os.sched_getaffinity(0))
    bot_cpus = cpus[1:] or cpus
    bots = []
    for i in range(procs_n):
        share = n // procs_n + (1 if i < n % procs_n else 0)
        cfg = {
            "url": url,
            "clients": share,
            "rate": args.rate,
            "warmup": args.warmup,
            "duration": args.duration,
            "manifest": manifest,
            "seed": i,
            "cpus": bot_cpus,
            "name": f"bot{i}",
            "library": args.bot_client == "library",
        }
        p = ctx.Process(target=_bot_process, args=(cfg, results, go), daemon=True)
        p.start()
        bots.append(p)
    try:
        ready = [results.get(timeout=60 + n / 50) for _ in bots]
        failed = [r for r in ready if r.get("error")]
        if failed:
            raise RuntimeError(failed[0]["error"])
        go.set()
        time.sleep(args.warmup)
        _server_ticks(url)  # drop the warm-up's
        cpu0 = _cpu_seconds(proc.pid) if proc else 0.0
        busy0, total0 = _core_busy(cpus[0])
        bots0 = [_core_busy(c) for c in bot_cpus]
        t0 = time.monotonic()
        reports = [results.get(timeout=args.duration + 60) for _ in bots]
        failed = [r for r in reports if r.get("error")]
        if failed:
            raise RuntimeError(failed[0]["error"])
        wall = time.monotonic() - t0
        ticks = _server_ticks(url)
        busy1, total1 = _core_busy(cpus[0])
        core = (busy1 - busy0) / max(1.0, total1 - total0)
        bots1 = [_core_busy(c) for c in bot_cpus]
        bot_core = sum(b1[0] - b0[0] for b0, b1 in zip(bots0, bots1, strict=True)) / max(
            1.0, (bots1[0][1] - bots0[0][1])
        )
        cpu = (_cpu_seconds(proc.pid) - cpu0) / wall if proc else None
        rss = _rss_mb(proc.pid) if proc else None
    finally:
        for p in bots:
            p.join(timeout=20)
            if p.is_alive():
                p.kill()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
            if proc.stdout is not None:
                proc.stdout.close()
    run = _combine(mode, n, args, reports, cpu, rss)
    run["server_core_busy"] = round(core, 3)
    if rss is not None and rss0 is not None:
        run["kib_per_client"] = round((rss - rss0) * 1024 / max(1, run["connected"]), 1)
    run["load_avg"] = round(os.getloadavg()[0], 2)
    if ticks:
        run["ticks_per_s"] = round(len(ticks) / wall, 2)
        run["tick_ms_p50"] = round(ticks[len(ticks) // 2] * 1000, 1)
        run["tick_ms_p99"] = round(ticks[min(len(ticks) - 1, int(0.99 * len(ticks)))] * 1000, 1)
    # what other processes took of the cores we measure on (this machine is shared)
    run["server_core_others"] = round(core - cpu, 3) if cpu is not None else None
    run["bot_cores_others"] = round(bot_core - sum(r["cpu"] for r in reports), 3)
    return run


def _combine(
    mode: str,
    n: int,
    args: argparse.Namespace,
    reports: list[dict],
    cpu: float | None,
    rss: float | None,
) -> dict[str, Any]:
    lat = sorted(x for r in reports for x in r["latency_ms"])
    own = sorted(x for r in reports for x in r["echo_ms"])
    dur = args.duration

    def pct(values: list[float], q: float) -> float | None:
        return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else None

    frames = sum(r["frames"] for r in reports)
    rec_bytes = sum(r["record_bytes"] for r in reports)
    sized = sum(r["sized"] for r in reports)
    records = sum(r["records"] for r in reports)
    return {
        "mode": mode,
        "clients": n,
        "connected": sum(r["connected"] for r in reports),
        "p50_ms": pct(lat, 0.50),
        "p95_ms": pct(lat, 0.95),
        "p99_ms": pct(lat, 0.99),
        "echo_p99_ms": pct(own, 0.99),
        "latency_samples": len(lat),
        "server_cpu": round(cpu, 3) if cpu is not None else None,
        # CPU time per delivered frame (one client-tick: its frame and the moves around it)
        # is far less disturbed by other processes than latency is: a starved server does
        # less work but not more per unit. So it, and the clients one core would carry at
        # that cost, compare product and relay on a shared machine.
        "cpu_us_per_client_tick": round(cpu * dur / frames * 1e6, 1) if cpu and frames else None,
        "clients_per_core": round(frames / (cpu * dur) / args.tick_hz) if cpu and frames else None,
        "server_rss_mb": round(rss, 1) if rss is not None else None,
        "bot_cpu": [round(r["cpu"], 2) for r in reports],
        "frames_per_client_s": round(frames / n / dur, 2),
        "bytes_per_client_s": round(sum(r["bytes"] for r in reports) / n / dur),
        "bytes_per_update": round(rec_bytes / sized, 2) if sized else None,
        "updates_per_frame": round(records / max(1, sum(r["decoded"] for r in reports)), 1),
        "moves_sent": sum(r["moves"] for r in reports),
        "corrections": sum(r["corrections"] for r in reports),
        "errors": sum(r["errors"] for r in reports),
        "disconnects": sum(r["disconnects"] for r in reports),
    }


# -- bots -------------------------------------------------------------------------------------


class _Lean(asyncio.Protocol):
    """A minimal WebSocket client for the load generator: one core must drive 1,500+ bots,
    and the ``websockets`` library costs ~40 µs of bot CPU per message, which would make the
    bots, not the server, the bottleneck. Same wire bytes; ``--bot-client library`` runs the
    real client library instead, to cross-check."""

    def __init__(self, on_frame: Any, on_zone: Any = None) -> None:
        self.on_frame = on_frame
        self.on_zone = on_zone  # zoned workers: called with this client and the zone named
        self.resume_token: str | None = None
        self.resumed = False
        self.buf = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.welcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.closure: int | None = None
        self.corrections = self.errors = 0
        self.last_error: tuple[int, str] | None = None  # (code, text) of the last ``error``

    @classmethod
    async def connect(cls, url: str, on_frame: Any, on_zone: Any = None) -> _Lean:
        import base64
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_connection(
            lambda: cls(on_frame, on_zone), parts.hostname, parts.port or 80
        )
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = base64.b64encode(os.urandom(16)).decode()
        proto.transport.write(  # type: ignore[union-attr]
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        await asyncio.wait_for(proto.opened, 30)
        return proto

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closure is None:
            self.closure = 1006
        for fut in (self.opened, self.welcome):
            if not fut.done():
                fut.set_exception(ConnectionError("connection lost"))

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buf[: buf.find(b"\r\n")]:
                self.opened.set_exception(ConnectionError(bytes(buf[:80]).decode()))
                return
            del buf[: end + 4]
            self.upgraded = True
            self.opened.set_result(None)
        while len(buf) >= 2:
            n = buf[1] & 0x7F
            off = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, off = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, off = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < off + n:
                return
            opcode = buf[0] & 0x0F
            payload = bytes(buf[off : off + n])
            del buf[: off + n]
            if opcode == 2:
                self._message(payload)
            elif opcode == 8:
                self.closure = int.from_bytes(payload[:2], "big") if payload else 1005
            elif opcode == 9:
                self._write(0x8A, payload)

    def _message(self, data: bytes) -> None:
        if len(data) > 1 and data[1] == 5:
            self.on_frame(data)
            return
        kind = data[1] if len(data) > 1 else -1
        if kind == 2 and not self.welcome.done():
            self.welcome.set_result(msgpack.unpackb(data))
        elif kind == 4:
            self.corrections += 1
        elif kind == 17 and self.on_zone is not None:
            self.on_zone(self, msgpack.unpackb(data)[2])
        elif kind == 12:
            self.errors += 1
            err = msgpack.unpackb(data)
            self.last_error = (err[2], err[3])

    def _write(self, first: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            head = bytes((first, 0x80 | n))
        else:
            head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(head + b"\x00\x00\x00\x00" + payload)  # zero mask key

    async def hello(
        self, name: str, look: tuple[int, int, int], resume: str | None = None
    ) -> tuple[int, float, float]:
        from srichan_world.protocol.codec import encode
        from srichan_world.protocol.messages import Hello

        self._write(0x82, encode(Hello(1, name, look, resume=resume, cid=1)))
        w = await asyncio.wait_for(self.welcome, 30)
        self.resume_token, self.resumed = w[3], w[9]
        return w[2], w[4], w[5]

    async def move(self, x: float, z: float, heading: float, anim: int) -> None:
        self._write(0x82, msgpack.packb([3, None, x, z, heading, anim]))

    async def close(self) -> None:
        self._write(0x88, (1000).to_bytes(2, "big"))
        if self.transport is not None:
            self.transport.close()


def _bot_process(cfg: dict, results: Any, go: Any) -> None:
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, set(cfg["cpus"]))
    try:
        asyncio.run(_bots(cfg, results, go))
    except Exception as exc:  # reported to the parent rather than lost in a child
        results.put({"error": f"{cfg['name']}: {type(exc).__name__}: {exc}"})


class Walkers:
    """One bot process's crowd: connect the bots, then walk them along the street at a fixed
    move rate, stamping each move in ``sent`` so observers can time its arrival. Shared by
    this benchmark and tools/bench/scale.py, which differ only in how bots connect and what
    they record from frames."""

    def __init__(self, cfg: dict) -> None:
        from srichan_world.scene.manifest import Manifest
        from srichan_world.world.walkmap import WalkMap

        self.cfg = cfg
        self.walk = WalkMap(Manifest.parse(cfg["manifest"]).walkable)
        self.rng = random.Random(cfg["seed"])
        self.clock = time.monotonic
        self.sent: dict[tuple[int, int, int], float] = {}  # (avatar, x cm, z cm) -> when sent
        self.bots: list[list] = []  # [avatar id, x, z, heading rad, client, frame counter]
        self.measuring = False
        self.moves = 0

    async def join(self, results: Any, connect: Any) -> bool:
        """Connect every bot (``await connect(i, me)`` fills ``me[0:3]`` and returns the
        client) and tell the parent; False (reported) when one could not connect."""
        sem = asyncio.Semaphore(64)

        async def one(i: int) -> None:
            async with sem:
                me: list = [0, 0.0, 0.0, self.rng.uniform(0, 2 * math.pi), None, i]
                client = await connect(i, me)
                if me[4] is None:  # else a zone move (tools/bench/scale.py) already replaced it
                    me[4] = client
                self.bots.append(me)

        try:
            await asyncio.gather(*(one(i) for i in range(self.cfg["clients"])))
        except Exception as exc:
            name = self.cfg["name"]
            results.put({"error": f"{name}: connect failed: {type(exc).__name__}: {exc}"})
            return False
        results.put({"ready": self.cfg["name"]})
        return True

    async def walk_until_done(self, go: Any) -> float:
        """Wait for ``go``, walk through the warm-up and the measured window; returns the bot
        process's CPU share while measuring."""
        cfg, rng, clock, sent = self.cfg, self.rng, self.clock, self.sent
        while not go.is_set():
            await asyncio.sleep(0.02)
        period = 1.0 / cfg["rate"]
        step = WALK_SPEED * period
        start = clock()
        end_warmup = start + cfg["warmup"]
        end = end_warmup + cfg["duration"]
        cpu0 = None
        t_measure = clock()
        slices = 10
        tick = 0
        while clock() < end:
            if cpu0 is None and clock() >= end_warmup:
                self.measuring = True
                cpu0 = time.process_time()
                t_measure = clock()
            group = self.bots[tick % slices :: slices]
            tick += 1
            now = clock()
            for me in group:
                client = me[4]
                if client.closure is not None:
                    continue
                if rng.random() < 0.05:
                    me[3] += rng.uniform(-0.8, 0.8)
                nx = me[1] + math.cos(me[3]) * step
                nz = me[2] + math.sin(me[3]) * step
                if not self.walk.contains(nx, nz):
                    me[3] = rng.uniform(0, 2 * math.pi)
                    continue
                me[1], me[2] = nx, nz
                heading = (-math.degrees(me[3])) % 360.0
                sent[(me[0], round(nx * 100), round(nz * 100))] = now
                try:
                    await client.move(nx, nz, heading, 1)
                except Exception:
                    continue
                if self.measuring:
                    self.moves += 1
            if tick % (slices * 20) == 0:  # forget stamps older than ~2 s
                cutoff = now - 2.0
                for key in [k for k, t in sent.items() if t < cutoff]:
                    del sent[key]
            await asyncio.sleep(max(0.0, start + tick * period / slices - clock()))
        self.measuring = False
        return (time.process_time() - (cpu0 or 0.0)) / max(1e-9, clock() - t_measure)

    async def close(self) -> None:
        await asyncio.gather(*(me[4].close() for me in self.bots), return_exceptions=True)


class _Stats:
    def __init__(self) -> None:
        self.frames = self.bytes = self.decoded = self.records = 0
        self.sized = self.record_bytes = 0
        self.latency: list[float] = []
        self.echo: list[float] = []
        self.corrections = self.errors = self.disconnects = 0


async def _bots(cfg: dict, results: Any, go: Any) -> None:
    from server.ws.client import PresenceClient
    from srichan_world.protocol.messages import Correction, Error

    crowd = Walkers(cfg)
    stats = _Stats()
    sent, clock = crowd.sent, crowd.clock

    def on_frame_for(me: list) -> Any:
        def on_frame(data: bytes) -> None:
            if not crowd.measuring:
                return
            now = clock()
            stats.frames += 1
            stats.bytes += len(data)
            me[5] += 1
            if me[5] % 8:
                return  # decode one frame in eight: enough samples, little bot CPU
            frame = msgpack.unpackb(data)
            stats.decoded += 1
            updates = frame[5]
            stats.records += len(updates)
            if stats.decoded % 5 == 1:
                stats.sized += len(updates)
                stats.record_bytes += sum(len(msgpack.packb(u)) for u in updates)
            for u in updates:
                if u[1] is not None:
                    t = sent.get((u[0], u[1], u[2]))
                    if t is not None:
                        (stats.echo if u[0] == me[0] else stats.latency).append((now - t) * 1000)

        return on_frame

    async def connect(i: int, me: list) -> Any:
        name, look = f"บอท{cfg['name']}-{i}", (i % 16, i % 12, i % 5)
        if cfg["library"]:
            client = await PresenceClient.connect(cfg["url"], on_frame=on_frame_for(me))
            w = await client.hello(name, look)
            me[0], me[1], me[2] = w.avatar_id, w.x, w.z
        else:
            client = await _Lean.connect(cfg["url"], on_frame_for(me))
            me[0], me[1], me[2] = await client.hello(name, look)
        return client

    if not await crowd.join(results, connect):
        return
    cpu = await crowd.walk_until_done(go)
    for me in crowd.bots:
        client = me[4]
        if isinstance(client, _Lean):
            stats.corrections += client.corrections
            stats.errors += client.errors
        else:
            for msg in client.inbox:
                if isinstance(msg, Correction):
                    stats.corrections += 1
                elif isinstance(msg, Error):
                    stats.errors += 1
        if client.closure is not None:
            stats.disconnects += 1
    await crowd.close()
    results.put(
        {
            "connected": len(crowd.bots),
            "latency_ms": stats.latency,
            "echo_ms": stats.echo,
            "frames": stats.frames,
            "bytes": stats.bytes,
            "decoded": stats.decoded,
            "records": stats.records,
            "record_bytes": stats.record_bytes,
            "sized": stats.sized,
            "moves": crowd.moves,
            "corrections": stats.corrections,
            "errors": stats.errors,
            "disconnects": stats.disconnects,
            "cpu": cpu,
        }
    )


# -- reporting --------------------------------------------------------------------------------

_COLUMNS = (
    ("mode", "mode", 13),
    ("clients", "N", 5),
    ("p50_ms", "p50", 6),
    ("p95_ms", "p95", 6),
    ("p99_ms", "p99", 6),
    ("server_cpu", "srvCPU", 6),
    ("server_rss_mb", "RSS MB", 6),
    ("cpu_us_per_client_tick", "µs/c/t", 6),
    ("clients_per_core", "c/core", 6),
    ("frames_per_client_s", "fr/c/s", 6),
    ("bytes_per_client_s", "B/c/s", 7),
    ("bytes_per_update", "B/upd", 5),
    ("updates_per_frame", "upd/fr", 6),
    ("kib_per_client", "KiB/c", 5),
    ("tick_ms_p99", "tick99", 6),
    ("errors", "err", 4),
    ("disconnects", "disc", 4),
)


def _row(values: dict) -> str:
    return "  ".join(f"{values.get(k)!s:>{w}}" for k, _, w in _COLUMNS)


def _print_run(run: dict) -> None:
    print(
        _row(run) + f"  bots CPU {run['bot_cpu']}; others took {run['server_core_others']}"
        f" of the server core, {run['bot_cores_others']} of the bots'"
        + f"; load {run.get('load_avg')}"
        + (" CONTENDED" if run.get("contended") else ""),
        flush=True,
    )


def _summarise(runs: list[dict], sizes: list[int], modes: list[str]) -> list[dict]:
    out = []
    for n in sizes:
        for mode in modes:
            mine = [r for r in runs if r["clients"] == n and r["mode"] == mode]
            clean = [r for r in mine if not r["contended"]]
            row: dict[str, Any] = {
                "mode": mode,
                "clients": n,
                "runs": len(mine),
                "clean_runs": len(clean),
            }
            mine = clean or mine
            for key in (
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "server_cpu",
                "server_rss_mb",
                "cpu_us_per_client_tick",
                "clients_per_core",
                "frames_per_client_s",
                "bytes_per_client_s",
                "bytes_per_update",
                "updates_per_frame",
                "errors",
                "disconnects",
                "tick_ms_p50",
                "tick_ms_p99",
                "ticks_per_s",
                "kib_per_client",
                "load_avg",
            ):
                values = [r[key] for r in mine if r.get(key) is not None]
                row[key] = round(statistics.median(values), 2) if values else None
            out.append(row)
    return out


def _print_summary(summary: list[dict]) -> None:
    print("\nmedians")
    print("  ".join(f"{h:>{w}}" for _, h, w in _COLUMNS))
    for row in summary:
        print(_row(row))
    for row in summary:
        if row["mode"] != "product":
            continue
        for base in ("relay", "relay-aiohttp"):
            other = next(
                (r for r in summary if r["mode"] == base and r["clients"] == row["clients"]),
                None,
            )
            mine, theirs = row["cpu_us_per_client_tick"], other and other["cpu_us_per_client_tick"]
            if mine and theirs:
                print(
                    f"N={row['clients']}: the product carries {theirs / mine:.2f}x the clients "
                    f"per core of the {base} ({mine} vs {theirs} µs per client-tick)"
                )


def _same_run_ratios(runs: list[dict]) -> dict[str, Any]:
    """Each product mode's clients per core as a share of each relay's, run by run within a
    repeat (same size, minutes apart): the machine's load shifts between repeats, so these
    ratios are steadier than ratios of medians. Contended runs count too, marked."""
    ratios: dict[str, dict[str, Any]] = {}
    lines = []
    keys = sorted({(r["clients"], r["repeat"]) for r in runs})
    products = [m for m in SERVERS if m.startswith("product")]
    for mode in products:
        for base in ("relay", "relay-aiohttp"):
            for n in sorted({k[0] for k in keys}):
                found = []
                for rep in sorted({k[1] for k in keys if k[0] == n}):
                    pick = {
                        r["mode"]: r
                        for r in runs
                        if r["clients"] == n
                        and r["repeat"] == rep
                        and r.get("cpu_us_per_client_tick")
                    }
                    if mode in pick and base in pick:
                        mine, theirs = pick[mode], pick[base]
                        ratio = theirs["cpu_us_per_client_tick"] / mine["cpu_us_per_client_tick"]
                        contended = bool(mine.get("contended") or theirs.get("contended"))
                        found.append((round(ratio, 2), contended))
                if found:
                    median = round(statistics.median(r for r, _ in found), 2)
                    ratios[f"{mode}/{base}/{n}"] = {"median": median, "runs": found}
                    each = ", ".join(f"{r}{'*' if c else ''}" for r, c in found)
                    lines.append(
                        f"N={n}: {mode} per core / {base}, same-run ratios {each} "
                        f"(* contended): median {median}x"
                    )
    return {"ratios": ratios, "lines": lines}


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0]}


if __name__ == "__main__":
    _parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(_parser)
    raise SystemExit(main(_parser.parse_args()))
