"""The Open Badges part of the Store contract (parametrized by ``store_factory``): one badge
per visitor and achievement however many issue at once, keys kept in order, revocation kept
and idempotent, indexes never handed out twice."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import pytest

from server.store import Store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Text
from srichan_world.world import xapi
from srichan_world.world.badges.jose import SigningKey
from srichan_world.world.badges.records import IssuedBadge
from tests.server.store.conftest import T0, StoreFactory

ALICE = "alice-0000001"
BOB = "bob-000000002"


def badge(visitor: str, achievement: str, index: int, at: float = T0) -> IssuedBadge:
    return IssuedBadge(uuid.uuid4().hex, visitor, achievement, "quest", at, index, f"t.{index}.s")


async def test_a_visitor_gets_one_badge_per_achievement_even_when_issued_at_once(
    store: Store,
) -> None:
    tries = [badge(ALICE, "quest-walk", i) for i in range(8)]
    kept = await asyncio.gather(*(store.issue_badge(b) for b in tries))
    assert len({b.credential_id for b in kept}) == 1
    assert kept[0] in tries
    other = await store.issue_badge(badge(ALICE, "quest-gate", 9, T0 + 5))
    assert [b.credential_id for b in await store.badges_of(ALICE)] == [
        other.credential_id,
        kept[0].credential_id,
    ]
    assert await store.badges_of(BOB) == ()
    assert await store.badge(kept[0].credential_id) == kept[0]
    assert await store.badge(uuid.uuid4().hex) is None


async def test_status_indexes_are_never_handed_out_twice(store: Store) -> None:
    got = await asyncio.gather(*(store.next_status_index() for _ in range(20)))
    assert sorted(got) == list(range(20))


async def test_revoking_is_kept_once_and_lists_the_index(store_factory: StoreFactory) -> None:
    store = await store_factory()
    held = await store.issue_badge(badge(ALICE, "quest-walk", 7))
    await store.issue_badge(badge(BOB, "quest-walk", 8))
    revoked = await store.revoke_badge(held.credential_id, T0 + 60)
    assert revoked == replace(held, revoked_at=T0 + 60)
    again = await store.revoke_badge(held.credential_id, T0 + 120)
    assert again.revoked_at == T0 + 60
    assert await store.revoked_indexes() == (7,)
    with pytest.raises(Refused) as caught:
        await store.revoke_badge(uuid.uuid4().hex, T0)
    assert caught.value.code == ErrorCode.UNKNOWN_BADGE
    reopened = await store_factory()
    assert (await reopened.badge(held.credential_id)) == revoked


async def test_signing_keys_are_kept_in_order_and_never_twice(store: Store) -> None:
    assert await store.signing_keys() == ()
    first = SigningKey("https://x/badges/keys/a", '{"kty":"OKP"}', T0)
    second = SigningKey("https://x/badges/keys/b", '{"kty":"OKP","x":"b"}', T0 + 1)
    assert await store.add_signing_key(first) == (first,)
    assert await store.add_signing_key(second) == (first, second)
    assert await store.add_signing_key(first) == (first, second)
    assert await store.signing_keys() == (first, second)


async def test_a_badge_statement_is_kept_once_with_the_others(store: Store) -> None:
    statement = xapi.earned_statement(ALICE, "quest-walk", Text("ก", "a"), Text("ข", "b"), T0)
    await store.keep_statement(statement, T0)
    await store.keep_statement(statement, T0 + 1)
    kept = (await store.statements_since(T0 - 1)).statements
    assert kept == (statement,)
