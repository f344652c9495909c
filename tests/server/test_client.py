"""The client library and the benchmark's bots and relay, against real servers on loopback."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from server.app import create_presence_app
from server.ws.client import Closed, PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import ChatSaid, Frame, Welcome
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, public_manifest
from srichan_world.world.presence import PresenceSettings
from tools.bench import presence as bench_presence


@pytest.fixture
async def url(small_scene_text: str) -> AsyncIterator[str]:
    manifest = Manifest.parse(public_manifest(load_scene_text(small_scene_text)))
    app = create_presence_app(manifest, PresenceSettings())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"ws://{host}:{port}/ws"
    await runner.cleanup()


async def test_next_takes_one_kind_and_leaves_the_rest_in_order(url: str) -> None:
    a = await PresenceClient.connect(url)
    await a.hello("ก")
    await a.chat("หนึ่ง")
    await a.chat("สอง")
    await a.next(Frame)  # frames and chat interleave; taking a frame keeps both chats
    assert (await a.next(ChatSaid)).text == "หนึ่ง"
    assert (await a.next(ChatSaid)).text == "สอง"
    await a.close()


async def test_request_raises_server_errors_and_closed_reports_the_code(url: str) -> None:
    a = await PresenceClient.connect(url)
    with pytest.raises(ServerError) as err:
        await a.hello("")
    assert err.value.error.code == ErrorCode.BAD_NAME
    assert isinstance(await a.hello("ได้แล้ว"), Welcome)
    await a.send_raw(b"\xc1")
    closed = await a.closed()
    assert closed.code == 4000
    with pytest.raises(Closed):  # what arrived before the close is still read first
        for _ in range(1000):
            await a.recv(timeout=1)


async def test_next_times_out(url: str) -> None:
    a = await PresenceClient.connect(url)
    with pytest.raises(TimeoutError):
        await a.next(ChatSaid, timeout=0.2)
    await a.close()


async def test_lean_bot_transport_speaks_the_same_protocol(url: str) -> None:
    frames: list[bytes] = []
    bot = await bench_presence._Lean.connect(url, frames.append)
    aid, x, z = await bot.hello("บอท", (1, 2, 3))
    watcher = await PresenceClient.connect(url)
    await watcher.hello("ดู")
    await bot.move(x + 0.5, z, 0.0, 1)
    async with asyncio.timeout(5):
        while aid not in watcher.avatars or watcher.avatars[aid].x != round((x + 0.5) * 100):
            await watcher.next(Frame)
    assert frames and bot.corrections == 0
    await bot.move(x + 80.0, z, 0.0, 1)  # a teleport: corrected
    async with asyncio.timeout(5):
        while not bot.corrections:
            await asyncio.sleep(0.02)
    await bot.close()
    await watcher.close()


@pytest.mark.slow
def test_bench_runs_product_and_relay_and_writes_json(tmp_path: Path) -> None:
    """A tiny bounded run of the whole benchmark: the product and both relays (picows, the
    baseline, and aiohttp), bots, JSON."""
    parser = argparse.ArgumentParser()
    bench_presence.add_arguments(parser)
    out = tmp_path / "presence.json"
    argv = ["--clients", "12", "--duration", "1.5", "--warmup", "0.5", "--repeat", "1"]
    args = parser.parse_args([*argv, "--bot-procs", "1", "--retries", "0", "--json", str(out)])
    assert bench_presence.main(args) == 0
    doc = json.loads(out.read_text())
    modes = {r["mode"]: r for r in doc["runs"]}
    assert set(modes) == {"product", "relay", "relay-aiohttp"}
    for run in modes.values():
        assert run["connected"] == 12 and run["disconnects"] == 0 and run["errors"] == 0
        assert run["frames_per_client_s"] > 5
        assert run["latency_samples"] > 0 and run["p99_ms"] < 2000
        assert run["bytes_per_update"] and run["bytes_per_update"] <= 12


def test_bench_refuses_other_hosts_and_unbounded_runs() -> None:
    parser = argparse.ArgumentParser()
    bench_presence.add_arguments(parser)
    assert bench_presence.main(parser.parse_args(["--url", "ws://10.0.0.5:80/ws"])) == 2
    assert bench_presence.main(parser.parse_args(["--duration", "9999"])) == 2
    assert bench_presence.main(parser.parse_args(["--mode", "product,tornado"])) == 2
