"""Redeeming at a booth, decided here: who may buy which coupon, from where, how often.

A ``redeem`` is checked before the store sees it (a known slot, a well-formed idempotency key,
the visitor standing within reach of the booth, the visitor's redeem rate), then bought in one
atomic store step (a :class:`~srichan_world.world.coupons.Redemption` plan) that checks the
visitor's secret, the stock, cost and balance itself (``docs/booths.md``) and answers with the
coupon, the balance and the booth after it: one store call. The same key again returns the
same coupon and spends nothing more, so a retry after a lost reply is safe.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.limits import BOOTH_RATES, BOOTH_REACH_M, Rate
from srichan_world.protocol.messages import CouponIssued, Redeem
from srichan_world.scene.geometry import Point
from srichan_world.street.learning import Asker, refusal_message
from srichan_world.street.steps import Outcome, Program, ReadSignedIn, ShowBooth
from srichan_world.street.steps import Redeem as RedeemStep
from srichan_world.world import figures
from srichan_world.world.coupons import (
    CODE_CANDIDATES,
    COUPON_LIFETIME_S,
    KEY,
    Redeemed,
    Redemption,
    new_code,
)
from srichan_world.world.figures import Usage
from srichan_world.world.ratelimit import BucketTable

NEAR_MAX = 200_000
"""(booth, visitor) pairs remembered for today's "near the booth" counts: ~20 MB at most."""


class BoothCounter:
    """The visitor's side of the booths: one :meth:`redeem` program per request."""

    def __init__(
        self,
        slots: Mapping[str, Point],
        *,
        redeem_rate: Rate = BOOTH_RATES["redeem"],
        randbelow: Callable[[int], int] = secrets.randbelow,
        token_hex: Callable[[int], str] = secrets.token_hex,
    ) -> None:
        self.slots = dict(slots)
        self._randbelow = randbelow
        self._token_hex = token_hex
        self._redeems = BucketTable(redeem_rate.rate, redeem_rate.burst)
        self._near_day = ""
        self._near: set[tuple[str, str]] = set()

    def nearby(self, visitor_id: str, position: Point, now: float) -> list[Usage]:
        """Count a visitor once a day at each booth they come within reach of (an owner's
        "visitors near the booth"). Per process: a visitor who comes back through another
        process that day is counted there too. The day's memory is bounded
        (:data:`NEAR_MAX`); past it, nobody new is counted until the next day."""
        day = figures.day_of(now)
        if day != self._near_day:
            self._near_day, self._near = day, set()
        usage = []
        for slot, place in self.slots.items():
            key = (slot, visitor_id)
            if key in self._near or math.dist(position, place) > BOOTH_REACH_M:
                continue
            if len(self._near) >= NEAR_MAX:
                break
            self._near.add(key)
            usage.append(Usage(figures.BOOTH_NEAR, slot))
        return usage

    def redeem(self, asker: Asker, msg: Redeem, now: float) -> Program[Outcome]:
        """Buy one coupon with tokens: the coupon and the balance after paying."""
        try:
            if not asker.visitor_id or not asker.visitor_secret:
                raise Refused(ErrorCode.NO_IDENTITY, "hello needs visitor_id and visitor_secret")
            redemption = self._check(asker, asker.visitor_id, msg, now)
            signed_in: bool = yield ReadSignedIn(asker.visitor_id)
            redemption = replace(redemption, signed_in=signed_in)
            redeemed: Redeemed = yield RedeemStep(redemption, asker.visitor_secret)
        except Refused as exc:
            return Outcome([refusal_message(exc.refusal, now)])
        yield ShowBooth(redeemed.booth)
        coupon = redeemed.coupon
        usage = []
        if coupon.coupon_id == redemption.coupon_id:  # a new coupon, not a replayed redemption's
            usage.append(
                Usage(figures.COUPON_ISSUED, coupon.slot, coupon.promotion_id, coupon.cost)
            )
        return Outcome([CouponIssued(coupon.to_message(), redeemed.balance)], usage=usage)

    def _check(self, asker: Asker, visitor_id: str, msg: Redeem, now: float) -> Redemption:
        place = self.slots.get(msg.slot)
        if place is None:
            raise Refused(ErrorCode.UNKNOWN_BOOTH, f"no booth slot {msg.slot}")
        if msg.key is not None and not KEY.match(msg.key):
            raise Refused(ErrorCode.BAD_VALUE, "redeem key must be 8-64 of A-Z a-z 0-9 _ -")
        key = redeem_key(asker.session, msg, self._token_hex)
        x, z = asker.position
        if not (math.isfinite(x) and math.isfinite(z)) or (
            math.dist(asker.position, place) > BOOTH_REACH_M
        ):
            raise Refused(ErrorCode.BOOTH_TOO_FAR, f"come within {BOOTH_REACH_M:g} m of {msg.slot}")
        if not self._redeems.take(visitor_id, now):
            raise Refused(ErrorCode.RATE_LIMITED, "too many redeem requests; wait a little")
        return Redemption(
            key=key,
            visitor_id=visitor_id,
            slot=msg.slot,
            promotion_id=msg.promotion,
            expected_cost=msg.expected_cost,
            coupon_id=f"c-{self._token_hex(8)}",
            codes=tuple(new_code(self._randbelow) for _ in range(CODE_CANDIDATES)),
            now=now,
            expires_at=now + COUPON_LIFETIME_S,
        )


def redeem_key(
    session: int, msg: Redeem, token_hex: Callable[[int], str] = secrets.token_hex
) -> str:
    """The idempotency key of a redeem: the client's ``key`` when it sends one (the browser
    does), else the session and the request's ``cid``, so a duplicate on one connection at
    least spends once."""
    if msg.key is not None:
        return msg.key
    if msg.cid is None:
        return f"ws-{session}-{token_hex(8)}"  # nothing to recognise a duplicate by
    return f"ws-{session:06d}-{msg.cid}"
