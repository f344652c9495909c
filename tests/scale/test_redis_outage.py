"""Redis goes away in the middle of play and comes back: the street stays open, presence keeps
going, store requests fail retryably, and retries with the same keys lose and double nothing.

Redis runs with AOF ``appendfsync always`` and is killed with SIGKILL, then started again on
the same directory, as a crash and a restart by systemd would do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from server.store import open_store
from server.ws.client import PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import (
    ChatSaid,
    CouponIssued,
    Error,
    QuizAnswer,
    QuizOpen,
    QuizResult,
    Redeem,
    Wallet,
)
from srichan_world.world.ledger import shop_account, visitor_account
from tests.scale.conftest import (
    SHOP,
    join,
    retrying,
    seed_street,
    serve,
    visitor,
)
from tests.server.learning_fixtures import Q_GATE_1, Walker
from tools import redis_servers

pytestmark = pytest.mark.redis


async def expect_unavailable(client: PresenceClient, message: object) -> None:
    with pytest.raises(ServerError) as caught:
        await client.request(message, timeout=15.0)  # type: ignore[arg-type]
    assert caught.value.error.code == ErrorCode.STORE_UNAVAILABLE
    assert "try again" in caught.value.error.message


async def test_play_goes_on_while_redis_is_down_and_nothing_is_lost_or_doubled(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> None:
    await seed_street(redis.url, visitors={1: 0, 2: 0, 3: 30})
    async with (
        serve(scene_dir, redis.url, tmp_path / "a.log") as a,
        serve(scene_dir, redis.url, tmp_path / "b.log") as b,
    ):
        learner = Walker(await join(a, "นักเรียน", 1), (100.0, 4.0))
        friend = Walker(await join(a, "เพื่อน"), (100.0, 4.0))
        shopper = await join(a, "นักช้อป", 3)
        try:
            await learner.client.next(Wallet)
            await asyncio.gather(
                learner.walk((60.0, 0.0), Q_GATE_1), friend.walk((60.0, 0.0), (16.0, -2.0))
            )
            await learner.ask(QuizOpen("q-gate-1"))

            redis.kill()
            answer = QuizAnswer("q-gate-1", 0)
            await expect_unavailable(learner.client, answer)
            redeem = Redeem("B01", "free0tea", "outage-key-0001", 10)
            await expect_unavailable(shopper, redeem)
            degraded = await a.wait_health("degraded")
            assert degraded["store"] == "unavailable"
            assert (await b.wait_health("degraded"))["store"] == "unavailable"

            # presence needs no store: moving and chatting reach the friend on the same process
            me = learner.client.welcome.avatar_id  # type: ignore[union-attr]
            await learner.walk((14.0, -4.0))
            await learner.client.chat("ยังเดินได้ปกติ")
            said = await friend.client.next(ChatSaid, 5.0)
            assert (said.avatar_id, said.text) == (me, "ยังเดินได้ปกติ")
            async with asyncio.timeout(5):
                while (friend.client.avatars[me].x, friend.client.avatars[me].z) != (1400, -400):
                    await asyncio.sleep(0.05)

            # the owner pages and admin API answer 503, retry later, in the owners' JSON shape
            status, body, headers = await a.admin(
                "POST", "/admin/api/booths/B01/hide", {"hidden": True}
            )
            assert status == 503 and body["code"] == ErrorCode.STORE_UNAVAILABLE
            assert headers["Retry-After"] == "2" and body["th"]

            # a visitor arriving meanwhile gets in; the wallet follows once Redis is back
            late = await join(b, "มาทีหลัง", 2)
            error = await late.next(Error, 5.0)
            assert error.code == ErrorCode.STORE_UNAVAILABLE

            redis.start()
            await a.wait_health("ok")
            await b.wait_health("ok")
            assert (await late.next(Wallet, 10.0)).balance == 0

            result = await retrying(learner.client, answer)
            assert isinstance(result, QuizResult) and (result.correct, result.reward) == (True, 10)
            with pytest.raises(ServerError) as again:
                await learner.ask(answer)
            assert again.value.error.code == ErrorCode.ANSWER_REPLAYED

            coupon = await retrying(shopper, redeem)
            twice = await retrying(shopper, redeem)
            assert isinstance(coupon, CouponIssued) and isinstance(twice, CouponIssued)
            assert twice.coupon.code == coupon.coupon.code and twice.balance == 20
            await late.close()
        finally:
            for c in (learner.client, friend.client, shopper):
                await c.close()

    store = await open_store(redis.url)
    try:
        learned = await store.entries(visitor_account(visitor(1)[0]))
        assert [(e.transfer.amount, e.transfer.reason.split("@")[0]) for e in learned] == [
            (10, "quiz q-gate-1")
        ]
        assert await store.balance(visitor_account(visitor(3)[0])) == 20
        assert await store.balance(shop_account(SHOP)) == 10
        assert len(await store.coupons_of(visitor(3)[0])) == 1
        report = await store.audit()
        assert report.ok, report
    finally:
        await store.close()


async def test_redemptions_in_flight_when_redis_dies_finish_once_on_retry(
    scene_dir: Path, tmp_path: Path, redis: redis_servers.RedisServer
) -> None:
    """Three shoppers on two processes redeem one coupon after another, each retried with its
    own key until it is answered, while Redis is killed and restarted under them."""
    shoppers = {n: 30 for n in (1, 2, 3)}
    await seed_street(redis.url, cost=10, coupons=20, visitors=shoppers)
    first_coupon = asyncio.Event()

    async def shop(client: PresenceClient, n: int) -> list[str]:
        codes = []
        for i in range(3):
            reply = await retrying(client, Redeem("B01", "free0tea", f"key-{n}-{i}-flight", 10))
            assert isinstance(reply, CouponIssued)
            codes.append(reply.coupon.code)
            first_coupon.set()
        return codes

    async with (
        serve(scene_dir, redis.url, tmp_path / "a.log") as a,
        serve(scene_dir, redis.url, tmp_path / "b.log") as b,
    ):
        clients = {n: await join(a if n % 2 else b, f"ลูกค้า{n}", n) for n in shoppers}
        try:
            shopping = asyncio.gather(*(shop(c, n) for n, c in clients.items()))
            await first_coupon.wait()
            redis.kill()
            await asyncio.sleep(1.5)
            redis.start()
            codes = await asyncio.wait_for(shopping, 90)
        finally:
            for c in clients.values():
                await c.close()

    store = await open_store(redis.url)
    try:
        for n, got in zip(shoppers, codes, strict=True):
            vid = visitor(n)[0]
            kept = await store.coupons_of(vid)
            assert sorted(c.code for c in kept) == sorted(got), "one coupon per key"
            assert await store.balance(visitor_account(vid)) == 0
        assert await store.balance(shop_account(SHOP)) == 90
        record = await store.booth("B01")
        assert record is not None and record.issued == {"free0tea": 9}
        report = await store.audit()
        assert report.ok, report
    finally:
        await store.close()
