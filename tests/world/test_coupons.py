"""Coupon plans without a store: the booth's conditions of a sale, what a sale changes, and the
audit rule that every coupon was paid for."""

from __future__ import annotations

from dataclasses import replace

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.booths import (
    IMAGE_PRUNE_AGE_S,
    IMAGES_PER_SLOT,
    BoothRecord,
    photos_to_drop,
)
from srichan_world.world.coupons import Today, coupon_problems
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from srichan_world.world.periods import day_of
from tests.world.booth_fixtures import DAY, T0, config, promotion, redemption

VISITOR = "visitor-0001"
SHOP = "auntie-daeng"
TEA = promotion(cost=30, coupons=2)


def booth(**changes: object) -> BoothRecord:
    record = BoothRecord("B01", SHOP, config(TEA), config(TEA), False, 4, {}, T0)
    return replace(record, **changes)  # type: ignore[arg-type]


def refusal(call: object, *args: object, **kwargs: object) -> ErrorCode:
    with pytest.raises(Refused) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value.code


def test_a_sale_rests_on_the_booth_and_promotion_the_store_holds() -> None:
    r = redemption(VISITOR, "key-00001", expected_cost=30)
    sale = r.sale(booth(), TEA)
    assert (sale.shop_id, sale.promotion) == (SHOP, TEA)
    payment = r.payment(sale)
    assert (payment.source, payment.target, payment.amount) == (
        visitor_account(VISITOR),
        shop_account(SHOP),
        30,
    )
    coupon = r.coupon(sale, r.code({r.codes[0]}) or "")
    assert coupon.code == r.codes[1] and coupon.cost == 30 and coupon.title == TEA.title
    assert r.code(set(r.codes)) is None
    after = booth().sold(TEA.id)
    assert (after.version, after.left(TEA)) == (5, 1)


@pytest.mark.parametrize(
    ("record", "promo", "change", "paid", "code"),
    [
        (booth(hidden=True), TEA, {}, None, ErrorCode.UNKNOWN_BOOTH),
        (booth(published=None), TEA, {}, None, ErrorCode.UNKNOWN_BOOTH),
        (None, TEA, {}, None, ErrorCode.UNKNOWN_BOOTH),
        (booth(), None, {}, None, ErrorCode.UNKNOWN_PROMOTION),
        (booth(), TEA, {"now": T0 - 2 * DAY}, None, ErrorCode.PROMOTION_NOT_STARTED),
        (booth(), TEA, {"now": T0 + 7 * DAY}, None, ErrorCode.PROMOTION_ENDED),
        (booth(), TEA, {"expected_cost": 29}, None, ErrorCode.PROMOTION_CHANGED),
        (booth(), TEA, {}, 29, ErrorCode.PROMOTION_CHANGED),
        (booth(issued={TEA.id: 2}), TEA, {}, None, ErrorCode.SOLD_OUT),
    ],
)
def test_each_condition_of_a_sale_refuses_with_its_code(
    record: BoothRecord | None,
    promo: object,
    change: dict[str, object],
    paid: int | None,
    code: int,
) -> None:
    r = replace(redemption(VISITOR, "key-00001"), **change)  # type: ignore[arg-type]
    assert refusal(r.sale, record, promo, paid=paid) == code


def test_the_same_key_returns_its_first_coupon_only_for_the_same_promotion() -> None:
    r = redemption(VISITOR, "key-00001")
    first = r.coupon(r.sale(booth(), TEA), r.codes[0])
    assert r.same(first) is first
    other = redemption(VISITOR, "key-00001", promotion_id="another1")
    assert refusal(other.same, first) == ErrorCode.KEY_CONFLICT


def test_the_audit_finds_a_coupon_not_paid_for_and_a_miscounted_promotion() -> None:
    r = redemption(VISITOR, "key-00001")
    coupon = r.coupon(r.sale(booth(), TEA), r.codes[0])
    paid = {r.transfer_key: r.payment(r.sale(booth(), TEA))}
    rows = [("B01", TEA.id, 1, SHOP)]
    assert coupon_problems([(coupon, r.transfer_key)], paid, rows) == []
    gift = Transfer(r.transfer_key, CITY_POOL, visitor_account(VISITOR), 30, "gift", T0)
    problems = coupon_problems([(coupon, r.transfer_key)], {r.transfer_key: gift}, rows)
    assert problems == [f"coupon {coupon.code} has no matching transfer"]
    miscounted = coupon_problems([], {}, rows)
    assert miscounted == [f"promotion B01/{TEA.id} says 1 issued but 0 coupons exist"]


def test_photos_make_room_oldest_unused_first_or_refuse() -> None:
    now = T0 + IMAGE_PRUNE_AGE_S + 10
    room = {f"{i:032x}": T0 + i for i in range(IMAGES_PER_SLOT - 1)}
    assert photos_to_drop("B01", room, frozenset(), now) == []
    full = room | {"f" * 32: now}
    shown = frozenset({f"{0:032x}"})
    assert photos_to_drop("B01", full, shown, now) == [f"{1:032x}"]
    assert refusal(photos_to_drop, "B01", full, frozenset(full), now) == ErrorCode.IMAGE_LIMIT
    young = dict.fromkeys(full, now)
    assert refusal(photos_to_drop, "B01", young, frozenset(), now) == ErrorCode.IMAGE_LIMIT


def test_daily_limits_refuse_until_the_next_bangkok_midnight() -> None:
    one_a_day = replace(TEA, per_visitor=1, daily_stock=3, coupons=100)
    shop = booth(published=config(one_a_day))
    r = redemption(VISITOR, "key-00001")  # 11:13 in Bangkok
    assert r.sale(shop, one_a_day, today=Today(visitor=0, everyone=2)).promotion == one_a_day
    with pytest.raises(Refused) as mine:
        r.sale(shop, one_a_day, today=Today(visitor=1, everyone=1))
    with pytest.raises(Refused) as everyone:
        r.sale(shop, one_a_day, today=Today(visitor=0, everyone=3))
    assert mine.value.code == ErrorCode.VISITOR_LIMIT
    assert everyone.value.code == ErrorCode.SOLD_OUT_TODAY
    midnight = T0 + (24 - 11) * 3600 - 13 * 60 - (T0 % 60)  # 00:00 Bangkok, the next day
    assert mine.value.refusal.retry_at == everyone.value.refusal.retry_at == midnight
    assert day_of(midnight) == "2026-05-10" and day_of(midnight - 1) == r.day == "2026-05-09"
    unlimited = replace(one_a_day, daily_stock=0)
    assert r.sale(shop, unlimited, today=Today(visitor=0, everyone=10**6))
    with pytest.raises(Refused) as total:  # the promotion's whole stock still comes first
        r.sale(booth(issued={TEA.id: 100}, published=config(one_a_day)), one_a_day)
    assert total.value.code == ErrorCode.SOLD_OUT
