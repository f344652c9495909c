"""Coupons: what a visitor gets for learning tokens, and how a shop checks one.

A coupon is issued by one atomic step (:class:`Redemption`, carried out by the store): the
promotion is open and not sold out, the tokens move from the visitor to the shop, the stock goes
down and the coupon is written, or nothing happens at all. The visitor's client supplies the
redemption ``key``, so a retry (a lost reply, a reconnect) returns the same coupon and spends
nothing twice.

The code a visitor shows at the counter is 8 characters from an alphabet without look-alikes
(no 0/O, 1/I/L), about 40 bits: short enough to read aloud, too many to guess at the
verification rate limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Coupon
from srichan_world.scene.model import Text

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

    @property
    def transfer_key(self) -> str:
        return f"redeem:{self.visitor_id}:{self.key}"


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


def check_redemption(r: Redemption) -> None:
    """Raise ``ValueError`` for a malformed redemption: the caller's bug, not a refusal."""
    if not isinstance(r.key, str) or not KEY.match(r.key):
        raise ValueError("redemption key must be 8-64 of A-Z a-z 0-9 _ -")
    if not r.codes or not all(isinstance(c, str) and CODE.match(c) for c in r.codes):
        raise ValueError("candidate codes must be well-formed coupon codes")
    if not r.coupon_id or len(r.coupon_id) > 64:
        raise ValueError("coupon id must be 1-64 characters")
