"""Coupons in SQLite: the ``coupons`` table, redemptions paid through the ledger."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from typing import Any

from server.store.base import PAGE_MAX, StoreError, page
from server.store.sqlite.booths import booth_of, json_text, live_promotion
from server.store.sqlite.database import Database
from server.store.sqlite.ledger import balance_of, move, secret_hash_of
from server.store.sqlite.owners import note, require_holder
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.booths import text_of
from srichan_world.world.coupons import (
    CouponRecord,
    Redeemed,
    Redemption,
    Today,
    check_redemption,
)
from srichan_world.world.ledger import shop_account, visitor_account
from srichan_world.world.periods import next_day_at
from srichan_world.world.visitors import check_credentials, require_secret


class SQLiteCoupons(Database):
    """What visitors buy with tokens, and the shops' checks."""

    async def redeem(self, redemption: Redemption, secret: str) -> Redeemed:
        r = redemption
        check_redemption(r)
        check_credentials(r.visitor_id, secret)

        def run(conn: sqlite3.Connection) -> Redeemed:
            require_secret(secret, secret_hash_of(conn, r.visitor_id))
            account = visitor_account(r.visitor_id)
            row = conn.execute(
                f"SELECT {COUPON_COLUMNS} FROM coupons WHERE visitor_id = ? AND key = ?",
                (r.visitor_id, r.key),
            ).fetchone()
            booth = booth_of(conn, r.slot)
            if row is not None:
                first = r.same(coupon_of(row))
                assert booth is not None, "slots are never deleted"
                return Redeemed(first, balance_of(conn, account), booth)
            sale = r.sale(booth, live_promotion(conn, r.slot, r.promotion_id), today=today(conn, r))
            move(conn, r.payment(sale))
            marks = ",".join("?" * len(r.codes))
            taken = {
                c
                for (c,) in conn.execute(
                    f"SELECT code FROM coupons WHERE code IN ({marks})", r.codes
                )
            }
            code = r.code(taken)
            if code is None:
                raise StoreError("every candidate coupon code is taken; offer fresh ones")
            conn.execute(
                "UPDATE promotions SET issued = issued + 1 WHERE slot = ? AND id = ?",
                (r.slot, r.promotion_id),
            )
            conn.execute("UPDATE booth_slots SET version = version + 1 WHERE slot = ?", (r.slot,))
            coupon = r.coupon(sale, code)
            conn.execute(
                "INSERT INTO coupons (id, code, visitor_id, key, shop_id, slot, promotion_id, "
                "title, cost, transfer_key, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    coupon.coupon_id,
                    code,
                    r.visitor_id,
                    r.key,
                    coupon.shop_id,
                    r.slot,
                    r.promotion_id,
                    json_text(coupon.title.to_json()),
                    coupon.cost,
                    r.transfer_key,
                    r.now,
                    r.expires_at,
                ),
            )
            assert booth is not None, "the sale found it"
            return Redeemed(coupon, balance_of(conn, account), booth.sold(r.promotion_id))

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


def today(conn: sqlite3.Connection, r: Redemption) -> Today:
    """The promotion's coupons issued this Bangkok day: to ``r``'s visitor, and in all."""
    end = next_day_at(r.now)  # Bangkok keeps no daylight saving: every day is 86,400 s
    mine, everyone = conn.execute(
        "SELECT COALESCE(SUM(visitor_id = ?), 0), COUNT(*) FROM coupons "
        "WHERE slot = ? AND promotion_id = ? AND issued_at >= ? AND issued_at < ?",
        (r.visitor_id, r.slot, r.promotion_id, end - 86_400, end),
    ).fetchone()
    return Today(mine, everyone)


COUPON_COLUMNS = (
    "id, code, visitor_id, shop_id, slot, promotion_id, title, cost, issued_at, expires_at, used_at"
)


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
