"""Booths in SQLite: ``booth_slots`` (draft, street copy, version), ``promotions``, photos."""

from __future__ import annotations

import json
import sqlite3

from server.store.sqlite.database import Database
from server.store.sqlite.owners import note, require_holder
from srichan_world.world.booths import (
    BoothConfig,
    BoothRecord,
    Promotion,
    photos_in_use,
    photos_to_drop,
    require_photos,
    text_of,
    to_publish,
)
from srichan_world.world.ledger import shop_account


class SQLiteBooths(Database):
    """The stalls on the street."""

    async def booth(self, slot: str) -> BoothRecord | None:
        return await self._call(lambda c: booth_of(c, slot), write=False)

    async def booths(self) -> tuple[BoothRecord, ...]:
        def run(conn: sqlite3.Connection) -> tuple[BoothRecord, ...]:
            slots = [r[0] for r in conn.execute("SELECT slot FROM booth_slots ORDER BY slot")]
            return tuple(b for slot in slots if (b := booth_of(conn, slot)) is not None)

        return await self._call(run, write=False)

    async def booth_versions(self) -> dict[str, int]:
        return await self._call(
            lambda c: dict(c.execute("SELECT slot, version FROM booth_slots").fetchall()),
            write=False,
        )

    async def save_booth_draft(
        self, slot: str, shop_id: str, draft: BoothConfig, now: float
    ) -> BoothRecord:
        body = json.dumps(draft.to_json(), ensure_ascii=False, sort_keys=True)

        def run(conn: sqlite3.Connection) -> BoothRecord:
            require_holder(conn, slot, shop_id)
            kept = conn.execute("SELECT id FROM booth_images WHERE slot = ?", (slot,))
            require_photos(slot, draft, (r[0] for r in kept))
            conn.execute(
                "UPDATE booth_slots SET draft = ?, updated_at = ? WHERE slot = ?",
                (body, now, slot),
            )
            note(conn, shop_account(shop_id), "save_draft", slot, "", now)
            return require_booth(conn, slot)

        return await self._call(run, write=True)

    async def publish_booth(self, slot: str, shop_id: str, now: float) -> BoothRecord:
        def run(conn: sqlite3.Connection) -> BoothRecord:
            require_holder(conn, slot, shop_id)
            (draft,) = conn.execute(
                "SELECT draft FROM booth_slots WHERE slot = ?", (slot,)
            ).fetchone()
            config = to_publish(None if draft is None else BoothConfig.from_json(json.loads(draft)))
            issued = dict(conn.execute("SELECT id, issued FROM promotions WHERE slot = ?", (slot,)))
            conn.execute("UPDATE promotions SET live = 0 WHERE slot = ?", (slot,))
            for p in config.promotions:
                conn.execute(
                    "INSERT INTO promotions (slot, id, title, cost, coupons, issued, valid_from, "
                    "valid_to, live, per_visitor, daily_stock, requires_sign_in) "
                    "VALUES (?, ?, ?, ?, ?, 0, ?, ?, 1, ?, ?, ?) "
                    "ON CONFLICT (slot, id) DO UPDATE SET title = excluded.title, "
                    "cost = excluded.cost, coupons = excluded.coupons, "
                    "valid_from = excluded.valid_from, valid_to = excluded.valid_to, live = 1, "
                    "per_visitor = excluded.per_visitor, daily_stock = excluded.daily_stock, "
                    "requires_sign_in = excluded.requires_sign_in",
                    (
                        slot,
                        p.id,
                        json_text(p.title.to_json()),
                        p.cost,
                        p.stock(issued.get(p.id, 0)),
                        p.valid_from,
                        p.valid_to,
                        p.per_visitor,
                        p.daily_stock,
                        int(p.requires_sign_in),
                    ),
                )
            conn.execute(
                "UPDATE booth_slots SET published = draft, version = version + 1, "
                "updated_at = ? WHERE slot = ?",
                (now, slot),
            )
            note(conn, shop_account(shop_id), "publish", slot, "", now)
            return require_booth(conn, slot)

        return await self._call(run, write=True)

    async def set_booth_hidden(
        self, slot: str, hidden: bool, actor: str, now: float
    ) -> BoothRecord:
        def run(conn: sqlite3.Connection) -> BoothRecord:
            row = conn.execute("SELECT hidden FROM booth_slots WHERE slot = ?", (slot,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO booth_slots (slot, hidden, version, updated_at) "
                    "VALUES (?, ?, 1, ?)",
                    (slot, int(hidden), now),
                )
            elif bool(row[0]) != hidden:
                conn.execute(
                    "UPDATE booth_slots SET hidden = ?, version = version + 1, updated_at = ? "
                    "WHERE slot = ?",
                    (int(hidden), now, slot),
                )
            if row is None or bool(row[0]) != hidden:
                note(conn, actor, "hide" if hidden else "show", slot, "", now)
            return require_booth(conn, slot)

        return await self._call(run, write=True)

    async def put_image(
        self, slot: str, shop_id: str, image_id: str, content_type: str, data: bytes, now: float
    ) -> None:
        def run(conn: sqlite3.Connection) -> None:
            require_holder(conn, slot, shop_id)
            if conn.execute("SELECT 1 FROM booth_images WHERE id = ?", (image_id,)).fetchone():
                return
            kept = dict(
                conn.execute("SELECT id, created_at FROM booth_images WHERE slot = ?", (slot,))
            )
            drop = photos_to_drop(slot, kept, shown_photos(conn, slot), now)
            conn.executemany("DELETE FROM booth_images WHERE id = ?", [(i,) for i in drop])
            conn.execute(
                "INSERT INTO booth_images (id, slot, content_type, data, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (image_id, slot, content_type, data, now),
            )
            note(conn, shop_account(shop_id), "upload", slot, image_id, now)

        await self._call(run, write=True)

    async def image(self, image_id: str) -> tuple[str, bytes] | None:
        def run(conn: sqlite3.Connection) -> tuple[str, bytes] | None:
            row = conn.execute(
                "SELECT content_type, data FROM booth_images WHERE id = ?", (image_id,)
            ).fetchone()
            return None if row is None else (row[0], bytes(row[1]))

        return await self._call(run, write=False)


def json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def booth_of(conn: sqlite3.Connection, slot: str) -> BoothRecord | None:
    row = conn.execute(
        "SELECT shop_id, draft, published, hidden, version, updated_at FROM booth_slots "
        "WHERE slot = ?",
        (slot,),
    ).fetchone()
    if row is None:
        return None
    shop_id, draft, published, hidden, version, updated_at = row
    issued = dict(
        conn.execute("SELECT id, issued FROM promotions WHERE slot = ? AND live = 1", (slot,))
    )
    return BoothRecord(
        slot=slot,
        shop_id=shop_id,
        draft=None if draft is None else BoothConfig.from_json(json.loads(draft)),
        published=None if published is None else BoothConfig.from_json(json.loads(published)),
        hidden=bool(hidden),
        version=version,
        issued=issued,
        updated_at=updated_at,
        photos=frozenset(
            r[0] for r in conn.execute("SELECT id FROM booth_images WHERE slot = ?", (slot,))
        ),
    )


def live_promotion(conn: sqlite3.Connection, slot: str, promotion_id: str) -> Promotion | None:
    """The slot's published promotion of this id with its stock (the street's terms)."""
    row = conn.execute(
        "SELECT title, cost, coupons, valid_from, valid_to, per_visitor, daily_stock, "
        "requires_sign_in FROM promotions WHERE slot = ? AND id = ? AND live = 1",
        (slot, promotion_id),
    ).fetchone()
    if row is None:
        return None
    title, cost, coupons, valid_from, valid_to, per_visitor, daily_stock, signed_in = row
    return Promotion(
        promotion_id,
        text_of(json.loads(title)),
        cost,
        coupons,
        valid_from,
        valid_to,
        per_visitor,
        daily_stock,
        bool(signed_in),
    )


def require_booth(conn: sqlite3.Connection, slot: str) -> BoothRecord:
    booth = booth_of(conn, slot)
    assert booth is not None, "called after the row was written"
    return booth


def shown_photos(conn: sqlite3.Connection, slot: str) -> frozenset[str]:
    draft, published = conn.execute(
        "SELECT draft, published FROM booth_slots WHERE slot = ?", (slot,)
    ).fetchone()
    configs = (
        None if b is None else BoothConfig.from_json(json.loads(b)) for b in (draft, published)
    )
    return photos_in_use(*configs)
