"""The booth service over a real SQLite store (the publish hook, owners, polling), and the
street's redeem program run against the same store."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.integrations.images import BadImage
from server.services.booths import BoothService, BoothUpdate
from server.store import Store, open_store
from server.ws.steps import StoreSteps
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Coupon, CouponIssued, Error, Redeem
from srichan_world.scene.geometry import Point
from srichan_world.scene.manifest import Manifest
from srichan_world.street.booths import BoothCounter
from srichan_world.street.learning import Asker
from srichan_world.world.booths import Invalid
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from srichan_world.world.owners import OwnerSession
from tests.server.booth_fixtures import B01, write_booth_scene
from tests.server.store.conftest import SECRET
from tests.world.booth_fixtures import DAY, config, promotion

ALICE = "alice-0000001"
BOB = "bob-000000002"
SHOP = "auntie-daeng"
AT_B01 = (B01[0], B01[1] - 3.0)


@dataclass
class Setup:
    service: BoothService
    store: Store
    url: str
    owner: OwnerSession
    updates: list[BoothUpdate]
    now: float
    counter: BoothCounter
    steps: StoreSteps

    async def redeem(
        self,
        visitor: str,
        slot: str,
        promotion: str,
        key: str,
        where: Point,
        now: float,
        cost: int | None = None,
    ) -> tuple[Coupon, int]:
        """A visitor's redeem as the street runs it; ``Refused`` when it is refused."""
        asker = Asker(1, where, visitor, SECRET)
        program = self.counter.redeem(asker, Redeem(slot, promotion, key, cost), now)
        (reply,) = (await self.steps.run(program)).replies
        if isinstance(reply, Error):
            raise Refused(ErrorCode(reply.code), reply.message)
        assert isinstance(reply, CouponIssued)
        return reply.coupon, reply.balance


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    folder = tmp_path / "build"
    write_booth_scene(folder)
    manifest = json.loads((folder / "srichan.manifest.json").read_text(encoding="utf-8"))
    url = f"sqlite:///{tmp_path}/s.db"
    store = await open_store(url)
    now = time.time()
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", now)
    live = promotion(coupons=1, valid_from=now - DAY, valid_to=now + DAY)
    await store.save_booth_draft("B01", SHOP, config(live), now)
    for v in (ALICE, BOB):
        await store.register_visitor(v, SECRET, now)
        await store.transfer(Transfer(f"gift-{v}", CITY_POOL, visitor_account(v), 100, "gift", now))
    service = BoothService(Manifest.parse(manifest))
    await service.start(store)
    updates: list[BoothUpdate] = []
    service.subscribe(updates.append)
    owner = OwnerSession(SHOP, "ร้านป้าแดง", ("B01",), now + DAY)
    try:
        slots = {slot: place.position for slot, place in service.slots.items()}
        counter, steps = BoothCounter(slots), StoreSteps(store, service)
        yield Setup(service, store, url, owner, updates, now, counter, steps)
    finally:
        await store.close()


async def test_publishing_tells_subscribers_at_once_with_the_slots_cell(setup: Setup) -> None:
    record = await setup.service.publish(setup.owner, "B01", setup.now)
    (update,) = setup.updates
    assert update.slot == "B01" and update.position == B01
    assert update.cell == setup.service.grid.cell_of(B01)
    assert update.message.version == record.version
    assert update.message.booth["name"]["th"] == "ร้านป้าแดง ชาไทย"
    assert setup.service.state("B01") == update.message


async def test_a_failing_subscriber_does_not_stop_the_others(setup: Setup) -> None:
    def broken(_update: BoothUpdate) -> None:
        raise RuntimeError("a broken subscriber")

    setup.service.subscribe(broken)
    later: list[BoothUpdate] = []
    unsubscribe = setup.service.subscribe(later.append)
    await setup.service.publish(setup.owner, "B01", setup.now)
    assert len(setup.updates) == 1 and len(later) == 1
    unsubscribe()
    await setup.service.set_hidden("B01", True, setup.now)
    assert len(setup.updates) == 2 and len(later) == 1
    assert setup.updates[-1].message.booth is None, "a hidden booth shows as an empty slot"


async def test_visitors_see_the_booths_in_their_interest_area_only(setup: Setup) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    assert [s.slot for s in setup.service.states_near(*AT_B01)] == ["B01"]
    assert setup.service.states_near(40.0, 0.0) == []


