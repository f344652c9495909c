"""``srichan serve --workers N``: several processes on one port, supervised, sharing Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
from pathlib import Path

import aiohttp
import pytest

from server.workers import RESTART_FIRST_S, RESTART_MAX_S, reserve_port, restart_delay
from tests.scale.conftest import SRICHAN, Server, join, serve
from tools import redis_servers


def test_more_workers_than_one_need_redis(scene_dir: Path, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/street.db"
    args = [SRICHAN, "serve", "--port", "0", "--scene-dir", str(scene_dir), "--store", store]
    run = subprocess.run([*args, "--workers", "2"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "workers: 2 processes must share a redis:// store" in run.stderr
    assert not (tmp_path / "street.db").exists(), "refused before touching the store"
    zero = subprocess.run([*args, "--workers", "0"], capture_output=True, text=True, timeout=60)
    assert zero.returncode == 2 and "workers: 0 must be between 1 and 16" in zero.stderr


def test_restart_delay_doubles_up_to_the_cap_with_jitter() -> None:
    assert restart_delay(1, lambda: 0.5) == RESTART_FIRST_S
    assert restart_delay(3, lambda: 0.5) == 4 * RESTART_FIRST_S
    assert restart_delay(50, lambda: 1.0) == RESTART_MAX_S * 1.25
    spread = {round(restart_delay(2), 3) for _ in range(20)}
    assert len(spread) > 1 and all(0.75 <= d <= 1.25 for d in spread)


def test_a_reserved_port_leaves_room_for_reuseport_listeners() -> None:
    held = reserve_port("127.0.0.1", 0)
    try:
        port = held.getsockname()[1]
        with socket.socket() as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            listener.bind(("127.0.0.1", port))
            listener.listen()
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                conn, _ = listener.accept()
                conn.close()
        with socket.socket() as plain, pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))  # without SO_REUSEPORT the port is taken
    finally:
        held.close()


async def pids_seen(server: Server, want: int, tries: int = 60) -> set[int]:
    """Worker pids answering ``/healthz`` over fresh connections (the kernel spreads them)."""
    seen: set[int] = set()
    for _ in range(tries):
        connector = aiohttp.TCPConnector(force_close=True)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(server.http + "/healthz") as response,
        ):
            seen.add((await response.json())["pid"])
        if len(seen) >= want:
            break
    return seen


def children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


@pytest.mark.redis
async def test_workers_share_the_port_restart_after_a_crash_and_stop_on_sigterm(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> None:
    log = tmp_path / "serve.log"
    async with serve(scene_dir, redis.url, log, "--workers", "2") as server:
        first = await pids_seen(server, 2)
        assert len(first) == 2, f"one port, two processes answering: {first}"
        assert first <= children(server.process.pid)
        visitor = await join(server, "ผู้มาเยือน")
        await visitor.ping()

        crashed = min(first)
        os.kill(crashed, signal.SIGKILL)
        async with asyncio.timeout(20):
            while True:
                now = await pids_seen(server, 2)
                if len(now) == 2 and crashed not in now:
                    break
                await asyncio.sleep(0.2)
        assert "exited with code -9" in log.read_text(), server.tail()
        assert len(children(server.process.pid) & now) == 2
        await visitor.close()
        workers = now
    for pid in workers:  # SIGTERM to the parent stopped every worker (serve() checked exit 0)
        assert not _alive(pid)


@pytest.mark.redis
async def test_a_worker_stops_when_its_supervisor_is_killed(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> None:
    async with serve(scene_dir, redis.url, tmp_path / "serve.log", "--workers", "2") as server:
        workers = await pids_seen(server, 2)
        server.process.kill()
        await server.process.wait()
        async with asyncio.timeout(20):
            while any(_alive(pid) for pid in workers):
                await asyncio.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped by init) counts as gone
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()
