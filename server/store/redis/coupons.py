"""Coupons in Redis: redemptions across the visitor's slot and the street, and the shops' checks.

A redemption is the one street operation that crosses slots: the visitor pays in their slot,
the booth sells in ``{g}``. As for transfers, the side that can refuse with an idempotency key
goes first: the visitor's debit (a short balance refuses; nothing else is written), queued in
their outbox with a fresh *attempt* id. The street then decides once per redemption and
attempt, atomically: either the coupon is issued (stock, booth version, code, the ledger entry
and the shop's credit, all in one script) or the refusal is recorded, after which the debit is
given back. A recorded refusal is final for its attempt, so a late replay of that attempt can
never issue a coupon for a debit already given back; trying again is a new attempt. The booth's
rules are checked twice, before the debit (so most refusals touch nothing) and in the decision.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from server.store.base import PAGE_MAX, StoreError, page
from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import (
    BAL,
    BOOTH_VERSIONS,
    CODES,
    COUPON_SEQ,
    COUPONS,
    DAILY_TTL_S,
    HASH,
    KEYS,
    LEGS,
    OUT,
    booth_coupons_key,
    daily_key,
    dumps,
    movement,
    promotions_key,
    refusal_key,
    visitor_coupons_key,
    visitor_keys,
)
from server.store.redis.street import Changes, Street, StreetView
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.booths import BoothRecord, text_of
from srichan_world.world.coupons import (
    CouponRecord,
    Redeemed,
    Redemption,
    Today,
    check_redemption,
)
from srichan_world.world.ledger import shop_account
from srichan_world.world.visitors import check_credentials, require_secret

REFUSAL_TTL_S = 86_400
"""How long a refused redemption attempt is remembered: far beyond any replay of it."""
COUPON_FIELDS = (
    "coupon_id",
    "code",
    "visitor_id",
    "shop_id",
    "slot",
    "promotion_id",
    "cost",
    "issued_at",
    "expires_at",
    "used_at",
)


def coupon_json(coupon: CouponRecord, seq: int, transfer_key: str) -> str:
    body = {name: getattr(coupon, name) for name in COUPON_FIELDS}
    return dumps(body | {"title": coupon.title.to_json(), "seq": seq, "transfer_key": transfer_key})


def coupon_from(raw: str) -> CouponRecord:
    return coupon_of(json.loads(raw))


def coupon_of(held: dict[str, Any]) -> CouponRecord:
    title = held["title"]
    return CouponRecord(**{name: held[name] for name in COUPON_FIELDS}, title=text_of(title))


def newest_first(raws: Iterable[str | None]) -> list[tuple[CouponRecord, str]]:
    """Coupons newest first (by issue time, then by order of issue), with transfer keys."""
    held = [json.loads(r) for r in raws if r is not None]
    held.sort(key=lambda c: (c["issued_at"], c["seq"]), reverse=True)
    return [(coupon_of(c), c["transfer_key"]) for c in held]


def redemption_id(visitor_id: str, key: str) -> str:
    return f"{visitor_id}:{key}"


class RedisCoupons:
    """What visitors buy with tokens, and the shops' checks."""

    _conn: Connection
    _street: Street
    _sales: Sales

    @guarded
    async def redeem(self, redemption: Redemption, secret: str) -> Redeemed:
        r = redemption
        check_redemption(r)
        check_credentials(r.visitor_id, secret)
        rid = redemption_id(r.visitor_id, r.key)
        attempt = uuid.uuid4().hex
        keys = visitor_keys(r.visitor_id)
        async with self._conn.turns(r.visitor_id):
            stored, street = await asyncio.gather(
                self._conn.redis.hget(keys[HASH - 1], "secret"), self._sales.read(r, attempt)
            )
            require_secret(secret, stored)
            held = street.fields[(COUPONS, rid)]
            if held is not None:
                booth = street.record(r.slot)
                assert booth is not None, "slots are never deleted"
                return Redeemed(r.same(coupon_from(held)), await self._balance(keys), booth)
            promotion = street.promotion(r.slot, r.promotion_id)
            payment = r.payment(r.sale(street.record(r.slot), promotion, today=today(street, r)))
            leg = f"dr:{payment.key}"
            item_id = f"c:{rid}"
            item = {
                "kind": "C",
                "attempt": attempt,
                "redemption": redemption_json(r),
                "movement": movement(payment, debit_here=False, leg=leg),
            }
            status, detail = await self._conn.scripts.debit(
                [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
                [leg, f"cr:{payment.key}", payment.amount, item_id, dumps(item)],
            )
            if status == "short":
                raise payment.short()
            if status == "conflict":
                raise payment.conflict()
            if status == "done":
                held = await self._conn.redis.hget(COUPONS, rid)
                if held is None:
                    raise StoreError(f"redemption {rid} was paid but its coupon is missing")
                booth = (await self._street.read(slots=[r.slot])).record(r.slot)
                assert booth is not None, "slots are never deleted"
                return Redeemed(r.same(coupon_from(held)), await self._balance(keys), booth)
            first: StreetView | None = street
            if status == "pending" and detail:
                item = json.loads(detail)  # an earlier attempt, paid: decide on it
                r.require_same(item["redemption"]["slot"], item["redemption"]["promotion_id"])
                first = None
            coupon, booth = await self._sales.confirm(r.visitor_id, item_id, item, first)
            left = int(detail) if status == "new" else await self._balance(keys)
            return Redeemed(coupon, left, booth)

    async def _balance(self, keys: list[str]) -> int:
        return int(await self._conn.redis.get(keys[BAL - 1]) or 0)

    @guarded
    async def coupons_of(self, visitor_id: str) -> tuple[CouponRecord, ...]:
        rids = list(await self._conn.redis.hkeys(visitor_coupons_key(visitor_id)))
        raws = await self._conn.redis.hmget(COUPONS, rids) if rids else []
        return tuple(c for c, _ in newest_first(raws)[:PAGE_MAX])

    @guarded
    async def redemptions(
        self, slot: str, shop_id: str, *, limit: int = 100
    ) -> tuple[CouponRecord, ...]:
        limit = page(limit)
        street = await self._street.read()
        street.require_holder(slot, shop_id)
        rids = list(await self._conn.redis.hkeys(booth_coupons_key(slot)))
        raws = await self._conn.redis.hmget(COUPONS, rids) if rids else []
        mine = [c for c, _ in newest_first(raws) if c.shop_id == shop_id]
        return tuple(mine[:limit])

    @guarded
    async def verify_coupon(self, code: str, slot: str, shop_id: str, now: float) -> CouponRecord:
        rid = await self._conn.redis.hget(CODES, code) if isinstance(code, str) else None
        reads = [] if rid is None else [(COUPONS, rid)]

        def decide(street: StreetView) -> tuple[Changes, CouponRecord]:
            street.require_holder(slot, shop_id)
            held = None if rid is None else street.fields[(COUPONS, rid)]
            if held is None:
                raise Refused(ErrorCode.COUPON_UNKNOWN, "no coupon has this code")
            coupon = coupon_from(held)
            coupon.check_verifiable(slot, shop_id, now)
            changes = Changes()
            changes.hset(COUPONS, rid, json.loads(held) | {"used_at": now})
            changes.note(shop_account(shop_id), "verify", slot, f"{code} ok", now)
            return changes, replace(coupon, used_at=now)

        return (await self._street.change(decide, fields=reads))[0]


class Sales:
    """The street's decision on paid redemptions: once per redemption and attempt."""

    def __init__(self, conn: Connection, street: Street) -> None:
        self._conn = conn
        self._street = street

    async def read(self, r: Redemption, attempt: str) -> StreetView:
        """Everything :meth:`confirm` decides on, read at one instant."""
        return await self._street.read(slots=[r.slot], fields=self._reads(r, attempt))

    async def confirm(
        self,
        visitor_id: str,
        item_id: str,
        item: dict[str, Any],
        street: StreetView | None = None,
    ) -> tuple[CouponRecord, BoothRecord]:
        """The street's decision on a paid redemption attempt, once; then give the debit back
        (refused) or mark it done (issued). Decides first on ``street`` if given (as
        :meth:`read` read it). Also how ``settle`` finishes one cut off."""
        queued = item["redemption"]
        r = Redemption(**(queued | {"codes": tuple(queued["codes"])}))
        rid = redemption_id(r.visitor_id, r.key)
        payment = item["movement"]
        decided = refusal_key(rid, item["attempt"])

        def decide(street: StreetView) -> tuple[Changes, tuple[str, Any]]:
            changes = Changes()
            booth = street.record(r.slot)
            held = street.fields[(COUPONS, rid)]
            if held is not None:
                return changes, ("issued", (coupon_from(held), booth))
            refused = street.fields[(decided, None)]
            if refused is not None:
                return changes, ("refused", json.loads(refused))
            try:
                counted = today(street, r)
                terms = street.promotion(r.slot, r.promotion_id)
                sale = r.sale(booth, terms, paid=payment["amount"], today=counted)
            except Refused as refusal:
                why = refusal.refusal
                reason = {"code": int(why.code), "detail": why.detail, "retry_at": why.retry_at}
                changes.setex(decided, REFUSAL_TTL_S, reason)
                return changes, ("refused", reason)
            code = r.code({c for c in r.codes if street.fields[(CODES, c)] is not None})
            if code is None:
                reason = {"code": None, "detail": "every candidate coupon code is taken"}
                changes.setex(decided, REFUSAL_TTL_S, reason)
                return changes, ("refused", reason)
            coupon = r.coupon(sale, code)
            seq = int(street.fields[(COUPON_SEQ, None)] or 0) + 1
            changes.hset(COUPONS, rid, coupon_json(coupon, seq, r.transfer_key))
            changes.hset(CODES, code, rid)
            changes.set(COUPON_SEQ, seq)
            changes.hset(visitor_coupons_key(r.visitor_id), rid, str(seq))
            changes.hset(booth_coupons_key(r.slot), rid, str(seq))
            promotion = street.promotions[r.slot][r.promotion_id]
            sold = promotion | {"issued": promotion["issued"] + 1}
            changes.hset(promotions_key(r.slot), r.promotion_id, sold)
            changes.hincrby(BOOTH_VERSIONS, r.slot, 1)
            mine, everyone = _daily_keys(r)
            changes.setex(mine, DAILY_TTL_S, counted.visitor + 1)
            changes.setex(everyone, DAILY_TTL_S, counted.everyone + 1)
            changes.items.append(payment)
            assert booth is not None, "the sale found it"
            return changes, ("issued", (coupon, booth.sold(r.promotion_id)))

        reads = self._reads(r, item["attempt"])
        (outcome, detail), posted = await self._street.change(
            decide, first=street, slots=[r.slot], fields=reads
        )
        keys = visitor_keys(visitor_id)
        if outcome == "refused":
            await self._conn.scripts.refund(
                [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
                [payment["leg"], payment["amount"], item_id, dumps(item)],
            )
            if detail["code"] is None:
                raise StoreError(f"{detail['detail']}; offer fresh ones")
            raise Refused(ErrorCode(detail["code"]), detail["detail"], detail.get("retry_at"))
        seq = posted[0][1] if posted else await self._conn.redis.hget(KEYS, payment["key"])
        await self._conn.scripts.ack(
            [keys[LEGS - 1], keys[OUT - 1]], [1, payment["leg"], str(seq), item_id]
        )
        coupon, booth = detail
        return coupon, booth

    @staticmethod
    def _reads(r: Redemption, attempt: str) -> list[tuple[str, str | None]]:
        rid = redemption_id(r.visitor_id, r.key)
        reads: list[tuple[str, str | None]] = [(COUPONS, rid), (refusal_key(rid, attempt), None)]
        reads += [(key, None) for key in _daily_keys(r)]
        return reads + [(COUPON_SEQ, None)] + [(CODES, c) for c in r.codes]


def _daily_keys(r: Redemption) -> tuple[str, str]:
    """The counters of today's coupons of ``r``'s promotion: the visitor's, everyone's."""
    return (
        daily_key(r.slot, r.promotion_id, r.day, r.visitor_id),
        daily_key(r.slot, r.promotion_id, r.day),
    )


def today(street: StreetView, r: Redemption) -> Today:
    """Today's coupons of ``r``'s promotion as ``street`` read them (:meth:`Sales.read`)."""
    mine, everyone = (street.fields[(key, None)] for key in _daily_keys(r))
    return Today(int(mine or 0), int(everyone or 0))


def redemption_json(r: Redemption) -> dict[str, Any]:
    return {
        "key": r.key,
        "visitor_id": r.visitor_id,
        "slot": r.slot,
        "promotion_id": r.promotion_id,
        "expected_cost": r.expected_cost,
        "coupon_id": r.coupon_id,
        "codes": list(r.codes),
        "now": r.now,
        "expires_at": r.expires_at,
        "signed_in": r.signed_in,
    }
