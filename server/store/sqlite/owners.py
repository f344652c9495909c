"""Shops and their owners in SQLite: ``shops``, slot holders, sign-in links and sessions."""

from __future__ import annotations

import sqlite3

from server.store.sqlite.database import Database
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import owners as rules
from srichan_world.world.ledger import shop_account
from srichan_world.world.owners import Owner, OwnerSession


class SQLiteOwners(Database):
    """Which shop holds which slot, and its owner's sign-in."""

    async def grant_slot(self, slot: str, shop_id: str, shop_name: str, now: float) -> Owner:
        name = rules.checked_grant(slot, shop_id, shop_name)

        def run(conn: sqlite3.Connection) -> Owner:
            row = conn.execute("SELECT shop_id FROM booth_slots WHERE slot = ?", (slot,)).fetchone()
            changes = rules.grants(slot, shop_id, None if row is None else row[0])
            conn.execute(
                "INSERT INTO shops (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET name = excluded.name, revoked_at = NULL",
                (shop_id, name, now),
            )
            if row is None:
                conn.execute(
                    "INSERT INTO booth_slots (slot, shop_id, version, updated_at) "
                    "VALUES (?, ?, 0, ?)",
                    (slot, shop_id, now),
                )
            elif changes:
                conn.execute(
                    "UPDATE booth_slots SET shop_id = ?, updated_at = ? WHERE slot = ?",
                    (shop_id, now, slot),
                )
            if changes:
                note(conn, "admin", "grant", slot, f"{shop_id} {name}", now)
            return owner_of(conn, shop_id)

        return await self._call(run, write=True)

    async def issue_sign_in(
        self, shop_id: str, link_hash: str, expires_at: float, now: float
    ) -> None:
        def run(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT revoked_at FROM shops WHERE id = ?", (shop_id,)).fetchone()
            rules.require_active(shop_id, row is not None and row[0] is None)
            conn.execute(
                "INSERT INTO sign_in_links (hash, shop_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (link_hash, shop_id, now, expires_at),
            )
            note(conn, "admin", "sign_in_link", None, shop_id, now)

        await self._call(run, write=True)

    async def sign_in(
        self, link_hash: str, session_hash: str, expires_at: float, now: float
    ) -> OwnerSession:
        def run(conn: sqlite3.Connection) -> OwnerSession:
            row = conn.execute(
                "SELECT l.shop_id, l.expires_at, s.revoked_at FROM sign_in_links AS l "
                "JOIN shops AS s ON s.id = l.shop_id WHERE l.hash = ?",
                (link_hash,),
            ).fetchone()
            shop_id, link_expires, revoked_at = row or ("", None, None)
            rules.require_link(link_expires, revoked_at is None, now)
            conn.execute(
                "DELETE FROM sign_in_links WHERE hash = ? OR expires_at <= ?", (link_hash, now)
            )
            conn.execute("DELETE FROM owner_sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO owner_sessions (hash, shop_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (session_hash, shop_id, now, expires_at),
            )
            note(conn, shop_account(shop_id), "sign_in", None, "", now)
            return session_of(conn, shop_id, expires_at)

        return await self._call(run, write=True)

    async def owner_session(self, session_hash: str, now: float) -> OwnerSession:
        def run(conn: sqlite3.Connection) -> OwnerSession:
            row = conn.execute(
                "SELECT o.shop_id, o.expires_at, s.revoked_at FROM owner_sessions AS o "
                "JOIN shops AS s ON s.id = o.shop_id WHERE o.hash = ?",
                (session_hash,),
            ).fetchone()
            shop_id, session_expires, revoked_at = row or ("", None, None)
            until = rules.require_session(session_expires, revoked_at is None, now)
            return session_of(conn, shop_id, until)

        return await self._call(run, write=False)

    async def end_session(self, session_hash: str) -> None:
        await self._call(
            lambda c: c.execute("DELETE FROM owner_sessions WHERE hash = ?", (session_hash,)),
            write=True,
        )

    async def revoke_shop(self, shop_id: str, now: float) -> tuple[str, ...]:
        def run(conn: sqlite3.Connection) -> tuple[str, ...]:
            row = conn.execute("SELECT revoked_at FROM shops WHERE id = ?", (shop_id,)).fetchone()
            if row is None:
                raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"no shop {shop_id!r}")
            slots = slots_of(conn, shop_id)
            conn.execute("DELETE FROM owner_sessions WHERE shop_id = ?", (shop_id,))
            conn.execute("DELETE FROM sign_in_links WHERE shop_id = ?", (shop_id,))
            for slot in slots:
                conn.execute("DELETE FROM promotions WHERE slot = ?", (slot,))
                conn.execute("DELETE FROM booth_images WHERE slot = ?", (slot,))
                conn.execute(
                    "UPDATE booth_slots SET shop_id = NULL, draft = NULL, published = NULL, "
                    "hidden = 0, version = version + 1, updated_at = ? WHERE slot = ?",
                    (now, slot),
                )
            if row[0] is None:
                conn.execute("UPDATE shops SET revoked_at = ? WHERE id = ?", (now, shop_id))
                note(conn, "admin", "revoke", None, f"{shop_id} {' '.join(slots)}".strip(), now)
            return slots

        return await self._call(run, write=True)

    async def owners(self) -> tuple[Owner, ...]:
        def run(conn: sqlite3.Connection) -> tuple[Owner, ...]:
            ids = [r[0] for r in conn.execute("SELECT id FROM shops ORDER BY id")]
            return tuple(owner_of(conn, shop_id) for shop_id in ids)

        return await self._call(run, write=False)


def slots_of(conn: sqlite3.Connection, shop_id: str) -> tuple[str, ...]:
    rows = conn.execute("SELECT slot FROM booth_slots WHERE shop_id = ? ORDER BY slot", (shop_id,))
    return tuple(r[0] for r in rows)


def owner_of(conn: sqlite3.Connection, shop_id: str) -> Owner:
    name, created_at, revoked_at = conn.execute(
        "SELECT name, created_at, revoked_at FROM shops WHERE id = ?", (shop_id,)
    ).fetchone()
    return Owner(shop_id, name, slots_of(conn, shop_id), created_at, revoked_at)


def session_of(conn: sqlite3.Connection, shop_id: str, expires_at: float) -> OwnerSession:
    (name,) = conn.execute("SELECT name FROM shops WHERE id = ?", (shop_id,)).fetchone()
    return OwnerSession(shop_id, name, slots_of(conn, shop_id), expires_at)


def require_holder(conn: sqlite3.Connection, slot: str, shop_id: str) -> None:
    row = conn.execute(
        "SELECT b.shop_id, s.revoked_at FROM booth_slots AS b "
        "JOIN shops AS s ON s.id = b.shop_id WHERE b.slot = ?",
        (slot,),
    ).fetchone()
    holder, revoked_at = row or (None, None)
    rules.require_holder(slot, shop_id, holder, revoked_at is None)


def note(
    conn: sqlite3.Connection, actor: str, action: str, slot: str | None, detail: str, now: float
) -> None:
    conn.execute(
        "INSERT INTO owner_actions (at, actor, action, slot, detail) VALUES (?, ?, ?, ?, ?)",
        (now, actor, action, slot, detail),
    )
