"""Coupons in SQLite: the ``coupons`` table, redemptions paid through the ledger."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import Any

from server.store.base import PAGE_MAX, StoreError, page
from server.store.sqlite.audit import note
from server.store.sqlite.database import Database
from server.store.sqlite.ledger import move, require_visitor
from server.store.sqlite.owners import require_holder
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Text
from srichan_world.world import ledger
from srichan_world.world.coupons import CouponRecord, Redemption, check_redemption
from srichan_world.world.ledger import Transfer, shop_account


class SQLiteCoupons(Database):
    """What visitors buy with tokens, and the shops' checks."""

    async def redeem(self, redemption: Redemption) -> CouponRecord:
        r = redemption
        check_redemption(r)

        def run(conn: sqlite3.Connection) -> CouponRecord:
            row = conn.execute(
                f"SELECT {COUPON_COLUMNS} FROM coupons WHERE visitor_id = ? AND key = ?",
                (r.visitor_id, r.key),
            ).fetchone()
            if row is not None:
                first = coupon_of(row)
                if (first.slot, first.promotion_id) != (r.slot, r.promotion_id):
                    raise Refused(ErrorCode.KEY_CONFLICT, f"key {r.key!r} bought another coupon")
                return first
            require_visitor(conn, r.visitor_id)
            booth = conn.execute(
                "SELECT shop_id FROM booth_slots WHERE slot = ? AND shop_id IS NOT NULL "
                "AND published IS NOT NULL AND hidden = 0",
                (r.slot,),
            ).fetchone()
            if booth is None:
                raise Refused(ErrorCode.UNKNOWN_BOOTH, f"no booth open at {r.slot}")
            shop_id = booth[0]
            promo = conn.execute(
                "SELECT title, cost, coupons, issued, valid_from, valid_to FROM promotions "
                "WHERE slot = ? AND id = ? AND live = 1",
                (r.slot, r.promotion_id),
            ).fetchone()
            if promo is None:
                raise Refused(ErrorCode.UNKNOWN_PROMOTION, f"{r.slot} has no {r.promotion_id!r}")
            title, cost, coupons, issued, valid_from, valid_to = promo
            if r.now < valid_from:
                raise Refused(ErrorCode.PROMOTION_NOT_STARTED, "not yet", retry_at=valid_from)
            if r.now >= valid_to:
                raise Refused(ErrorCode.PROMOTION_ENDED, "this promotion is over")
            if r.expected_cost is not None and r.expected_cost != cost:
                raise Refused(ErrorCode.PROMOTION_CHANGED, f"it now costs {cost} tokens")
            if issued >= coupons:
                raise Refused(ErrorCode.SOLD_OUT, "no coupons left")
            move(
                conn,
                Transfer(
                    r.transfer_key,
                    ledger.visitor_account(r.visitor_id),
                    shop_account(shop_id),
                    cost,
                    f"coupon {r.slot}/{r.promotion_id}",
                    r.now,
                ),
            )
            taken = {
                c
                for (c,) in conn.execute(
                    f"SELECT code FROM coupons WHERE code IN ({','.join('?' * len(r.codes))})",
                    r.codes,
                )
            }
            code = next((c for c in r.codes if c not in taken), None)
            if code is None:
                raise StoreError("every candidate coupon code is taken; offer fresh ones")
            conn.execute(
                "UPDATE promotions SET issued = issued + 1 WHERE slot = ? AND id = ?",
                (r.slot, r.promotion_id),
            )
            conn.execute("UPDATE booth_slots SET version = version + 1 WHERE slot = ?", (r.slot,))
            coupon = CouponRecord(
                coupon_id=r.coupon_id,
                code=code,
                visitor_id=r.visitor_id,
                shop_id=shop_id,
                slot=r.slot,
                promotion_id=r.promotion_id,
                title=text_of(json.loads(title)),
                cost=cost,
                issued_at=r.now,
                expires_at=r.expires_at,
            )
            conn.execute(
                "INSERT INTO coupons (id, code, visitor_id, key, shop_id, slot, promotion_id, "
                "title, cost, transfer_key, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    coupon.coupon_id,
                    code,
                    r.visitor_id,
                    r.key,
                    shop_id,
                    r.slot,
                    r.promotion_id,
                    title,
                    cost,
                    r.transfer_key,
                    r.now,
                    r.expires_at,
                ),
            )
            return coupon

        return await self._call(run, write=True)

    async def coupons_of(self, visitor_id: str) -> tuple[CouponRecord, ...]:
        def run(conn: sqlite3.Connection) -> tuple[CouponRecord, ...]:
            rows = conn.execute(
                f"SELECT {COUPON_COLUMNS} FROM coupons WHERE visitor_id = ? "
                "ORDER BY issued_at DESC, rowid DESC LIMIT ?",
                (visitor_id, PAGE_MAX),
            )
            return tuple(coupon_of(row) for row in rows)

        return await self._call(run, write=False)

    async def redemptions(
        self, slot: str, shop_id: str, *, limit: int = 100
    ) -> tuple[CouponRecord, ...]:
        limit = page(limit)

        def run(conn: sqlite3.Connection) -> tuple[CouponRecord, ...]:
            require_holder(conn, slot, shop_id)
            rows = conn.execute(
                f"SELECT {COUPON_COLUMNS} FROM coupons WHERE slot = ? AND shop_id = ? "
                "ORDER BY issued_at DESC, rowid DESC LIMIT ?",
                (slot, shop_id, limit),
            )
            return tuple(coupon_of(row) for row in rows)

        return await self._call(run, write=False)

    async def verify_coupon(self, code: str, slot: str, shop_id: str, now: float) -> CouponRecord:
        def run(conn: sqlite3.Connection) -> CouponRecord:
            require_holder(conn, slot, shop_id)
            row = conn.execute(
                f"SELECT {COUPON_COLUMNS} FROM coupons WHERE code = ?", (code,)
            ).fetchone()
            if row is None:
                raise Refused(ErrorCode.COUPON_UNKNOWN, "no coupon has this code")
            coupon = coupon_of(row)
            coupon.check_verifiable(slot, shop_id, now)
            conn.execute(
                "UPDATE coupons SET used_at = ? WHERE id = ? AND used_at IS NULL",
                (now, coupon.coupon_id),
            )
            note(conn, shop_account(shop_id), "verify", slot, f"{code} ok", now)
            return replace(coupon, used_at=now)

        return await self._call(run, write=True)


COUPON_COLUMNS = (
    "id, code, visitor_id, shop_id, slot, promotion_id, title, cost, issued_at, expires_at, used_at"
)


def text_of(data: dict[str, str]) -> Text:
    return Text(data["th"], data["en"])


def coupon_of(row: tuple[Any, ...]) -> CouponRecord:
    cid, code, visitor_id, shop_id, slot, promotion_id, title, cost, issued, expires, used = row
    return CouponRecord(
        coupon_id=cid,
        code=code,
        visitor_id=visitor_id,
        shop_id=shop_id,
        slot=slot,
        promotion_id=promotion_id,
        title=text_of(json.loads(title)),
        cost=cost,
        issued_at=issued,
        expires_at=expires,
        used_at=used,
    )
