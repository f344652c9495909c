"""Clients that stop reading, in a walking crowd, with real sockets and the real app.

Two visitors stop reading their sockets (one with an 8 MiB receive buffer, which would hide
minutes of frames from any buffer-based clock) while 30 others keep walking and reading. The
two must be cut within the documented ``slow_client_s`` (10 s, plus a tick), counted as slow,
and the crowd must keep getting a frame every tick meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import replace

import pytest

from server.app import create_app
from server.config import Settings
from server.keys import METRICS
from server.ws.client import PresenceClient
from srichan_world.protocol.messages import Frame
from tests.server.gated import GatedServer

CROWD = 30
SLACK_S = 1.5


async def stubborn(url: str, port: int, rcvbuf: int | None = None) -> PresenceClient:
    """A visitor that will stop reading; ``rcvbuf`` asks for a big kernel receive buffer."""
    sock = None
    if rcvbuf is not None:
        sock = socket.socket()
        force = getattr(socket, "SO_RCVBUFFORCE", socket.SO_RCVBUF)
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, rcvbuf)
        except PermissionError:  # not root: as big as the system allows
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    import websockets

    ws = await websockets.connect(url, sock=sock, compression=None, ping_interval=None)
    client = PresenceClient(ws)
    await client.hello("ไม่อ่าน")
    return client


@pytest.mark.slow
async def test_clients_that_stop_reading_are_cut_and_the_crowd_walks_on(
    settings: Settings, ws_transport: str
) -> None:
    assert settings.slow_client_s == 10.0
    server = GatedServer(create_app(replace(settings, ws_transport=ws_transport)), ws_transport)
    await server.start_server()
    try:
        port = server.port
        assert port is not None
        url = f"ws://127.0.0.1:{port}/ws"
        crowd = [await PresenceClient.connect(url) for _ in range(CROWD)]
        welcomes = [await c.hello(f"คน{i}") for i, c in enumerate(crowd)]
        quiet = [await stubborn(url, port), await stubborn(url, port, 8 << 20)]
        slow = server.app[METRICS].slow_disconnects
        walking = True

        async def walk(client: PresenceClient, x: float, z: float) -> None:
            step = 0
            while walking:
                step += 1
                await client.move(x + (step % 10) * 0.1, z)
                await asyncio.sleep(0.1)

        frames = [0] * CROWD

        async def read(i: int) -> None:
            while walking:
                with contextlib.suppress(TimeoutError):
                    await crowd[i].next(Frame, timeout=0.5)
                    frames[i] += 1

        tasks = [
            asyncio.create_task(walk(c, w.x, w.z)) for c, w in zip(crowd, welcomes, strict=True)
        ]
        tasks += [asyncio.create_task(read(i)) for i in range(CROWD)]
        await asyncio.sleep(1.0)
        for q in quiet:
            q.ws.transport.pause_reading()  # from now on they read nothing at all
        stopped = time.monotonic()
        async with asyncio.timeout(20):
            while slow._value.get() < 2:
                await asyncio.sleep(0.05)
        cut_after = time.monotonic() - stopped
        counted = list(frames)
        await asyncio.sleep(1.0)
        walking = False
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

        assert cut_after <= settings.slow_client_s + 0.1 + SLACK_S
        # the crowd got (nearly) every tick's frame while the two were being cut
        expected = (cut_after + 1.0) * 10
        assert min(counted) >= 0.8 * expected, (min(counted), expected)
        assert all(c.closure is None for c in crowd)
        for q in quiet:
            q.ws.transport.resume_reading()
            closure = await q.closed(5)
            assert closure.code in (None, 1006)  # aborted: no close handshake for a non-reader
        for c in crowd:
            await c.close()
    finally:
        await server.close()
