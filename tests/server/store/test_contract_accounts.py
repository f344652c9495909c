"""The account-link part of the store contract (sign-in): one account ↔ one identity, kept
both ways, on SQLite, Redis and a Redis Cluster alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from srichan_world.world.signin.links import AccountLink
from tests.server.store.conftest import SECRET, T0, StoreFactory, buy
from tests.world.booth_fixtures import config, promotion, redemption

ISS = "https://access.line.me"
SHOP = "auntie-daeng"
ALICE = "alice-0000001"


def link(subject: str, visitor_id: str) -> AccountLink:
    return AccountLink(ISS, subject, visitor_id, "line", f"sealed-{visitor_id}", T0)


async def test_a_link_is_found_both_ways_and_survives_a_reopen(store_factory: StoreFactory) -> None:
    store = await store_factory()
    assert await store.account_link("v1") is None
    assert await store.account_link_of(ISS, "U1") is None
    assert await store.link_account(link("U1", "v1")) == link("U1", "v1")
    await store.close()
    store = await store_factory()
    assert await store.account_link("v1") == link("U1", "v1")
    assert await store.account_link_of(ISS, "U1") == link("U1", "v1")
    assert await store.account_link_of("https://accounts.google.com", "U1") is None
    await store.close()


async def test_one_account_one_identity(store_factory: StoreFactory) -> None:
    store = await store_factory()
    await store.link_account(link("U1", "v1"))
    # the account is linked already: its link is the answer, nothing changes
    assert await store.link_account(link("U1", "v2")) == link("U1", "v1")
    assert await store.account_link("v2") is None
    # the identity is linked to another account: refused
    with pytest.raises(Refused) as refused:
        await store.link_account(link("U2", "v1"))
    assert refused.value.code == ErrorCode.SIGN_IN_IDENTITY_LINKED
    assert await store.account_link_of(ISS, "U2") is None
    await store.close()


async def test_concurrent_links_of_one_account_keep_one(store_factory: StoreFactory) -> None:
    store = await store_factory()
    results = await asyncio.gather(*(store.link_account(link("U1", f"v{i}")) for i in range(8)))
    assert len({r.visitor_id for r in results}) == 1
    held = await store.account_link_of(ISS, "U1")
    assert held is not None and held.visitor_id == results[0].visitor_id
    linked = [await store.account_link(f"v{i}") for i in range(8)]
    assert sum(x is not None for x in linked) == 1
    await store.close()


async def test_unlink_by_visitor_frees_both_sides(store_factory: StoreFactory) -> None:
    store = await store_factory()
    await store.link_account(link("U1", "v1"))
    assert await store.unlink_account("v1") is True
    assert await store.unlink_account("v1") is False
    assert await store.account_link("v1") is None
    assert await store.account_link_of(ISS, "U1") is None
    assert await store.link_account(link("U1", "v2")) == link("U1", "v2")
    await store.close()


async def test_a_promotion_for_signed_in_visitors_is_kept_and_enforced(
    store_factory: StoreFactory,
) -> None:
    """``requires_sign_in`` survives publishing and reopening, and the store's sale refuses a
    redemption planned for an identity not linked to an account, spending nothing."""
    store = await store_factory()
    members = replace(promotion(), requires_sign_in=True)
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.save_booth_draft("B01", SHOP, config(members), T0)
    await store.publish_booth("B01", SHOP, T0)
    await store.register_visitor(ALICE, SECRET, T0)
    gift = Transfer("gift-a", CITY_POOL, visitor_account(ALICE), 100, "gift", T0)
    await store.transfer(gift)
    await store.close()
    store = await store_factory()
    booth = await store.booth("B01")
    assert booth is not None and booth.on_street is not None
    assert booth.on_street.promotions[0].requires_sign_in is True
    with pytest.raises(Refused) as refused:
        await buy(store, redemption(ALICE, "key-00001"))
    assert refused.value.code == ErrorCode.SIGN_IN_REQUIRED
    assert await store.balance(visitor_account(ALICE)) == 100
    coupon = await buy(store, replace(redemption(ALICE, "key-00002"), signed_in=True))
    assert coupon.cost == 30 and await store.balance(visitor_account(ALICE)) == 70
    await store.close()
