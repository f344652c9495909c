"""Benchmark of the browser client: time to first frame, bytes, and frame time in a crowd.

    python -m tools.bench.client [--url http://host:port] [--runs 3] [--bots 50]

Without ``--url`` it compiles scenes/srichan.toml into a temporary folder and serves it from
this process on a loopback port. For each network condition (unthrottled, and 10 Mbit/s with
40 ms latency through CDP ``Network.emulateNetworkConditions``) it loads the page in a fresh
browser context with the cache off and records the time from navigation to the first rendered
frame and the bytes on the wire (by kind). Then ``--bots`` visitors walk in circles in front of
the viewer while the page measures its frame times. Prints a table and writes
``bench-results/client.json``. Drives Debian's chromium (SwiftShader: no GPU on a server, so
frame times here are a floor for real phones' GPUs, not a prediction).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import Browser, async_playwright

from server.ws.client import PresenceClient
from srichan_world.protocol.codes import Anim
from srichan_world.scene.geometry import Walkable

ROOT = Path(__file__).resolve().parents[2]
# Headless as root without a GPU or a network; the browser tests launch with these too.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
THROTTLED = {"latency": 40, "downloadThroughput": 10e6 / 8, "uploadThroughput": 10e6 / 8}
GOAL_FIRST_FRAME_S = 3.0


@contextlib.asynccontextmanager
async def local_server() -> AsyncIterator[str]:
    """Build the real scene and serve it (and the client) on a loopback port."""
    from server.app import create_app
    from server.config import Settings
    from tools.cli import main as srichan

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scene"
        with contextlib.redirect_stdout(None):
            status = srichan(
                ["scene", "build", str(ROOT / "scenes/srichan.toml"), "--out", str(out)]
            )
        if status != 0:
            raise SystemExit("scene build failed")
        settings = Settings(port=0, scene_dir=out, store=f"sqlite:///{tmp}/bench.db")
        runner = web.AppRunner(create_app(settings), shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        try:
            yield f"http://{host}:{port}"
        finally:
            await runner.cleanup()


def kind_of(url: str, mime: str) -> str:
    if url.endswith(".glb"):
        return "glb"
    if "javascript" in mime or url.endswith((".js", ".mjs")):
        return "js"
    if "json" in mime:
        return "json"
    if "css" in mime:
        return "css"
    if "html" in mime:
        return "html"
    return "other"


async def load_once(browser: Browser, url: str, throttle: bool, mode: str) -> dict[str, Any]:
    """One cold page load: first frame (or, in list mode, first list render) and bytes."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttle:
        await cdp.send("Network.emulateNetworkConditions", {"offline": False, **THROTTLED})
    kinds: dict[str, str] = {}
    wire: dict[str, int] = {}
    cdp.on(
        "Network.responseReceived",
        lambda e: kinds.__setitem__(
            e["requestId"], kind_of(e["response"]["url"], e["response"]["mimeType"])
        ),
    )

    def finished(e: dict) -> None:
        kind = kinds.get(e["requestId"], "other")
        wire[kind] = wire.get(kind, 0) + int(e["encodedDataLength"])

    cdp.on("Network.loadingFinished", finished)
    suffix = "?mode=list" if mode == "list" else "?quality=auto"
    await page.goto(url + "/" + suffix)
    if mode == "list":
        await page.locator("#list .landmark").first.wait_for(timeout=60_000)
        first = await page.evaluate("performance.now()")
    else:
        await page.wait_for_function("document.body.dataset.firstFrame", timeout=60_000)
        first = float(await page.evaluate("document.body.dataset.firstFrame"))
    await page.wait_for_timeout(300)  # let the last loadingFinished events arrive
    await context.close()
    return {"first_frame_s": first / 1000, "bytes": sum(wire.values()), "bytes_by_kind": wire}


async def measure_loads(browser: Browser, url: str, runs: int) -> list[dict[str, Any]]:
    rows = []
    for mode in ("3d", "list"):
        for throttle in (False, True):
            samples = [await load_once(browser, url, throttle, mode) for _ in range(runs)]
            firsts = [s["first_frame_s"] for s in samples]
            rows.append(
                {
                    "mode": mode,
                    "network": "10 Mbit/s, 40 ms" if throttle else "unthrottled",
                    "first_frame_s_median": round(statistics.median(firsts), 3),
                    "first_frame_s_max": round(max(firsts), 3),
                    "bytes": samples[-1]["bytes"],
                    "bytes_by_kind": samples[-1]["bytes_by_kind"],
                    "runs": runs,
                }
            )
    return rows


# -- the crowd -------------------------------------------------------------------------------


class Bot:
    """A visitor walking a circle at walking pace, sending moves at 10 Hz."""

    def __init__(self, client: PresenceClient, radius: float, speed: float) -> None:
        self.client = client
        w = client.welcome
        assert w is not None
        self.cx, self.cz = w.x + radius, w.z  # the spawn point is on the circle (angle π)
        self.radius = radius
        self.omega = speed / radius
        self.angle = math.pi

    async def walk(self, stop: asyncio.Event) -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.1)
            now = time.monotonic()
            self.angle += self.omega * (now - last)
            last = now
            x = self.cx + self.radius * math.cos(self.angle)
            z = self.cz + self.radius * math.sin(self.angle)
            # Counter-clockwise in (x, z): velocity (−sin a, cos a); heading 0 = +x, 90 = −z.
            heading = math.degrees(math.atan2(-math.cos(self.angle), -math.sin(self.angle)))
            await self.client.move(x, z, heading, Anim.WALK)


