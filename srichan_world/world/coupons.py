"""Coupons: what a visitor gets for learning tokens, and how a shop checks one.

A coupon is issued by one atomic step: a :class:`Redemption` is the plan, carried out by the
store. Whether the booth may sell rests on what only the store knows at that instant (the
booth on the street, the promotion's price, window and stock, the visitor's balance), so the
plan carries those conditions and :meth:`Redemption.sale` is the one rule every store checks
inside its step, with the coupons of the promotion it issued today (:class:`Today`: a visitor
takes at most ``per_visitor`` a Bangkok day, everyone together at most ``daily_stock``); then
the tokens move from the visitor to the shop (a balance short of the cost refuses), the stock
goes down, the booth's version goes up and the coupon is written with
the first candidate code not taken, or nothing happens at all. The visitor's client supplies
the redemption ``key``, so a retry (a lost reply, a reconnect) returns the same coupon and
spends nothing twice.

The code a visitor shows at the counter is 8 characters from an alphabet without look-alikes
(no 0/O, 1/I/L), about 40 bits: short enough to read aloud, too many to guess at the
verification rate limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Coupon
from srichan_world.scene.model import Text
from srichan_world.world.booths import BoothRecord, Promotion
from srichan_world.world.ledger import Transfer, shop_account, visitor_account
from srichan_world.world.periods import day_of, next_day_at

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
"""A client's redemption key: a random id it makes up once per redeem attempt."""
COUPON_LIFETIME_S = 7 * 86_400
"""A coupon may be used at the shop for a week after it was issued."""
CODE_CANDIDATES = 4
"""Codes offered to the store per redemption; it takes the first one not yet used."""


def new_code(randbelow: Callable[[int], int]) -> str:
    """A fresh code; pass ``secrets.randbelow`` (tests pass a seeded generator)."""
    return "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(CODE_LENGTH))


def normalize_code(raw: object) -> str | None:
    """What a person typed or a scanner read → the stored form, or ``None`` if impossible.

    Case, spaces and dashes are ignored (``abcd-2345`` is ``ABCD2345``).
    """
    if not isinstance(raw, str) or len(raw) > 32:
        return None
    code = re.sub(r"[\s-]", "", raw).upper()
    return code if CODE.match(code) else None


def display_code(code: str) -> str:
    """``ABCD2345`` → ``ABCD-2345``, easier to read out."""
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class Today:
    """Coupons of one promotion issued this Bangkok day, as the store counted them inside its
    atomic step: to this visitor, and to everyone."""

    visitor: int = 0
    everyone: int = 0


@dataclass(frozen=True)
class Sale:
    """What the booth sells a coupon for, as the store found it."""

    shop_id: str
    promotion: Promotion


@dataclass(frozen=True)
class Redemption:
    """One visitor's request to buy one coupon, with everything the store needs to do it."""

    key: str
    visitor_id: str
    slot: str
    promotion_id: str
    expected_cost: int | None
    """The cost the visitor saw; a different current cost is refused (``None``: do not check)."""
    coupon_id: str
    codes: tuple[str, ...]
    """Candidate codes, in order of preference (see :data:`CODE_CANDIDATES`)."""
    now: float
    expires_at: float
    signed_in: bool = False
    """Whether the visitor's identity is linked to a signed-in account (read before the
    store step; a promotion with ``requires_sign_in`` refuses it otherwise)."""

    @property
    def transfer_key(self) -> str:
        return f"redeem:{self.visitor_id}:{self.key}"

    @property
    def day(self) -> str:
        """The Bangkok day the daily limits of this redemption count in."""
        return day_of(self.now)

    def sale(
        self,
        booth: BoothRecord | None,
        promotion: Promotion | None,
        *,
        paid: int | None = None,
        today: Today = Today(),
    ) -> Sale:
        """The booth's conditions for selling one coupon now, checked by the store inside its
        atomic step on what it holds: the ``booth`` record and its live ``promotion`` of this
        id, and ``today``'s coupons of it. ``paid`` is what the visitor was already charged, if
        anything; a price other than that or the one the visitor saw is a change. Raises
        ``Refused``; the daily limits with ``retry_at`` the next Bangkok midnight."""
        if booth is None or booth.on_street is None or booth.shop_id is None:
            raise Refused(ErrorCode.UNKNOWN_BOOTH, f"no booth open at {self.slot}")
        if promotion is None:
            raise Refused(ErrorCode.UNKNOWN_PROMOTION, f"{self.slot} has no {self.promotion_id!r}")
        window = promotion.window_refusal(self.now)
        if window == "not_started":
            raise Refused(ErrorCode.PROMOTION_NOT_STARTED, "not yet", retry_at=promotion.valid_from)
        if window == "ended":
            raise Refused(ErrorCode.PROMOTION_ENDED, "this promotion is over")
        if promotion.requires_sign_in and not self.signed_in:
            raise Refused(ErrorCode.SIGN_IN_REQUIRED, "sign in to take this promotion's coupon")
        for seen in (self.expected_cost, paid):
            if seen is not None and seen != promotion.cost:
                raise Refused(ErrorCode.PROMOTION_CHANGED, f"it now costs {promotion.cost} tokens")
        if booth.left(promotion) <= 0:
            raise Refused(ErrorCode.SOLD_OUT, "no coupons left")
        if today.visitor >= promotion.per_visitor:
            why = f"{promotion.per_visitor} a day per visitor; more tomorrow"
            raise Refused(ErrorCode.VISITOR_LIMIT, why, retry_at=next_day_at(self.now))
        if promotion.daily_stock and today.everyone >= promotion.daily_stock:
            why = f"today's {promotion.daily_stock} coupons are gone; more tomorrow"
            raise Refused(ErrorCode.SOLD_OUT_TODAY, why, retry_at=next_day_at(self.now))
        return Sale(booth.shop_id, promotion)

    def payment(self, sale: Sale) -> Transfer:
        """The tokens from the visitor to the shop (the store refuses a short balance)."""
        return Transfer(
            self.transfer_key,
            visitor_account(self.visitor_id),
            shop_account(sale.shop_id),
            sale.promotion.cost,
            f"coupon {self.slot}/{self.promotion_id}",
            self.now,
        )

    def code(self, taken: Container[str]) -> str | None:
        """The first candidate code no coupon has, or ``None`` (offer fresh ones)."""
        return next((c for c in self.codes if c not in taken), None)

    def coupon(self, sale: Sale, code: str) -> CouponRecord:
        return CouponRecord(
            coupon_id=self.coupon_id,
            code=code,
            visitor_id=self.visitor_id,
            shop_id=sale.shop_id,
            slot=self.slot,
            promotion_id=self.promotion_id,
            title=sale.promotion.title,
            cost=sale.promotion.cost,
            issued_at=self.now,
            expires_at=self.expires_at,
        )

    def same(self, first: CouponRecord) -> CouponRecord:
        """The coupon bought earlier under this key, or ``KEY_CONFLICT`` if it bought another."""
        self.require_same(first.slot, first.promotion_id)
        return first

    def require_same(self, slot: str, promotion_id: str) -> None:
        """``KEY_CONFLICT`` unless an earlier purchase under this key was of this promotion."""
        if (slot, promotion_id) != (self.slot, self.promotion_id):
            raise Refused(ErrorCode.KEY_CONFLICT, f"key {self.key!r} bought another coupon")


