"""Zoned workers on one port: ``srichan serve --workers 2`` on a real Redis, and
``/ws?zone=k`` lands on worker k whichever worker the kernel gave the connection to.

Which worker holds a connection is read from the kernel, not from the server: worker k is the
process holding the Unix socket ``<sibling folder>/k`` (``/proc/net/unix``), and a client's
connection is held by the process with that TCP socket's inode among its descriptors
(``/proc/net/tcp``). The avatar ids in the welcomes say the same: each worker allocates from
its own lane. A passed connection then works end to end, odd zones are served where they
arrive, a slowloris asking for a zone is still cut by the header deadline, the per-address
door counts the real client address on the worker it reaches, and a dead worker's zone is
served by the others until the parent has restarted it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets

from server.ws.client import PresenceClient
from tests.scale.conftest import B01_COUNTER, Server, serve
from tests.scale.test_shared_presence import sees
from tests.scale.test_workers import _alive, children
from tools import redis_servers

pytestmark = pytest.mark.redis

PER_ZONE = 40
OPEN = (
    "--hellos-per-minute", "100000", "--hello-burst", "100000",
    "--ws-per-address", "100000", "--header-timeout-s", "2",
)  # fmt: skip
SLACK_S = 1.5


@pytest.fixture
async def zoned(
    scene_dir: Path,
    tmp_path: Path,
    redis: redis_servers.RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[Server, Path]]:
    """Two workers; the parent makes its sibling folder in the test's own temp folder."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    async with serve(scene_dir, redis.url, tmp_path / "serve.log", *OPEN, "--workers", "2") as s:
        (folder,) = temp.glob("srichan-siblings-*")
        yield s, folder
    assert not folder.exists(), "the parent removes the sibling folder when it stops"


def unix_inodes(folder: Path, k: int) -> set[str]:
    """The Unix sockets bound to ``folder/k`` (worker k's listener and its links)."""
    path = str(folder / str(k))
    inodes = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[7] == path:
            inodes.add(fields[6])
    return inodes


def worker_pid(server: Server, folder: Path, k: int) -> int | None:
    """The child of ``server`` holding the Unix socket ``folder/k``: worker k."""
    inodes = unix_inodes(folder, k)
    holders = {pid for pid in children(server.process.pid) if _holds(pid, inodes)}
    assert len(holders) <= 1, holders
    return holders.pop() if holders else None


def _holds(pid: int, inodes: set[str]) -> bool:
    try:
        links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except (FileNotFoundError, ProcessLookupError):
        return False
    return any(f"socket:[{inode}]" in links for inode in inodes)


def holder(server: Server, client: PresenceClient) -> set[int]:
    """The processes holding the server's end of ``client``'s TCP connection."""
    port = int(server.http.rsplit(":", 1)[1])
    mine = client.ws.transport.get_extra_info("sockname")[1]
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1].split(":")[1], fields[2].split(":")[1]
        if int(local, 16) == port and int(remote, 16) == mine:
            inodes.add(fields[9])
    return {pid for pid in children(server.process.pid) if _holds(pid, inodes)}


async def connect(server: Server, query: str, source: str = "127.0.0.1") -> PresenceClient:
    ws = await websockets.connect(
        f"{server.ws}{query}",
        compression=None,
        max_size=None,
        open_timeout=10,
        ping_interval=None,
        local_addr=(source, 0),
    )
    return PresenceClient(ws)


async def test_each_zone_lands_on_its_worker_and_works_end_to_end(
    zoned: tuple[Server, Path],
) -> None:
    server, folder = zoned
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700, "only the server's user may connect"
    workers = {k: worker_pid(server, folder, k) for k in (0, 1)}
    assert None not in workers.values() and workers[0] != workers[1], workers
    clients: dict[int, list[PresenceClient]] = {0: [], 1: []}
    lanes: dict[int, set[int]] = {0: set(), 1: set()}
    try:
        for n in range(PER_ZONE):
            for k in (0, 1):
                client = await connect(server, f"?zone={k}")
                welcome = await client.hello(f"โซน{k}-{n}", (1, 2, 3))
                clients[k].append(client)
                lanes[k].add(welcome.avatar_id >> 12)
                assert holder(server, client) == {workers[k]}, f"zone {k} connection {n}"
        assert len(lanes[0]) == len(lanes[1]) == 1 and lanes[0] != lanes[1], lanes

        walker, watcher = clients[1][0], clients[1][1]
        x, z = B01_COUNTER[0] + 1.5, B01_COUNTER[1] - 1.0
        await walker.move(x, z, 90.0)
        me = walker.welcome.avatar_id  # type: ignore[union-attr]
        await sees(watcher, me, (round(x * 100), round(z * 100)))  # a frame carried the move
        assert (await walker.ping()).t == 0.0
    finally:
        for client in clients[0] + clients[1]:
            await client.close()


