"""Two server processes on one Redis, as two machines behind a load balancer would run."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.store import open_store
from server.ws.client import PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import BoothState, CouponIssued, Redeem
from srichan_world.world.ledger import shop_account, visitor_account
from tests.scale.conftest import SHOP, Server, join, seed_street, serve, visitor
from tools import redis_servers

pytestmark = pytest.mark.redis


@dataclass
class Pair:
    a: Server
    b: Server
    url: str


@pytest.fixture
async def pair(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> AsyncIterator[Pair]:
    await seed_street(redis.url, cost=10, coupons=5, visitors={n: 30 for n in range(1, 5)})
    async with (
        serve(scene_dir, redis.url, tmp_path / "a.log") as a,
        serve(scene_dir, redis.url, tmp_path / "b.log") as b,
    ):
        yield Pair(a, b, redis.url)


async def test_a_booth_change_on_one_process_reaches_visitors_on_the_other_at_once(
    pair: Pair,
) -> None:
    """Hiding and showing B01 through A's admin API: a visitor on B sees each new version in
    well under B's 2 s poll (the notice travels over Redis pub/sub)."""
    watcher = await join(pair.b, "ผู้ชมบนบี")
    try:
        first = await watcher.next(BoothState, 5.0, lambda m: m.slot == "B01")
        assert first.booth is not None
        delays = []
        for hidden in (True, False, True):
            started = time.monotonic()
            status, body, _ = await pair.a.admin(
                "POST", "/admin/api/booths/B01/hide", {"hidden": hidden}
            )
            assert status == 200, body
            seen = await watcher.next(
                BoothState, 5.0, lambda m, v=body["version"]: m.slot == "B01" and m.version == v
            )
            delays.append(time.monotonic() - started)
            assert (seen.booth is None) == hidden
        assert max(delays) < 0.5, f"not pushed at once: {delays}"
    finally:
        await watcher.close()


async def redeem_all(client: PresenceClient, attempts: int) -> list[CouponIssued | int]:
    """Fire ``attempts`` redeems at once, each with its own key; coupons or error codes."""

    async def one() -> CouponIssued | int:
        key = secrets.token_urlsafe(12)
        try:
            reply = await client.request(Redeem("B01", "free0tea", key, 10), timeout=20.0)
        except ServerError as exc:
            return exc.error.code
        assert isinstance(reply, CouponIssued)
        return reply

    return list(await asyncio.gather(*(one() for _ in range(attempts))))


async def test_racing_redemptions_on_both_processes_never_oversell_or_overdraw(
    pair: Pair,
) -> None:
    """Four visitors with 30 tokens each (three coupons' worth), each connected to both
    processes, all redeeming at once: 16 attempts for a stock of 5."""
    clients = []
    for n in range(1, 5):
        for server in (pair.a, pair.b):
            clients.append(await join(server, f"นักช้อป{n}", n))
    try:
        results = await asyncio.gather(*(redeem_all(c, 2) for c in clients))
    finally:
        for c in clients:
            await c.close()
    issued = [r for rs in results for r in rs if isinstance(r, CouponIssued)]
    refused = [r for rs in results for r in rs if not isinstance(r, CouponIssued)]
    assert len(issued) == 5, f"stock is 5: {len(issued)} issued, refusals {refused}"
    assert set(refused) <= {ErrorCode.SOLD_OUT, ErrorCode.INSUFFICIENT_TOKENS}, refused
    assert len({c.coupon.code for c in issued}) == 5

    store = await open_store(pair.url)
    try:
        balances = [await store.balance(visitor_account(visitor(n)[0])) for n in range(1, 5)]
        assert min(balances) >= 0
        assert await store.balance(shop_account(SHOP)) == 50
        assert sum(balances) == 4 * 30 - 50
        record = await store.booth("B01")
        assert record is not None and record.issued == {"free0tea": 5}
        report = await store.audit()
        assert report.ok, report
    finally:
        await store.close()