async def test_two_visitors_race_for_the_last_coupon_through_the_service(setup: Setup) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    visitors = (ALICE, BOB)
    results = await asyncio.gather(
        *(setup.redeem(v, "B01", "free0tea", f"race-key-{v}", AT_B01, setup.now) for v in visitors),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and isinstance(lost[0], Refused) and lost[0].code == ErrorCode.SOLD_OUT
    _coupon, balance = won[0]
    assert balance == 70
    (loser,) = (v for v, r in zip(visitors, results, strict=True) if isinstance(r, BaseException))
    assert await setup.store.balance(visitor_account(loser)) == 100
    assert await setup.store.balance(shop_account(SHOP)) == 30
    assert setup.updates[-1].message.booth["promotions"][0]["left"] == 0, "stock is published"


async def test_a_redeem_is_one_store_transaction(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    calls: list[bool] = []
    store_call = setup.store._call  # type: ignore[attr-defined]

    async def counted(fn: object, *, write: bool) -> object:
        calls.append(write)
        return await store_call(fn, write=write)

    monkeypatch.setattr(setup.store, "_call", counted)
    _coupon, balance = await setup.redeem(ALICE, "B01", "free0tea", "one-trip-1", AT_B01, setup.now)
    # one read (is the identity linked to a signed-in account?), then one transaction
    assert calls == [False, True], "check the secret, pay, issue, read balance and booth: at once"
    assert balance == 70 and setup.service.state("B01").version == 2  # type: ignore[union-attr]
    assert setup.updates[-1].message.booth["promotions"][0]["left"] == 0, "stock is shown"


async def test_a_retried_redeem_returns_the_same_coupon(setup: Setup) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    first = await setup.redeem(ALICE, "B01", "free0tea", "retry-key-1", AT_B01, setup.now)
    again = await setup.redeem(ALICE, "B01", "free0tea", "retry-key-1", AT_B01, setup.now)
    assert again == first and first[1] == 70


@pytest.mark.parametrize(
    ("slot", "key", "where", "code"),
    [
        ("B01", "far-key-01", (B01[0] + 7.0, B01[1]), ErrorCode.BOOTH_TOO_FAR),
        ("B01", "nan-key-01", (float("nan"), 0.0), ErrorCode.BOOTH_TOO_FAR),
        ("B99", "key-000001", AT_B01, ErrorCode.UNKNOWN_BOOTH),
        ("B01", "bad key!", AT_B01, ErrorCode.BAD_VALUE),
        ("B03", "key-000001", (40.0, 5.0), ErrorCode.UNKNOWN_BOOTH),
    ],
)
async def test_refused_redeems_spend_nothing(
    setup: Setup, slot: str, key: str, where: tuple[float, float], code: ErrorCode
) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    with pytest.raises(Refused) as caught:
        await setup.redeem(ALICE, slot, "free0tea", key, where, setup.now)
    assert caught.value.code == code
    assert await setup.store.balance(visitor_account(ALICE)) == 100


async def test_the_cost_a_visitor_saw_must_still_hold(setup: Setup) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    with pytest.raises(Refused) as caught:
        await setup.redeem(ALICE, "B01", "free0tea", "cost-key-1", AT_B01, setup.now, 5)
    assert caught.value.code == ErrorCode.PROMOTION_CHANGED


async def test_redeems_are_rate_limited_per_visitor(setup: Setup) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    codes = []
    for i in range(7):
        try:
            await setup.redeem(ALICE, "B01", "gone0000", f"limit-key-{i}", AT_B01, setup.now)
        except Refused as exc:
            codes.append(exc.code)
    assert codes[:5] == [ErrorCode.UNKNOWN_PROMOTION] * 5 and codes[-1] == ErrorCode.RATE_LIMITED


async def test_the_wallet_holds_usable_coupons_only(setup: Setup) -> None:
    live = promotion(coupons=5, valid_from=setup.now - DAY, valid_to=setup.now + DAY)
    await setup.store.save_booth_draft("B01", SHOP, config(live), setup.now)
    await setup.service.publish(setup.owner, "B01", setup.now)
    used, _ = await setup.redeem(ALICE, "B01", "free0tea", "wallet-1", AT_B01, setup.now)
    kept, _ = await setup.redeem(ALICE, "B01", "free0tea", "wallet-2", AT_B01, setup.now)
    await setup.service.verify(setup.owner, "B01", used.code, setup.now)
    coupons = await setup.store.coupons_of(ALICE)
    usable = [c.to_message() for c in coupons if c.usable(setup.now)]
    assert [c.code for c in usable] == [kept.code]
    assert usable[0].title.th == "ชาไทยฟรี 1 แก้ว" and usable[0].slot == "B01"
    expiry = next(c.expires_at for c in coupons if c.code == kept.code)
    assert [c for c in coupons if c.usable(expiry)] == []


async def test_a_draft_cannot_offer_fewer_coupons_than_were_issued(setup: Setup) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    await setup.redeem(ALICE, "B01", "free0tea", "issued-key", AT_B01, setup.now)
    form = config(promotion(coupons=1)).to_json()
    form["promotions"][0]["coupons"] = 0
    with pytest.raises(Invalid) as caught:
        await setup.service.save_draft(setup.owner, "B01", form, setup.now)
    assert {e.path for e in caught.value.errors} == {"promotions[0].coupons"}


async def test_an_owner_acts_on_their_own_slots_only(setup: Setup) -> None:
    for call in (
        setup.service.publish(setup.owner, "B02", setup.now),
        setup.service.save_draft(setup.owner, "B03", {}, setup.now),
        setup.service.redemptions(setup.owner, "B02"),
        setup.service.verify(setup.owner, "B02", "ABCD2345", setup.now),
        setup.service.upload_photo(setup.owner, "B02", b"", setup.now),
    ):
        with pytest.raises(Refused) as caught:
            await call
        assert caught.value.code == ErrorCode.NOT_BOOTH_OWNER


async def test_a_bad_photo_is_refused_before_the_store(setup: Setup) -> None:
    with pytest.raises(BadImage):
        await setup.service.upload_photo(setup.owner, "B01", b"GIF89a not really", setup.now)
    record = await setup.store.booth("B01")
    assert record is not None and record.photos == frozenset()


async def test_changes_made_by_another_process_are_found_by_polling(setup: Setup) -> None:
    await setup.service.publish(setup.owner, "B01", setup.now)
    assert await setup.service.refresh() == 0, "nothing new"
    elsewhere = await open_store(setup.url)  # e.g. `srichan owner revoke` on the same file
    try:
        await elsewhere.revoke_shop(SHOP, setup.now)
    finally:
        await elsewhere.close()
    poller = asyncio.create_task(setup.service.poll_forever(0.02))
    try:
        async with asyncio.timeout(5):
            while setup.updates[-1].message.booth is not None:
                await asyncio.sleep(0.01)
    finally:
        poller.cancel()
    assert setup.service.state("B01").booth is None  # type: ignore[union-attr]
