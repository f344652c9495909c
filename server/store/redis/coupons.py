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
    HASH,
    KEYS,
    LEGS,
    OUT,
    booth_coupons_key,
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
from srichan_world.scene.model import Text
from srichan_world.world.booths import Promotion
from srichan_world.world.coupons import CouponRecord, Redemption, check_redemption
from srichan_world.world.ledger import Transfer, shop_account, visitor_account

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
    return CouponRecord(
        **{name: held[name] for name in COUPON_FIELDS}, title=Text(title["th"], title["en"])
    )


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
    async def redeem(self, redemption: Redemption) -> CouponRecord:
        r = redemption
        check_redemption(r)
        rid = redemption_id(r.visitor_id, r.key)
        async with self._conn.turns(r.visitor_id):
            registered, street = await asyncio.gather(
                self._conn.redis.hexists(visitor_keys(r.visitor_id)[HASH - 1], "secret"),
                self._street.read(slots=[r.slot], fields=[(COUPONS, rid)]),
            )
            held = street.fields[(COUPONS, rid)]
            if held is not None:
                return same_redemption(coupon_from(held), r)
            if not registered:
                raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")
            cost, shop_id = sale(street, r)
            payment = Transfer(
                r.transfer_key,
                visitor_account(r.visitor_id),
                shop_account(shop_id),
                cost,
                f"coupon {r.slot}/{r.promotion_id}",
                r.now,
            )
            leg = f"dr:{payment.key}"
            item_id = f"c:{rid}"
            item = {
                "kind": "C",
                "attempt": uuid.uuid4().hex,
                "redemption": redemption_json(r),
                "movement": movement(payment, debit_here=False, leg=leg),
            }
            keys = visitor_keys(r.visitor_id)
            status, detail = await self._conn.scripts.debit(
                [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
                [leg, f"cr:{payment.key}", cost, item_id, dumps(item)],
            )
            if status == "short":
                raise Refused(ErrorCode.INSUFFICIENT_TOKENS, f"this coupon costs {cost} tokens")
            if status == "conflict":
                raise Refused(ErrorCode.KEY_CONFLICT, f"key {r.key!r} was used for a transfer")
            if status == "done":
                held = await self._conn.redis.hget(COUPONS, rid)
                if held is None:
                    raise StoreError(f"redemption {rid} was paid but its coupon is missing")
                return same_redemption(coupon_from(held), r)
            if status == "pending" and detail:
                item = json.loads(detail)
                queued = item["redemption"]
                if (queued["slot"], queued["promotion_id"]) != (r.slot, r.promotion_id):
                    raise Refused(ErrorCode.KEY_CONFLICT, f"key {r.key!r} bought another coupon")
            return await self._sales.confirm(r.visitor_id, item_id, item)

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
            changes.hset(COUPONS, rid, json.loads(held) | {"used_at": now})  # type: ignore[arg-type]
            changes.note(shop_account(shop_id), "verify", slot, f"{code} ok", now)
            return changes, replace(coupon, used_at=now)

        return (await self._street.change(decide, fields=reads))[0]


class Sales:
    """The street's decision on paid redemptions: once per redemption and attempt."""

    def __init__(self, conn: Connection, street: Street) -> None:
        self._conn = conn
        self._street = street

    async def confirm(self, visitor_id: str, item_id: str, item: dict[str, Any]) -> CouponRecord:
        """The street's decision on a paid redemption attempt, once; then give the debit back
        (refused) or mark it done (issued). Also how ``settle`` finishes one cut off."""
        queued = item["redemption"]
        r = Redemption(**(queued | {"codes": tuple(queued["codes"])}))
        rid = redemption_id(r.visitor_id, r.key)
        attempt = item["attempt"]
        payment = item["movement"]
        cost = payment["amount"]
        decided = refusal_key(rid, attempt)

        def decide(street: StreetView) -> tuple[Changes, tuple[str, Any]]:
            changes = Changes()
            held = street.fields[(COUPONS, rid)]
            if held is not None:
                return changes, ("issued", coupon_from(held))
            refused = street.fields[(decided, None)]
            if refused is not None:
                return changes, ("refused", json.loads(refused))
            try:
                sale(street, r, paid=cost)
            except Refused as refusal:
                why = refusal.refusal
                reason = {"code": int(why.code), "detail": why.detail, "retry_at": why.retry_at}
                changes.setex(decided, REFUSAL_TTL_S, reason)
                return changes, ("refused", reason)
            code = next((c for c in r.codes if street.fields[(CODES, c)] is None), None)
            if code is None:
                reason = {"code": None, "detail": "every candidate coupon code is taken"}
                changes.setex(decided, REFUSAL_TTL_S, reason)
                return changes, ("refused", reason)
            shop_id = street.booths[r.slot]["shop_id"]
            promotion = street.promotions[r.slot][r.promotion_id]
            seq = int(street.fields[(COUPON_SEQ, None)] or 0) + 1
            title = promotion["title"]
            coupon = CouponRecord(
                coupon_id=r.coupon_id,
                code=code,
                visitor_id=r.visitor_id,
                shop_id=shop_id,
                slot=r.slot,
                promotion_id=r.promotion_id,
                title=Text(title["th"], title["en"]),
                cost=cost,
                issued_at=r.now,
                expires_at=r.expires_at,
            )
            changes.hset(COUPONS, rid, coupon_json(coupon, seq, r.transfer_key))
            changes.hset(CODES, code, rid)
            changes.set(COUPON_SEQ, seq)
            changes.hset(visitor_coupons_key(r.visitor_id), rid, str(seq))
            changes.hset(booth_coupons_key(r.slot), rid, str(seq))
            sold = promotion | {"issued": promotion["issued"] + 1}
            changes.hset(promotions_key(r.slot), r.promotion_id, sold)
            changes.hincrby(BOOTH_VERSIONS, r.slot, 1)
            changes.items.append(payment)
            return changes, ("issued", coupon)

        reads = [(COUPONS, rid), (decided, None), (COUPON_SEQ, None)]
        reads += [(CODES, c) for c in r.codes]
        (outcome, detail), posted = await self._street.change(decide, slots=[r.slot], fields=reads)
        keys = visitor_keys(visitor_id)
        if outcome == "refused":
            await self._conn.scripts.refund(
                [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
                [payment["leg"], cost, item_id, dumps(item)],
            )
            if detail["code"] is None:
                raise StoreError(f"{detail['detail']}; offer fresh ones")
            raise Refused(ErrorCode(detail["code"]), detail["detail"], detail.get("retry_at"))
        seq = posted[0][1] if posted else await self._conn.redis.hget(KEYS, payment["key"])
        await self._conn.scripts.ack(
            [keys[LEGS - 1], keys[OUT - 1]], [1, payment["leg"], str(seq), item_id]
        )
        return detail


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
    }


def same_redemption(coupon: CouponRecord, r: Redemption) -> CouponRecord:
    """The first coupon bought under this key, or ``KEY_CONFLICT`` if it bought another."""
    if (coupon.slot, coupon.promotion_id) != (r.slot, r.promotion_id):
        raise Refused(ErrorCode.KEY_CONFLICT, f"key {r.key!r} bought another coupon")
    return coupon


def sale(street: StreetView, r: Redemption, *, paid: int | None = None) -> tuple[int, str]:
    """The booth's rules for selling one coupon now: ``(cost, shop id)`` or ``Refused``.
    ``paid`` is what the visitor's debit took; a different current cost is a change."""
    record = street.record(r.slot)
    if record is None or record.on_street is None or record.shop_id is None:
        raise Refused(ErrorCode.UNKNOWN_BOOTH, f"no booth open at {r.slot}")
    row = street.promotions.get(r.slot, {}).get(r.promotion_id)
    if row is None or not row["live"]:
        raise Refused(ErrorCode.UNKNOWN_PROMOTION, f"{r.slot} has no {r.promotion_id!r}")
    title = row["title"]
    promotion = Promotion(
        r.promotion_id,
        Text(title["th"], title["en"]),
        row["cost"],
        row["coupons"],
        row["valid_from"],
        row["valid_to"],
    )
    window = promotion.window_refusal(r.now)
    if window == "not_started":
        raise Refused(ErrorCode.PROMOTION_NOT_STARTED, "not yet", retry_at=promotion.valid_from)
    if window == "ended":
        raise Refused(ErrorCode.PROMOTION_ENDED, "this promotion is over")
    for seen in (r.expected_cost, paid):
        if seen is not None and seen != promotion.cost:
            raise Refused(ErrorCode.PROMOTION_CHANGED, f"it now costs {promotion.cost} tokens")
    if record.left(promotion) <= 0:
        raise Refused(ErrorCode.SOLD_OUT, "no coupons left")
    return promotion.cost, record.shop_id
