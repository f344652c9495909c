"""The events part of the store contract: operators' records and attendance, on SQLite, Redis
and a Redis Cluster alike."""

from __future__ import annotations

import asyncio

import pytest

from server.store import Store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Event, Text
from srichan_world.world.events import Calendar
from srichan_world.world.ledger import visitor_account
from tests.server.store.conftest import SECRET, T0, StoreFactory

WALK = Event(
    id="walk",
    title=Text("เดินชม", "Walk"),
    description=Text("เดินชมพิพิธภัณฑ์", "A museum walk"),
    host=Text("พิพิธภัณฑ์มีชีวิต", "Living Museum"),
    starts=T0,
    ends=T0 + 3600,
    landmark="museum",
    quiz_points=("q1",),
    bonus=30,
    capacity=2,
)
CAP = 500


async def attend(store: Store, visitor_id: str, event: Event = WALK, cap: int = CAP):  # type: ignore[no-untyped-def]
    return await store.attend_event(Calendar().attendance(event, visitor_id, cap, T0 + 60))


async def test_operator_events_are_kept_by_id_and_versioned(store_factory: StoreFactory) -> None:
    store = await store_factory()
    assert await store.stored_events() == ((), 0)
    v1 = await store.put_event({"id": "walk", "title": {"th": "ก", "en": "a"}}, T0)
    v2 = await store.put_event({"id": "walk", "title": {"th": "ข", "en": "b"}}, T0 + 1)
    v3 = await store.put_event({"id": "fair", "title": {"th": "ค", "en": "c"}}, T0 + 2)
    assert v1 < v2 < v3
    again = await store_factory()  # another process, or after a restart
    events, version = await again.stored_events()
    assert version == v3
    assert [e["id"] for e in events] == ["fair", "walk"]
    assert events[1]["title"] == {"th": "ข", "en": "b"}


async def test_attending_seats_once_pays_the_bonus_once_and_keeps_the_statement(
    store: Store,
) -> None:
    await store.register_visitor("alice-0001", SECRET, T0)
    first = await attend(store, "alice-0001")
    assert (first.new, first.attendees, first.payout.paid, first.balance) == (True, 1, 30, 30)
    again = await attend(store, "alice-0001")
    assert (again.new, again.attendees, again.payout.paid, again.balance) == (False, 1, 0, 30)
    assert await store.balance(visitor_account("alice-0001")) == 30
    page = await store.statements_since(0)
    verbs = [s["verb"]["id"] for s in page.statements]
    assert verbs == ["http://adlnet.gov/expapi/verbs/attended"]
    assert (await store.audit()).ok


async def test_a_full_event_refuses_a_new_attendee_but_not_one_seated(store: Store) -> None:
    for v in ("alice-0001", "bob-00000002", "carol-000003"):
        await store.register_visitor(v, SECRET, T0)
    await attend(store, "alice-0001")
    await attend(store, "bob-00000002")
    with pytest.raises(Refused) as caught:
        await attend(store, "carol-000003")
    assert caught.value.code == ErrorCode.EVENT_FULL
    assert await store.balance(visitor_account("carol-000003")) == 0
    assert (await attend(store, "bob-00000002")).new is False
    assert await store.attendees("walk") == 2


async def test_racing_attendees_never_exceed_the_capacity(store_factory: StoreFactory) -> None:
    stores = [await store_factory() for _ in range(3)]
    visitors = [f"visitor-{i:04d}" for i in range(8)]
    for v in visitors:
        await stores[0].register_visitor(v, SECRET, T0)
    results = await asyncio.gather(
        *(attend(stores[i % 3], v) for i, v in enumerate(visitors)), return_exceptions=True
    )
    seated = [r for r in results if not isinstance(r, BaseException)]
    full = [r for r in results if isinstance(r, Refused)]
    assert len(seated) == 2 and len(full) == 6
    assert await stores[1].attendees("walk") == 2


async def test_the_bonus_is_clipped_to_the_daily_cap(store: Store) -> None:
    await store.register_visitor("alice-0001", SECRET, T0)
    seat = await attend(store, "alice-0001", cap=10)
    assert (seat.payout.paid, seat.payout.capped, seat.balance) == (10, True, 10)


async def test_an_unknown_visitor_cannot_attend(store: Store) -> None:
    with pytest.raises(Refused) as caught:
        await attend(store, "nobody-00001")
    assert caught.value.code == ErrorCode.BAD_IDENTITY
