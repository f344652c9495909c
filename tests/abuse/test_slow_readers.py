"""Clients that stop reading their sockets, in a walking crowd, against the real process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import pytest
import websockets

from server.ws.client import PresenceClient
from tests.abuse.conftest import ATTACKER, HONEST, Street

pytestmark = pytest.mark.slow

CROWD = 100
SLOW_CLIENT_S = 10.0
"""The documented bound (``--slow-client-s``), plus one tick."""


async def reader_in_crowd(street: Street, i: int, frames: list[int]) -> PresenceClient:
    def count(_data: bytes) -> None:
        frames[i] += 1

    ws = await websockets.connect(
        street.ws, local_addr=(HONEST, 0), compression=None, ping_interval=None
    )
    client = PresenceClient(ws, on_frame=count)
    await client.hello(f"คน{i}")
    return client


async def stops_reading(street: Street, rcvbuf: int) -> PresenceClient:
    """A visitor from the attacker's address that will stop reading, with a big receive buffer
    (it hides minutes of frames from any clock that waits for buffers to fill)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", socket.SO_RCVBUF), rcvbuf)
    sock.bind((ATTACKER, 0))
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", street.port))
    ws = await websockets.connect(street.ws, sock=sock, compression=None, ping_interval=None)
    client = PresenceClient(ws, on_frame=lambda _data: None)
    await client.hello("ไม่อ่าน")
    return client


async def test_two_clients_that_stop_reading_are_cut_and_the_crowd_keeps_its_frames(
    street: Street,
) -> None:
    """Measured on main: two non-readers in a crowd of 300 still connected after 60 s, the
    slow counter at 0."""
    frames = [0] * CROWD
    crowd = [await reader_in_crowd(street, i, frames) for i in range(CROWD)]
    quiet = [await stops_reading(street, 1 << 20), await stops_reading(street, 8 << 20)]
    walking = True

    async def walk(client: PresenceClient) -> None:
        assert client.welcome is not None
        x, z, step = client.welcome.x, client.welcome.z, 0
        while walking:
            step += 1
            await client.move(x + (step % 10) * 0.1, z)
            await asyncio.sleep(0.1)

    walkers = [asyncio.create_task(walk(c)) for c in [*crowd, *quiet]]
    await asyncio.sleep(2.0)
    for q in quiet:
        q.ws.transport.pause_reading()  # still sending moves, never reading again
    stopped = time.monotonic()
    before = list(frames)
    async with asyncio.timeout(30):
        while (await street.metrics())["srichan_slow_disconnects_total"] < 2:
            await asyncio.sleep(0.25)
    cut_after = time.monotonic() - stopped
    got = [after - b for after, b in zip(frames, before, strict=True)]
    walking = False
    for task in walkers:
        task.cancel()
    await asyncio.gather(*walkers, return_exceptions=True)

    per_second = min(got) / cut_after
    print(
        f"\nnon-readers cut {cut_after:.1f} s after they stopped reading; the crowd of "
        f"{CROWD} got at least {per_second:.1f} frames/s meanwhile (tick 10 Hz)"
    )
    assert cut_after <= SLOW_CLIENT_S + 0.1 + 1.5
    assert per_second >= 8.0
    assert all(c.closure is None for c in crowd)
    for q in quiet:
        q.ws.transport.resume_reading()
        with contextlib.suppress(Exception):
            await q.closed(5)
        assert q.closure is not None
    late = await street.visitor("มาทีหลัง")  # the street is open as ever
    assert late.welcome is not None
    for c in [*crowd, late]:
        await c.close()
