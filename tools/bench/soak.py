"""Soak benchmark: does a real ``srichan serve`` stay flat in memory and file descriptors under
long churn?

    python -m tools.bench.soak --minutes 30            # the figure in docs/benchmarks.md
    python -m tools.bench.soak --minutes 1 --walkers 40 --churn 5   # a quick look

Starts ``srichan serve`` as its own process (SQLite store, the Sri Chan scene's manifest and
answers; the GLB is opaque here) with the per-address admission limits raised, since every bot
comes from 127.0.0.1. Against it, from this process, until ``--minutes`` are up:

* ``--walkers`` avatars walk up and down the road (2 moves a second);
* ``--churn`` connect → hello → leave per second, alternately with a goodbye (close 1000: the
  avatar goes at once) and by dropping the socket (the avatar is held for the resume window);
* every ``--learner-every`` seconds a new visitor walks to the City Gate question, answers it
  (an award), walks to the first booth and redeems its promotion (a coupon).

Every 10 s it samples the server's resident memory and open file descriptors. After the load
it closes everything, waits out the resume window and samples again. The verdicts: the memory
slope after warm-up (least squares over the samples after the first fifth, MiB per minute;
target ≤ 0.2) and the descriptors back at their baseline (before any client). Prints a table
and writes ``bench-results/soak.json``. Traffic stays on 127.0.0.1; everything is bounded by
``--minutes``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.store.sqlite.store import SQLiteStore
from server.ws.client import PresenceClient
from srichan_world.protocol.messages import (
    CouponIssued,
    QuizAnswer,
    QuizOpen,
    QuizResult,
    Redeem,
)
from srichan_world.scene.model import Text
from srichan_world.world.booths import BoothConfig, Product, Promotion
from tools.bench.learning import QUIZ, compiled_scene

ROOT = Path(__file__).resolve().parents[2]
SLOPE_TARGET_MIB_PER_MIN = 0.2
SAMPLE_S = 10.0
RESUME_WINDOW_S = 10.0
"""Shorter than the default 30 s, so the drain after the load is quick (set on the server)."""
SHOP = "soak-shop"
PROMOTION = "soak0001"


@dataclass
class Counts:
    walkers_connected: int = 0
    churned: int = 0
    awards: int = 0
    coupons: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


@dataclass(frozen=True)
class Sample:
    t_s: float
    rss_mib: float
    fds: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sample(pid: int, start: float) -> Sample:
    rss_kib = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
    return Sample(
        round(time.monotonic() - start, 1), rss_kib / 1024, len(os.listdir(f"/proc/{pid}/fd"))
    )


def slope_per_minute(samples: list[Sample]) -> float:
    """Least-squares slope of RSS over time, MiB per minute."""
    if len(samples) < 2:
        return math.nan
    ts = [s.t_s / 60 for s in samples]
    ys = [s.rss_mib for s in samples]
    mt, my = statistics.fmean(ts), statistics.fmean(ys)
    var = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var if var else math.nan


async def prepare_store(db: Path, manifest: dict[str, Any]) -> tuple[str, tuple[float, float]]:
    """A shop on the first booth slot with a promotion that never runs out."""
    store = await SQLiteStore.open(db)
    now = time.time()
    slot = manifest["booth_slots"][0]
    config = BoothConfig(
        name=Text("ร้านทดสอบ", "Soak shop"),
        description=Text("", ""),
        awning="#c0392b",
        products=(Product(Text("ชาเย็น", "Iced tea"), 4500),),
        promotions=(
            Promotion(
                PROMOTION,
                Text("ชาฟรี", "Free tea"),
                1,
                1_000_000,
                int(now - 60),
                int(now + 7 * 86_400),
            ),
        ),
    )
    await store.grant_slot(slot["id"], SHOP, "ร้านทดสอบ", now)
    await store.save_booth_draft(slot["id"], SHOP, config, now)
    await store.publish_booth(slot["id"], SHOP, now)
    await store.close()
    return slot["id"], (slot["position"][0], slot["position"][1])


def start_server(scene_dir: Path, db: Path, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "SRICHAN_SCENE_DIR": str(scene_dir),
        "SRICHAN_STORE": f"sqlite:///{db}",
        "SRICHAN_PORT": str(port),
        "SRICHAN_HOST": "127.0.0.1",
        "SRICHAN_MAX_SPEED": "50",
        "SRICHAN_RESUME_WINDOW_S": str(RESUME_WINDOW_S),
        # every bot is 127.0.0.1: one address must hold the whole crowd and its churn
        "SRICHAN_WS_PER_ADDRESS": "100000",
        "SRICHAN_HELLOS_PER_MINUTE": "100000",
        "SRICHAN_HELLO_BURST": "100000",
        "SRICHAN_PENDING_PER_ADDRESS": "100000",
        "SRICHAN_IDENTITIES_PER_HOUR": "100000",
        "SRICHAN_IDENTITY_BURST": "100000",
        # each learner is a new identity that redeems within a minute: the pending rule (its
        # own tests) would hold every coupon, and the soak is about memory under the load
        "SRICHAN_UNLOCK_QUIZZES": "0",
        "SRICHAN_UNLOCK_MINUTES": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_up(port: int, proc: subprocess.Popen[bytes]) -> None:
    async with asyncio.timeout(60):
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"srichan serve exited with {proc.returncode}")
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            await asyncio.sleep(0.2)


def identities() -> Iterator[tuple[str, str]]:
    for n in itertools.count():
        yield f"soak-{n:08d}", f"soak-secret-{n:08d}-0123456789abcdef"


async def walker(url: str, n: int, ids: Iterator[tuple[str, str]], until: float, c: Counts) -> None:
    """An avatar pacing the road at 2 moves a second until ``until``; reconnects if dropped."""
    while time.monotonic() < until:
        vid, secret = next(ids)
        try:
            client = await PresenceClient.connect(url, on_frame=lambda _b: None)
            welcome = await client.hello(
                f"เดิน{n}", (1, 2, 3), visitor_id=vid, visitor_secret=secret
            )
            c.walkers_connected += 1
            x, z, step = welcome.x, welcome.z, 1.5
            while time.monotonic() < until:
                x += step
                if abs(x - welcome.x) > 40:
                    step = -step
                await client.move(x, z, heading=90.0 if step > 0 else 270.0)
                await asyncio.sleep(0.5)
            await client.close()
        except Exception as exc:  # a bot's failure is counted, never the end of the soak
            c.error(f"walker {type(exc).__name__}")
            await asyncio.sleep(1.0)


async def churner(
    url: str, rate: float, ids: Iterator[tuple[str, str]], until: float, c: Counts
) -> None:
    """``rate`` visitors a second who say hello and leave: half with a goodbye, half dropped."""
    running: set[asyncio.Task[None]] = set()

    async def one(goodbye: bool) -> None:
        vid, secret = next(ids)
        try:
            client = await PresenceClient.connect(url, on_frame=lambda _b: None)
            await client.hello("ผ่านมา", (1, 2, 3), visitor_id=vid, visitor_secret=secret)
            if goodbye:
                await client.close()
            else:  # no closing handshake: the server holds the avatar for the resume window
                await client.drop()
            c.churned += 1
        except Exception as exc:
            c.error(f"churn {type(exc).__name__}")

    for n in itertools.count():
        if time.monotonic() >= until:
            break
        task = asyncio.create_task(one(n % 2 == 0))
        running.add(task)
        task.add_done_callback(running.discard)
        await asyncio.sleep(1.0 / rate)
    await asyncio.gather(*running, return_exceptions=True)


async def walk_to(
    client: PresenceClient, start: tuple[float, float], target: tuple[float, float]
) -> None:
    steps = max(1, math.ceil(math.dist(start, target) / 4.0))
    for i in range(1, steps + 1):
        await asyncio.sleep(0.1)
        await client.move(
            start[0] + (target[0] - start[0]) * i / steps,
            start[1] + (target[1] - start[1]) * i / steps,
        )
    await client.ping()


async def learner(
    url: str,
    quiz_at: tuple[float, float],
    correct: int,
    booth: tuple[str, tuple[float, float]],
    ids: Iterator[tuple[str, str]],
    c: Counts,
) -> None:
    """A new visitor: answers the gate question (an award), then redeems at the booth."""
    vid, secret = next(ids)
    try:
        client = await PresenceClient.connect(url, on_frame=lambda _b: None)
        welcome = await client.hello("ผู้เรียน", (1, 2, 3), visitor_id=vid, visitor_secret=secret)
        await walk_to(client, (welcome.x, welcome.z), quiz_at)
        await client.request(QuizOpen(QUIZ))
        result = await client.request(QuizAnswer(QUIZ, correct))
        if isinstance(result, QuizResult) and result.reward > 0:
            c.awards += 1
        slot, at = booth
        await walk_to(client, quiz_at, at)
        reply = await client.request(Redeem(slot, PROMOTION, f"soak-{vid}"))
        if isinstance(reply, CouponIssued):
            c.coupons += 1
        else:
            c.error(f"redeem {type(reply).__name__}")
        await client.close()
    except Exception as exc:
        c.error(f"learner {type(exc).__name__}")


async def load(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    scene_dir, quiz_at, correct = compiled_scene(folder / "build")
    manifest = json.loads((scene_dir / "srichan.manifest.json").read_text(encoding="utf-8"))
    db = folder / "soak.db"
    booth = await prepare_store(db, manifest)
    port = free_port()
    proc = start_server(scene_dir, db, port)
    url = f"ws://127.0.0.1:{port}/ws"
    counts, samples = Counts(), []
    try:
        await wait_up(port, proc)
        await asyncio.sleep(2.0)
        start = time.monotonic()
        baseline = sample(proc.pid, start)
        until = start + args.minutes * 60
        ids = identities()
        tasks = [
            asyncio.create_task(walker(url, n, ids, until, counts)) for n in range(args.walkers)
        ]
        tasks.append(asyncio.create_task(churner(url, args.churn, ids, until, counts)))
        learners: set[asyncio.Task[None]] = set()
        next_sample = next_learner = time.monotonic()
        while time.monotonic() < until:
            now = time.monotonic()
            if now >= next_learner:
                task = asyncio.create_task(learner(url, quiz_at, correct, booth, ids, counts))
                learners.add(task)
                task.add_done_callback(learners.discard)
                next_learner = now + args.learner_every
            if now >= next_sample:
                samples.append(sample(proc.pid, start))
                s = samples[-1]
                print(
                    f"{s.t_s:7.0f} s  rss {s.rss_mib:6.1f} MiB  fds {s.fds:5d}  "
                    f"churned {counts.churned:7d}  awards {counts.awards:5d}  "
                    f"coupons {counts.coupons:5d}  errors {sum(counts.errors.values())}",
                    file=sys.stderr,
                )
                next_sample = now + SAMPLE_S
            await asyncio.sleep(0.05)
        await asyncio.gather(*tasks, *learners, return_exceptions=True)
        await asyncio.sleep(RESUME_WINDOW_S + 5.0)  # every held avatar expires
        after = sample(proc.pid, start)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=20)
        if proc.poll() is None:
            proc.kill()
    warm = [s for s in samples if s.t_s >= args.minutes * 60 / 5]
    slope = slope_per_minute(warm)
    return {
        "minutes": args.minutes,
        "walkers": args.walkers,
        "churn_per_s": args.churn,
        "learner_every_s": args.learner_every,
        "counts": counts.__dict__,
        "baseline": baseline.__dict__,
        "after_drain": after.__dict__,
        "rss_mib_warm_first": warm[0].rss_mib if warm else math.nan,
        "rss_mib_warm_last": warm[-1].rss_mib if warm else math.nan,
        "rss_mib_max": max((s.rss_mib for s in samples), default=math.nan),
        "slope_mib_per_min": round(slope, 4),
        "slope_ok": slope <= SLOPE_TARGET_MIB_PER_MIN,
        "fds_back_to_baseline": after.fds <= baseline.fds,
        "samples": [s.__dict__ for s in samples],
        "load_average": os.getloadavg(),
    }


def print_table(r: dict[str, Any]) -> None:
    c = r["counts"]
    rows = [
        ("duration", f"{r['minutes']:g} min"),
        ("walkers / churn", f"{r['walkers']} / {r['churn_per_s']:g} per s"),
        ("connect-leave cycles", f"{c['churned']:,}"),
        ("awards / coupons", f"{c['awards']:,} / {c['coupons']:,}"),
        ("bot errors", f"{sum(c['errors'].values()):,} {c['errors'] or ''}"),
        ("RSS baseline → max", f"{r['baseline']['rss_mib']:.1f} → {r['rss_mib_max']:.1f} MiB"),
        ("RSS after warm-up", f"{r['rss_mib_warm_first']:.1f} → {r['rss_mib_warm_last']:.1f} MiB"),
        ("RSS slope after warm-up", f"{r['slope_mib_per_min']:+.3f} MiB/min (target ≤ 0.2)"),
        ("RSS after the drain", f"{r['after_drain']['rss_mib']:.1f} MiB"),
        ("fds baseline → after", f"{r['baseline']['fds']} → {r['after_drain']['fds']}"),
        ("load average", " ".join(f"{x:.1f}" for x in r["load_average"])),
    ]
    for name, value in rows:
        print(f"{name:26}{value}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--walkers", type=int, default=300)
    parser.add_argument("--churn", type=float, default=20.0, help="connect-leave cycles a second")
    parser.add_argument("--learner-every", type=float, default=2.0, help="seconds between learners")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "soak.json")
    args = parser.parse_args(argv)
    random.seed(7)
    with tempfile.TemporaryDirectory(prefix="srichan-soak-") as tmp:
        result = asyncio.run(load(args, Path(tmp)))
    print_table(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if result["slope_ok"] and result["fds_back_to_baseline"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