async def test_odd_zones_are_served_where_they_arrive(zoned: tuple[Server, Path]) -> None:
    server, folder = zoned
    workers = {worker_pid(server, folder, k) for k in (0, 1)}
    seen: set[int] = set()
    for value in ("abc", "-1", "99", "0&zone=1", "", "1.5") * 4:
        client = await connect(server, f"?zone={value}")
        await client.hello("แปลก", (1, 2, 3))
        held = holder(server, client)
        assert len(held) == 1 and held <= workers, held
        seen |= held
        await client.close()
    assert seen == workers, "the kernel's spread, untouched: both workers served some"


async def test_a_slowloris_asking_for_a_zone_is_cut_at_the_header_deadline(
    zoned: tuple[Server, Path],
) -> None:
    server, _ = zoned
    port = int(server.http.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    loop = asyncio.get_running_loop()
    started = loop.time()
    writer.write(b"GET /ws?zone=1 HTTP/1.1\r\n")
    async with asyncio.timeout(2.0 + SLACK_S):
        while not reader.at_eof():
            writer.write(b"X-Slow: 1\r\n")
            try:
                async with asyncio.timeout(0.4):
                    await reader.read(100)
            except TimeoutError:
                pass
            except ConnectionError:
                break
    assert 2.0 - 0.1 <= loop.time() - started <= 2.0 + SLACK_S
    writer.close()


async def test_a_dead_workers_zone_is_served_by_the_other_until_it_is_back(
    zoned: tuple[Server, Path],
) -> None:
    server, folder = zoned
    zero, one = worker_pid(server, folder, 0), worker_pid(server, folder, 1)
    assert zero is not None and one is not None
    os.kill(one, signal.SIGKILL)
    async with asyncio.timeout(10):  # its sockets are closed (its leader may be a zombie
        while _alive(one) or unix_inodes(folder, 1):  # while its other threads still exit)
            await asyncio.sleep(0.05)
    served_meanwhile = 0
    async with asyncio.timeout(30):
        while (back := worker_pid(server, folder, 1)) is None or back == one:
            client = await connect(server, "?zone=1")
            await client.hello("ระหว่างรอ", (1, 2, 3))  # never an error
            if worker_pid(server, folder, 1) is None:
                assert holder(server, client) == {zero}
                served_meanwhile += 1
            await client.close()
            await asyncio.sleep(0.05)
    assert served_meanwhile > 0
    client = await connect(server, "?zone=1")
    await client.hello("กลับมาแล้ว", (1, 2, 3))
    assert holder(server, client) == {back}, "the restarted worker listens on its path again"
    await client.close()


async def test_the_door_counts_the_real_address_on_the_worker_it_reaches(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> None:
    """Five sockets per address: the sixth from 127.0.0.1 to zone 1 is refused by worker 1
    wherever the kernel put it; 127.0.0.2 is another address and gets in."""
    extra = ("--ws-per-address", "5", "--workers", "2")
    async with serve(scene_dir, redis.url, tmp_path / "serve.log", *extra) as server:
        held = [await connect(server, "?zone=1") for _ in range(5)]
        for client in held:
            await client.hello("เต็ม", (1, 2, 3))
        with pytest.raises(websockets.InvalidStatus) as refused:
            await connect(server, "?zone=1")
        assert refused.value.response.status_code == 429
        other = await connect(server, "?zone=1", "127.0.0.2")
        await other.hello("อีกที่อยู่", (1, 2, 3))
        for client in [*held, other]:
            await client.close()
