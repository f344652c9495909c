"""The account-link part of the store contract (sign-in): one account ↔ one identity, kept
both ways, on SQLite, Redis and a Redis Cluster alike."""

from __future__ import annotations

import asyncio

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.signin.links import AccountLink
from tests.server.store.conftest import T0, StoreFactory

ISS = "https://access.line.me"


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
