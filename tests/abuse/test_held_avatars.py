"""The review's lock-out against a real ``srichan serve``: one machine doing connect → hello →
drop, no socket kept open, left an avatar per cycle for the 30 s resume window and filled the
street. Held avatars now count against their address like open sockets.

The server runs with a generous handshake rate (5,000 at once) and 50 sockets an address, so
that only this control stands between the churn and the street: without it every cycle would
be welcomed and leave its avatar behind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from server.ws.client import PresenceClient
from tests.abuse.conftest import ATTACKER, HONEST, Street, seed
from tests.scale.conftest import serve
from tests.server.booth_fixtures import write_booth_scene

pytestmark = pytest.mark.slow

ALLOWANCE = 50


@pytest.fixture
async def churned(tmp_path: Path) -> AsyncIterator[Street]:
    scene_dir = tmp_path / "build"
    write_booth_scene(scene_dir)
    store_url = f"sqlite:///{tmp_path}/street.db"
    other_coupon = await seed(store_url)
    limits = ["--ws-per-address", str(ALLOWANCE), "--hello-burst", "5000"]
    limits += ["--hellos-per-minute", "60000"]
    async with serve(scene_dir, store_url, tmp_path / "server.log", *limits) as server:
        port = int(server.http.rsplit(":", 1)[1])
        yield Street(server, port, other_coupon)


async def test_connect_hello_drop_cycling_holds_only_its_allowance(churned: Street) -> None:
    welcomed = refused = 0
    retry_after: set[str] = set()
    started = time.monotonic()
    for i in range(200):
        try:
            ws = await websockets.connect(
                churned.ws, local_addr=(ATTACKER, 0), compression=None, ping_interval=None
            )
        except InvalidStatus as exc:
            assert exc.response.status_code == 429
            retry_after.add(exc.response.headers["Retry-After"])
            refused += 1
            continue
        await PresenceClient(ws).hello(f"ม้าหมุน {i}")
        welcomed += 1
        ws.transport.abort()  # no goodbye: the avatar waits for a resume
        await asyncio.sleep(0.005)
    took = time.monotonic() - started
    print(f"\nchurn: 200 cycles in {took:.1f} s: {welcomed} welcomed, {refused} refused")
    assert welcomed == ALLOWANCE and refused == 200 - ALLOWANCE
    assert all(1 <= int(r) <= 30 for r in retry_after)
    metrics = await churned.metrics()
    assert metrics['srichan_admission_refusals_total{reason="sockets"}'] == refused
    visitor = await churned.visitor("ผู้มาเยือน", HONEST)  # another address gets in
    assert visitor.welcome is not None
    await visitor.close()
