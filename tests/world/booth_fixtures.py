"""Small booth configs, promotions and redemptions for the booth tests (rules, store, server)."""

from __future__ import annotations

import itertools

from srichan_world.scene.model import Text
from srichan_world.world.booths import PER_VISITOR_MAX, BoothConfig, Product, Promotion
from srichan_world.world.coupons import COUPON_LIFETIME_S, Redemption

T0 = 1_778_300_000.0  # Saturday 9 May 2026, 11:13 in Bangkok
DAY = 86_400

TEA = Text("ชาไทยฟรี 1 แก้ว", "One free Thai tea")

_codes = itertools.count()


def promotion(
    pid: str = "free0tea",
    *,
    cost: int = 30,
    coupons: int = 5,
    valid_from: float = T0 - DAY,
    valid_to: float = T0 + 7 * DAY,
    title: Text = TEA,
    per_visitor: int = PER_VISITOR_MAX,
    daily_stock: int = 0,
) -> Promotion:
    """A promotion; unlike the owner form's default (1 a day), a visitor may take many, so
    tests of stock and races can use one visitor (the limits have their own tests)."""
    terms = (int(valid_from), int(valid_to), per_visitor, daily_stock)
    return Promotion(pid, title, cost, coupons, *terms)


def config(*promotions: Promotion, photo: str | None = None) -> BoothConfig:
    return BoothConfig(
        name=Text("ร้านป้าแดง ชาไทย", "Auntie Daeng's Thai Tea"),
        description=Text("ชาไทยสูตรขอนแก่น", "Khon Kaen style Thai tea"),
        awning="#1e8449",
        products=(
            Product(Text("ชาเย็น", "Iced tea"), 4500, photo),
            Product(Text("กาแฟโบราณ", ""), 5050),
        ),
        promotions=promotions or (promotion(),),
    )


def code(n: int | None = None) -> str:
    """A distinct well-formed coupon code per call (or for ``n``)."""
    n = next(_codes) if n is None else n
    digits = "23456789"
    out = []
    for _ in range(8):
        n, r = divmod(n, len(digits))
        out.append(digits[r])
    return "".join(reversed(out))


def redemption(
    visitor_id: str,
    key: str,
    *,
    slot: str = "B01",
    promotion_id: str = "free0tea",
    expected_cost: int | None = None,
    now: float = T0,
    codes: tuple[str, ...] | None = None,
) -> Redemption:
    codes = codes or (code(), code())
    return Redemption(
        key=key,
        visitor_id=visitor_id,
        slot=slot,
        promotion_id=promotion_id,
        expected_cost=expected_cost,
        coupon_id=f"c-{visitor_id}-{key}",
        codes=codes,
        now=now,
        expires_at=now + COUPON_LIFETIME_S,
    )
