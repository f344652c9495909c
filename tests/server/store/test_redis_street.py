"""The Redis store's street (booths, photos, coupons) beyond the shared contract: races between
processes, a redemption cut off halfway, a refusal that stays final, photos in their own slots."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.store import open_store
from server.store.redis.keys import image_bytes_key
from server.store.redis.store import RedisStore
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from tests.server.store.conftest import SECRET, buy, store_url
from tests.world.booth_fixtures import T0, config, promotion, redemption

pytestmark = pytest.mark.redis

SHOP = "auntie-daeng"
ALICE = "alice-0000001"
BOB = "bob-000000002"
PHOTO = "ab" * 16


@pytest.fixture(params=["redis", "redis-cluster"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request, tmp_path)


@pytest.fixture
async def store(url: str) -> AsyncIterator[RedisStore]:
    opened = await open_store(url)
    assert isinstance(opened, RedisStore)
    yield opened
    await opened.close()


async def open_booth(store: RedisStore, coupons: int, cost: int = 10) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.save_booth_draft("B01", SHOP, config(promotion(coupons=coupons, cost=cost)), T0)
    await store.publish_booth("B01", SHOP, T0)


async def visitor_with(store: RedisStore, visitor_id: str, tokens: int) -> None:
    await store.register_visitor(visitor_id, SECRET, T0)
    account = visitor_account(visitor_id)
    await store.transfer(Transfer(f"gift-{visitor_id}", CITY_POOL, account, tokens, "gift", T0))


class CutOff(Exception):
    """Stands for the process dying between two steps."""


async def test_three_processes_never_oversell(url: str) -> None:
    stores = [await open_store(url) for _ in range(3)]
    try:
        await open_booth(stores[0], coupons=4)
        visitors = [f"visitor-{i:04d}" for i in range(15)]
        for v in visitors:
            await visitor_with(stores[0], v, 25)
        results = await asyncio.gather(
            *(buy(stores[i % 3], redemption(v, "key-00001")) for i, v in enumerate(visitors)),
            return_exceptions=True,
        )
        coupons = [r for r in results if not isinstance(r, BaseException)]
        refusals = [r for r in results if isinstance(r, BaseException)]
        assert len(coupons) == 4 and len({c.code for c in coupons}) == 4
        assert all(isinstance(r, Refused) and r.code == ErrorCode.SOLD_OUT for r in refusals)
        assert await stores[1].balance(shop_account(SHOP)) == 40
        balances = [await stores[2].balance(visitor_account(v)) for v in visitors]
        assert sorted(balances) == [15] * 4 + [25] * 11, "only buyers paid, each once"
        booth = await stores[1].booth("B01")
        assert booth is not None and booth.issued == {"free0tea": 4} and booth.version == 5
        report = await stores[0].audit()
        assert report.ok, report.problems
    finally:
        for s in stores:
            await s.close()


async def test_two_processes_checking_one_coupon_use_it_once(url: str) -> None:
    first, second = await open_store(url), await open_store(url)
    try:
        await open_booth(first, coupons=2)
        await visitor_with(first, ALICE, 50)
        coupon = await buy(first, redemption(ALICE, "key-00001"))
        checks = await asyncio.gather(
            *((first, second)[i % 2].verify_coupon(coupon.code, "B01", SHOP, T0 + i)
              for i in range(8)),
            return_exceptions=True,
        )  # fmt: skip
        assert sum(not isinstance(c, BaseException) for c in checks) == 1
        verified = [a for a in await second.owner_actions() if a.action == "verify"]
        assert len(verified) == 1
    finally:
        await first.close()
        await second.close()


async def test_a_redemption_cut_off_after_the_debit_is_issued_by_settle(
    url: str, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await open_booth(store, coupons=3)
    await visitor_with(store, ALICE, 50)

    async def dies(*args: Any) -> None:
        monkeypatch.undo()
        raise CutOff

    monkeypatch.setattr(store._sales, "confirm", dies)
    with pytest.raises(CutOff):
        await buy(store, redemption(ALICE, "key-00001"))
    assert await store.balance(visitor_account(ALICE)) == 40, "paid, not yet issued"
    assert await store.coupons_of(ALICE) == ()
    other = await open_store(url)
    try:
        assert await other.settle() == 1
    finally:
        await other.close()
    (coupon,) = await store.coupons_of(ALICE)
    assert await buy(store, redemption(ALICE, "key-00001")) == coupon, "the retry finds it"
    assert await store.balance(shop_account(SHOP)) == 10
    assert (await store.booth("B01")).issued == {"free0tea": 1}  # type: ignore[union-attr]
    assert (await store.audit()).ok


async def test_a_refused_attempt_stays_refused_even_if_stock_comes_back(
    url: str, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await open_booth(store, coupons=1)
    await visitor_with(store, ALICE, 50)
    await visitor_with(store, BOB, 50)
    other = await open_store(url)
    real_confirm, real_scripts = store._sales.confirm, store._conn.scripts

    async def bob_buys_first(*args: Any) -> Any:
        await buy(other, redemption(BOB, "key-00001"))  # between Alice's debit and decision
        return await real_confirm(*args)

    async def refund_dies(*args: Any) -> None:
        raise CutOff

    monkeypatch.setattr(store._sales, "confirm", bob_buys_first)
    store._conn.scripts = dataclasses.replace(real_scripts, refund=refund_dies)
    try:
        with pytest.raises(CutOff):
            await buy(store, redemption(ALICE, "key-00001"))
    finally:
        monkeypatch.undo()
        store._conn.scripts = real_scripts
        await other.close()
    assert await store.balance(visitor_account(ALICE)) == 40, "refused, not yet given back"
    await store.save_booth_draft("B01", SHOP, config(promotion(coupons=5, cost=10)), T0)
    await store.publish_booth("B01", SHOP, T0)
    assert await store.settle() == 1
    assert await store.balance(visitor_account(ALICE)) == 50, "the refusal was final"
    assert await store.coupons_of(ALICE) == ()
    again = await buy(store, redemption(ALICE, "key-00001"))
    assert again.visitor_id == ALICE, "a new attempt under the same key may buy now"
    assert await store.balance(visitor_account(ALICE)) == 40
    assert (await store.audit()).ok


async def test_photos_live_in_slots_of_their_own(store: RedisStore) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    data = bytes(range(256)) * 40
    await store.put_image("B01", SHOP, PHOTO, "image/webp", data, T0)
    assert await store.image(PHOTO) == ("image/webp", data)
    key = image_bytes_key(PHOTO)
    assert key == f"srichan:{{img:{PHOTO}}}"
    await store._conn.redis.delete(key)  # bytes lost after registering (a cut-off upload)
    assert await store.image(PHOTO) is None
    await store.put_image("B01", SHOP, PHOTO, "image/webp", data, T0 + 1)
    assert await store.image(PHOTO) == ("image/webp", data), "uploading again repairs it"
    await store.revoke_shop(SHOP, T0 + 2)
    assert await store._conn.redis.exists(key) == 0, "a revoked booth's photos are deleted"
    assert await store.image(PHOTO) is None


async def test_coupon_keys_belong_to_the_store(store: RedisStore) -> None:
    await visitor_with(store, ALICE, 50)
    spend = Transfer(f"redeem:{ALICE}:key-00001", visitor_account(ALICE), shop_account(SHOP), 5,
                     "x", T0)  # fmt: skip
    with pytest.raises(Refused) as caught:
        await store.transfer(spend)
    assert caught.value.code == ErrorCode.KEY_CONFLICT
    assert await store.balance(visitor_account(ALICE)) == 50
