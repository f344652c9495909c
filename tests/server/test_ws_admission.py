"""Admission at ``/ws`` through the real app: 429 before the upgrade, per address, counted."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import aiohttp
import pytest
import websockets
from aiohttp.test_utils import TestServer
from websockets.exceptions import InvalidStatus

from server.app import create_app
from server.config import Settings
from server.keys import ADMISSION, PUMP
from server.ws.client import PresenceClient
from tests.server.gated import GatedServer


@pytest.fixture
async def server(settings: Settings, ws_transport: str) -> AsyncIterator[TestServer]:
    limited = replace(
        settings,
        ws_transport=ws_transport,
        ws_per_address=5,
        hello_burst=10,
        hellos_per_minute=60,
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
    )
    server = GatedServer(create_app(limited), ws_transport)
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


def url(server: TestServer) -> str:
    return f"ws://127.0.0.1:{server.port}/ws"


async def connect(server: TestServer, source: str, **headers: str) -> websockets.ClientConnection:
    return await websockets.connect(
        url(server), local_addr=(source, 0), additional_headers=headers, ping_interval=None
    )


async def refused(server: TestServer, source: str, **headers: str) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as info:
        await connect(server, source, **headers)
    response = info.value.response
    return response.status_code, response.headers["Retry-After"]


async def test_one_address_holds_at_most_its_sockets_and_others_still_get_in(
    server: TestServer,
) -> None:
    held = [await connect(server, "127.0.0.9") for _ in range(5)]
    assert await refused(server, "127.0.0.9") == (429, "30")
    visitor = await PresenceClient.connect(url(server))  # 127.0.0.1: another address
    welcome = await visitor.hello("ผู้มาเยือน")
    assert welcome.avatar_id > 0
    await held.pop().close()
    held.append(await connect(server, "127.0.0.9"))  # a socket closed: room for one
    for ws in held:
        await ws.close()
    await visitor.close()
    assert server.app[ADMISSION].holding("127.0.0.9")[0] == 0


async def test_handshake_cycling_runs_dry_and_metrics_say_why(server: TestServer) -> None:
    admitted = 0
    statuses = set()
    for _ in range(40):
        try:
            ws = await connect(server, "127.0.0.10")
        except InvalidStatus as exc:
            statuses.add((exc.response.status_code, exc.response.headers["Retry-After"]))
            continue
        admitted += 1
        await ws.close()
    assert 10 <= admitted <= 12  # the burst, plus a token a second while this ran
    assert statuses == {(429, "1")}
    text = await metrics_text(server)
    assert f'srichan_admission_refusals_total{{reason="hellos"}} {40.0 - admitted}' in text
    assert 'srichan_admission_refusals_total{reason="sockets"} 0.0' in text
    assert "srichan_admission_addresses 1.0" in text


async def metrics_text(server: TestServer) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.port}/metrics") as response,
    ):
        return await response.text()


async def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(
    server: TestServer,
) -> None:
    """127.0.0.1 is the trusted proxy here: its X-Forwarded-For names the client."""
    first = [
        await connect(server, "127.0.0.1", **{"X-Forwarded-For": "198.51.100.1"}) for _ in range(5)
    ]
    assert await refused(server, "127.0.0.1", **{"X-Forwarded-For": "198.51.100.1"}) == (429, "30")
    other = await connect(server, "127.0.0.1", **{"X-Forwarded-For": "198.51.100.2"})
    # an untrusted peer cannot pick its address by writing the header itself
    spoofing = [
        await connect(server, "127.0.0.11", **{"X-Forwarded-For": f"10.9.9.{i}"}) for i in range(5)
    ]
    assert await refused(server, "127.0.0.11", **{"X-Forwarded-For": "10.9.9.99"}) == (429, "30")
    for ws in [*first, other, *spoofing]:
        await ws.close()


async def test_avatars_left_waiting_count_against_their_address_until_resumed(
    server: TestServer,
) -> None:
    """connect → hello → drop, over and over: each avatar waits 30 s for a resume and keeps
    its address's place; a resume (here from another address: the phone went onto mobile
    data) frees it, and a goodbye (close 1000) lets the avatar go at once."""
    admission, world = server.app[ADMISSION], server.app[PUMP].world
    tokens = []
    for i in range(5):
        ws = await connect(server, "127.0.0.11")
        tokens.append((await PresenceClient(ws).hello(f"churn {i}")).resume_token)
        ws.transport.abort()  # no close frame: a dropped connection
    await wait_for(lambda: admission.held("127.0.0.11", time.monotonic()) == 5)
    assert admission.holding("127.0.0.11") == (0, 0)
    status, retry = await refused(server, "127.0.0.11")
    assert status == 429 and 1 <= int(retry) <= 30
    moved = PresenceClient(await connect(server, "127.0.0.12"))
    assert (await moved.hello("churn 0", resume=tokens[0])).resumed
    again = await connect(server, "127.0.0.11")  # one place free again
    await moved.close()  # a goodbye
    await wait_for(lambda: world.population == 4)
    assert not world.is_held(tokens[0])
    await again.close()


async def wait_for(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():
            await asyncio.sleep(0.02)