@dataclass(frozen=True)
class CouponRecord:
    coupon_id: str
    code: str
    visitor_id: str
    shop_id: str
    slot: str
    promotion_id: str
    title: Text
    cost: int
    issued_at: float
    expires_at: float
    used_at: float | None = None

    def usable(self, now: float) -> bool:
        return self.used_at is None and now < self.expires_at

    def check_verifiable(self, slot: str, shop_id: str, now: float) -> None:
        """Refuse, with the reason a shop owner reads, a coupon that this booth may not mark
        used now: another booth's, already used, or expired. Every store checks the same way
        inside its atomic step."""
        if (self.slot, self.shop_id) != (slot, shop_id):
            raise Refused(ErrorCode.COUPON_OTHER_SHOP, "this coupon is for another booth")
        if self.used_at is not None:
            raise Refused(ErrorCode.COUPON_USED, "already used", retry_at=self.used_at)
        if now >= self.expires_at:
            raise Refused(ErrorCode.COUPON_EXPIRED, "this coupon has expired")

    def to_message(self) -> Coupon:
        """The protocol record kept in the visitor's wallet."""
        return Coupon(
            coupon_id=self.coupon_id,
            slot=self.slot,
            promotion=self.promotion_id,
            title=self.title,
            code=self.code,
            expires_at=int(self.expires_at),
        )


@dataclass(frozen=True)
class Redeemed:
    """What a store did for a redemption: the coupon, the visitor's balance after paying, and
    the booth as visitors see it now (one fewer left, a new version)."""

    coupon: CouponRecord
    balance: int
    booth: BoothRecord


def coupon_problems(
    coupons: Iterable[tuple[CouponRecord, str]],
    transfers: Mapping[str, Transfer],
    promotions: Iterable[tuple[str, str, int, str | None]],
) -> list[str]:
    """Each coupon was paid for: its transfer (``coupons`` pairs each with its transfer key) went
    from its visitor to its shop at its cost; and each promotion (slot, id, issued, the slot's
    shop) counts as issued the coupons its shop sold."""
    held = list(coupons)
    problems = []
    for coupon, transfer_key in held:
        t = transfers.get(transfer_key)
        if t is None or (t.source, t.target, t.amount) != (
            visitor_account(coupon.visitor_id),
            shop_account(coupon.shop_id),
            coupon.cost,
        ):
            problems.append(f"coupon {coupon.code} has no matching transfer")
    for slot, promotion_id, issued, shop_id in promotions:
        sold = sum(
            (c.slot, c.promotion_id, c.shop_id) == (slot, promotion_id, shop_id) for c, _ in held
        )
        if issued != sold:
            problems.append(
                f"promotion {slot}/{promotion_id} says {issued} issued but {sold} coupons exist"
            )
    return problems


def check_redemption(r: Redemption) -> None:
    """Raise ``ValueError`` for a malformed redemption: the caller's bug, not a refusal."""
    if not isinstance(r.key, str) or not KEY.match(r.key):
        raise ValueError("redemption key must be 8-64 of A-Z a-z 0-9 _ -")
    if not r.codes or not all(isinstance(c, str) and CODE.match(c) for c in r.codes):
        raise ValueError("candidate codes must be well-formed coupon codes")
    if not r.coupon_id or len(r.coupon_id) > 64:
        raise ValueError("coupon id must be 1-64 characters")
