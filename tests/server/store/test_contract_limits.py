"""Promotion limits in the Store contract: a visitor takes at most ``per_visitor`` coupons of a
promotion a Bangkok day and everyone together at most ``daily_stock``, even racing; a refusal
spends nothing and says when to come back (the next Bangkok midnight)."""

from __future__ import annotations

import asyncio

from server.store import Store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.ledger import visitor_account
from srichan_world.world.periods import day_of, next_day_at
from tests.server.store.conftest import buy
from tests.server.store.test_contract_booths import (
    ALICE,
    BOB,
    SHOP,
    open_booth,
    refused,
    snapshot,
    visitor_with,
)
from tests.world.booth_fixtures import T0, promotion, redemption

MIDNIGHT = next_day_at(T0)
"""The next Bangkok midnight after T0 (11:13 in Bangkok): when the day's limits reset."""
VISITORS = [f"visitor-{i:04d}" for i in range(8)]


async def test_one_coupon_a_visitor_a_day_then_tomorrow_again(store: Store) -> None:
    await open_booth(store, "B01", SHOP, promotion(per_visitor=1, cost=10))
    await visitor_with(store, ALICE, 100)
    await visitor_with(store, BOB, 100)
    first = await buy(store, redemption(ALICE, "key-00001"))
    before = await snapshot(store, visitor_account(ALICE))
    late = redemption(ALICE, "key-00002", now=T0 + 3600)
    caught = await refused(ErrorCode.VISITOR_LIMIT, buy(store, late))
    assert caught.refusal.retry_at == MIDNIGHT
    assert await snapshot(store, visitor_account(ALICE)) == before, "nothing spent"
    assert await buy(store, redemption(ALICE, "key-00001")) == first, "a retry is no new coupon"
    await buy(store, redemption(BOB, "key-00001"))  # another visitor is not limited by Alice
    tomorrow = await buy(store, redemption(ALICE, "key-00003", now=MIDNIGHT))
    assert day_of(tomorrow.issued_at) != day_of(first.issued_at)
    await refused(
        ErrorCode.VISITOR_LIMIT, buy(store, redemption(ALICE, "key-00004", now=MIDNIGHT + 60))
    )
    assert await store.balance(visitor_account(ALICE)) == 80
    assert (await store.audit()).ok


async def test_the_daily_stock_runs_out_for_everyone_until_midnight(store: Store) -> None:
    await open_booth(store, "B01", SHOP, promotion(daily_stock=2, coupons=10, cost=10))
    for v in VISITORS[:3]:
        await visitor_with(store, v, 100)
    await buy(store, redemption(VISITORS[0], "key-00001"))
    await buy(store, redemption(VISITORS[1], "key-00001"))
    before = await snapshot(store, visitor_account(VISITORS[2]))
    caught = await refused(
        ErrorCode.SOLD_OUT_TODAY, buy(store, redemption(VISITORS[2], "key-00001"))
    )
    assert caught.refusal.retry_at == MIDNIGHT
    assert await snapshot(store, visitor_account(VISITORS[2])) == before
    await buy(store, redemption(VISITORS[2], "key-00002", now=MIDNIGHT + 1))
    booth = await store.booth("B01")
    assert booth is not None and booth.issued == {"free0tea": 3}
    assert (await store.audit()).ok


async def test_racing_redemptions_never_pass_either_limit(store: Store) -> None:
    """Eight visitors at once for a daily stock of three; one visitor with five keys at once
    for a limit of two: the store counts inside its atomic step."""
    await open_booth(
        store,
        "B01",
        SHOP,
        promotion(daily_stock=3, coupons=100, cost=10),
        promotion("two0each", per_visitor=2, coupons=100, cost=10),
    )
    for v in (*VISITORS, ALICE):
        await visitor_with(store, v, 100)
    crowd = await asyncio.gather(
        *(buy(store, redemption(v, "key-00001")) for v in VISITORS), return_exceptions=True
    )
    sold = [r for r in crowd if not isinstance(r, BaseException)]
    assert len(sold) == 3
    assert all(isinstance(r, Refused) and r.code == ErrorCode.SOLD_OUT_TODAY
               for r in crowd if isinstance(r, BaseException))  # fmt: skip
    greedy = await asyncio.gather(
        *(
            buy(store, redemption(ALICE, f"key-greedy{i}", promotion_id="two0each"))
            for i in range(5)
        ),
        return_exceptions=True,
    )
    taken = [r for r in greedy if not isinstance(r, BaseException)]
    assert len(taken) == 2
    assert {r.code for r in greedy if isinstance(r, Refused)} == {ErrorCode.VISITOR_LIMIT}
    assert len(greedy) - len(taken) == 3 and await store.balance(visitor_account(ALICE)) == 80
    assert (await store.audit()).ok