def fits_circle(walkable: Walkable, x: float, z: float, radius: float) -> bool:
    cx = x + radius
    return all(
        walkable.contains((cx + radius * math.cos(a), z + radius * math.sin(a)))
        for a in (i * math.pi / 8 for i in range(16))
    )


async def crowd(url: str, near: tuple[float, float], count: int, manifest: dict) -> list[Bot]:
    """Connect bots until ``count`` of them spawned within 30 m of ``near`` (spawn points are
    handed out in turn; the others leave at once). Frames are not decoded (``on_frame``)."""
    walkable = Walkable.from_json(manifest["walkable"])
    ws_url = url.replace("http", "ws", 1) + "/ws"
    kept: list[Bot] = []
    attempts = 0
    while len(kept) < count and attempts < count * 6:
        attempts += 1
        client = await PresenceClient.connect(ws_url, on_frame=lambda _data: None)
        welcome = await client.hello(f"bot {attempts}", (attempts % 6, attempts % 12, attempts % 4))
        if math.dist((welcome.x, welcome.z), near) > 30:
            await client.close()
            continue
        radius = 3.0 + (len(kept) % 5) * 1.2
        while radius > 1 and not fits_circle(walkable, welcome.x, welcome.z, radius):
            radius -= 1
        kept.append(Bot(client, radius, 1.5 + (len(kept) % 4) * 0.6))
    return kept


FRAME_TIMES_JS = """() => new Promise((done) => {
  const times = []; let last = performance.now(); const end = last + 5000;
  const step = (now) => { times.push(now - last); last = now;
    if (now < end) requestAnimationFrame(step); else done(times); };
  requestAnimationFrame(step);
})"""
VIEWER_READY_JS = "document.body.dataset.firstFrame && window.srichan && srichan.conn.online"


async def measure_crowd(browser: Browser, url: str, bots: int) -> list[dict[str, Any]]:
    """One viewer; ``bots`` walkers around it; frame times at low, then high quality (the
    reload resumes the same avatar at the same place, so the crowd stays in view)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    await page.goto(f"{url}/?quality=low")
    await page.wait_for_function(VIEWER_READY_JS, timeout=60_000)
    me = await page.evaluate("[srichan.state.me.x, srichan.state.me.z]")
    manifest = await page.evaluate("srichan.state.manifest")
    walkers = await crowd(url, tuple(me), bots, manifest)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(b.walk(stop)) for b in walkers]
    rows = []
    try:
        for quality in ("low", "high"):
            if quality != "low":
                await page.goto(f"{url}/?quality={quality}")
                await page.wait_for_function(VIEWER_READY_JS, timeout=60_000)
            await page.wait_for_timeout(2000)
            frames = sorted(await page.evaluate(FRAME_TIMES_JS))
            rows.append(
                {
                    "quality": quality,
                    "bots": len(walkers),
                    "avatars_drawn": await page.evaluate("srichan.street.avatars.size"),
                    "frames": len(frames),
                    "frame_ms_median": round(statistics.median(frames), 1),
                    "frame_ms_p95": round(frames[max(0, int(len(frames) * 0.95) - 1)], 1),
                    "fps": round(1000 * len(frames) / sum(frames), 1),
                }
            )
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for b in walkers:
            await b.client.close()
        await context.close()
    return rows


def print_table(loads: list[dict], crowds: list[dict]) -> None:
    print(f"{'mode':<5} {'network':<18} {'first frame (median/max)':>26} {'bytes':>11}")
    for r in loads:
        first = f"{r['first_frame_s_median']:.2f} s / {r['first_frame_s_max']:.2f} s"
        print(f"{r['mode']:<5} {r['network']:<18} {first:>26} {r['bytes']:>11,}")
    for c in crowds:
        print(
            f"crowd: {c['bots']} walking bots, {c['avatars_drawn']} drawn, quality {c['quality']}: "
            f"frame {c['frame_ms_median']} ms median, {c['frame_ms_p95']} ms p95 ({c['fps']} fps)"
        )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with contextlib.AsyncExitStack() as stack:
        url = args.url or await stack.enter_async_context(local_server())
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            loads = await measure_loads(browser, url, args.runs)
            crowds = await measure_crowd(browser, url, args.bots) if args.bots else []
            await browser.close()
    throttled = next(r for r in loads if r["mode"] == "3d" and r["network"] != "unthrottled")
    return {
        "loads": loads,
        "crowd": crowds,
        "goal_first_frame_throttled_s": GOAL_FIRST_FRAME_S,
        "goal_met": throttled["first_frame_s_max"] <= GOAL_FIRST_FRAME_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running server (default: start one here)")
    parser.add_argument("--runs", type=int, default=3, help="cold loads per condition")
    parser.add_argument("--bots", type=int, default=50, help="walking visitors in view (0: skip)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "client.json")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print_table(result["loads"], result["crowd"])
    verdict = "met" if result["goal_met"] else "NOT met"
    print(f"goal: first frame ≤ {GOAL_FIRST_FRAME_S} s throttled: {verdict}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
