"""Benchmark of learning on the WebSocket: quiz round trips, visit watching, leaderboard pushes.

Runs the real app (create_app) in this process on a loopback port with the
Sri Chan Road scene and a fresh SQLite store (synchronous=FULL), and ``--visitors`` bots with
identities (frames are not decoded). The bots walk to the first City Gate quiz point, then all
open and answer at once: latencies are round trips through the server and the store. The
watcher's visit check and a leaderboard push to every bot are timed by calling them directly.
Bots and server share one process (and the machine's cores), so absolute figures are upper
bounds. Prints a table and writes ``bench-results/learning.json``.

Usage: python -m tools.bench.learning [--visitors 200] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

from aiohttp import web

from server.app import create_app
from server.config import Settings
from server.keys import PUMP, STORE
from server.ws.client import PresenceClient
from server.ws.steps import StoreSteps
from srichan_world.protocol.messages import (
    LeaderboardGet,
    QuizAnswer,
    QuizOpen,
    QuizResult,
    Wallet,
)
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import answers, public_manifest

ROOT = Path(__file__).resolve().parents[2]
QUIZ = "q-gate-gnlc-date"


def compiled_scene(folder: Path) -> tuple[Path, tuple[float, float], int]:
    """The Sri Chan scene's manifest and answers (the GLB is opaque to this benchmark)."""
    scene = load_scene_text((ROOT / "scenes" / "srichan.toml").read_text(encoding="utf-8"))
    content_hash = "be" * 32
    manifest = public_manifest(scene) | {"content_hash": content_hash}
    secret = answers(scene) | {"content_hash": content_hash}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "srichan.manifest.json").write_text(json.dumps(manifest, ensure_ascii=False))
    (folder / "srichan.answers.json").write_text(json.dumps(secret, ensure_ascii=False))
    (folder / "srichan.glb").write_bytes(b"glTF")
    quiz = next(q for q in scene.quiz_points if q.id == QUIZ)
    return folder, quiz.position, quiz.correct


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def join(url: str, n: int) -> tuple[PresenceClient, float]:
    """A bot with an identity; returns it and the time from hello to its wallet."""
    client = await PresenceClient.connect(url, on_frame=lambda _b: None)
    start = time.perf_counter()
    await client.hello(
        f"bot{n}",
        (1, 2, 3),
        visitor_id=f"bench-{n:06d}",
        visitor_secret=f"bench-secret-{n:06d}-0123456789abcdef",
    )
    await client.next(Wallet)
    return client, time.perf_counter() - start


async def walk(client: PresenceClient, target: tuple[float, float]) -> None:
    """At 40 m/s (under the 50 m/s limit set for the benchmark) to ``target``."""
    assert client.welcome is not None
    x, z = client.welcome.x, client.welcome.z
    steps = math.ceil(math.dist((x, z), target) / 4.0)
    for i in range(1, steps + 1):
        await asyncio.sleep(0.1)
        await client.move(x + (target[0] - x) * i / steps, z + (target[1] - z) * i / steps)
    await client.ping()


async def timed(coro: Awaitable[object]) -> float:
    start = time.perf_counter()
    await coro
    return time.perf_counter() - start


async def answered(client: PresenceClient, message: QuizAnswer) -> float:
    """Round trip of one answer, which must be paid (a first right answer)."""
    start = time.perf_counter()
    result = await client.request(message)
    elapsed = time.perf_counter() - start
    assert isinstance(result, QuizResult) and result.reward > 0, result
    return elapsed


async def run(visitors: int, folder: Path) -> dict[str, float]:
    scene_dir, target, correct = compiled_scene(folder / "build")
    settings = Settings(
        port=0, scene_dir=scene_dir, store=f"sqlite:///{folder}/bench.db", max_speed=50.0
    )
    app = create_app(settings, environ={})
    pump = app[PUMP]
    street = pump.street
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    url = f"ws://{host}:{port}/ws"
    try:
        joined = [await join(url, n) for n in range(visitors)]  # one at a time: hello cost
        clients = [c for c, _ in joined]
        await asyncio.gather(*(walk(c, target) for c in clients))
        opens = await asyncio.gather(*(timed(c.request(QuizOpen(QUIZ))) for c in clients))
        start = time.perf_counter()
        answers = await asyncio.gather(*(answered(c, QuizAnswer(QUIZ, correct)) for c in clients))
        burst = time.perf_counter() - start
        alone = []  # one visitor at a time: open and answer again (graded, nothing paid)
        for c in clients[:20]:
            await c.request(QuizOpen(QUIZ))
            alone.append(await timed(c.request(QuizAnswer(QUIZ, correct))))
        for c in clients:
            await c.request(LeaderboardGet())  # every bot follows the boards
        visits, reads, fan_outs = [], [], []
        steps = StoreSteps(app[STORE])
        for i in range(5):
            street._seen_at.clear()  # force a full look at every session
            start = time.perf_counter()
            pump.apply(street.watch(time.time()))
            await pump.settled()
            visits.append(time.perf_counter() - start)
            start = time.perf_counter()
            week, all_time, label = await steps.run(street.learning.boards(time.time()))
            reads.append(time.perf_counter() - start)
            changed = (week, all_time, f"{label} {i}")  # a change: every follower is sent it
            start = time.perf_counter()
            pump.apply(street.push_boards(changed, time.time() + 2 * i))
            fan_outs.append(time.perf_counter() - start)
        for c in clients:
            await c.close()
    finally:
        await runner.cleanup()
    return {
        "visitors": visitors,
        "hello_to_wallet_ms_p50": 1000 * statistics.median(t for _, t in joined),
        "quiz_open_ms_p50": ms(list(opens), 0.5),
        "quiz_open_ms_p99": ms(list(opens), 0.99),
        "quiz_answer_ms_p50": ms(list(answers), 0.5),
        "quiz_answer_ms_p99": ms(list(answers), 0.99),
        "answers_per_s_burst": visitors / burst,
        "quiz_answer_ms_p50_alone": ms(alone, 0.5),
        "visit_check_ms_all_sessions": 1000 * statistics.median(visits),
        "leaderboard_read_ms": 1000 * statistics.median(reads),
        "leaderboard_fan_out_ms_all_followers": 1000 * statistics.median(fan_outs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("bench-results/learning.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args.visitors, Path(tmp)))
    for key, value in result.items():
        print(f"{key:<36}{value:>12.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
