"""Open Badges in SQLite: ``badge_keys`` (oldest first), ``badges`` (one per visitor and
achievement), and ``badge_status_seq`` handing out revocation-list indexes."""

from __future__ import annotations

import sqlite3
from typing import Any

from server.store.sqlite.database import Database
from server.store.sqlite.learning import keep_statement
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.badges.jose import SigningKey
from srichan_world.world.badges.records import IssuedBadge, checked_index

_COLUMNS = "id, visitor_id, achievement_id, kind, issued_at, status_index, token, revoked_at"


def _badge(row: Any) -> IssuedBadge:
    return IssuedBadge(*row)


def _keys(conn: sqlite3.Connection) -> tuple[SigningKey, ...]:
    rows = conn.execute("SELECT kid, private_jwk, created_at FROM badge_keys ORDER BY seq")
    return tuple(SigningKey(*row) for row in rows)


class SQLiteBadges(Database):
    async def signing_keys(self) -> tuple[SigningKey, ...]:
        return await self._call(_keys, write=False)

    async def add_signing_key(self, key: SigningKey) -> tuple[SigningKey, ...]:
        def run(conn: sqlite3.Connection) -> tuple[SigningKey, ...]:
            conn.execute(
                "INSERT INTO badge_keys (kid, private_jwk, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (kid) DO NOTHING",
                (key.kid, key.private_jwk, key.created_at),
            )
            return _keys(conn)

        return await self._call(run, write=True)

    async def next_status_index(self) -> int:
        def run(conn: sqlite3.Connection) -> int:
            seq = conn.execute("INSERT INTO badge_status_seq DEFAULT VALUES").lastrowid
            assert seq is not None
            return checked_index(seq - 1)

        return await self._call(run, write=True)

    async def issue_badge(self, badge: IssuedBadge) -> IssuedBadge:
        def run(conn: sqlite3.Connection) -> IssuedBadge:
            conn.execute(
                f"INSERT INTO badges ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) "
                "ON CONFLICT (visitor_id, achievement_id) DO NOTHING",
                (
                    badge.credential_id,
                    badge.visitor_id,
                    badge.achievement_id,
                    badge.kind,
                    badge.issued_at,
                    badge.status_index,
                    badge.token,
                ),
            )
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM badges WHERE visitor_id = ? AND achievement_id = ?",
                (badge.visitor_id, badge.achievement_id),
            ).fetchone()
            return _badge(row)

        return await self._call(run, write=True)

    async def badges_of(self, visitor_id: str) -> tuple[IssuedBadge, ...]:
        def run(conn: sqlite3.Connection) -> tuple[IssuedBadge, ...]:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM badges WHERE visitor_id = ? ORDER BY issued_at DESC, id",
                (visitor_id,),
            )
            return tuple(_badge(r) for r in rows)

        return await self._call(run, write=False)

    async def badge(self, credential_id: str) -> IssuedBadge | None:
        def run(conn: sqlite3.Connection) -> IssuedBadge | None:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM badges WHERE id = ?", (credential_id,)
            ).fetchone()
            return None if row is None else _badge(row)

        return await self._call(run, write=False)

    async def revoke_badge(self, credential_id: str, now: float) -> IssuedBadge:
        def run(conn: sqlite3.Connection) -> IssuedBadge:
            conn.execute(
                "UPDATE badges SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                (now, credential_id),
            )
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM badges WHERE id = ?", (credential_id,)
            ).fetchone()
            if row is None:
                raise Refused(ErrorCode.UNKNOWN_BADGE, f"no badge {credential_id!r}")
            return _badge(row)

        return await self._call(run, write=True)

    async def revoked_indexes(self) -> tuple[int, ...]:
        def run(conn: sqlite3.Connection) -> tuple[int, ...]:
            rows = conn.execute(
                "SELECT status_index FROM badges WHERE revoked_at IS NOT NULL ORDER BY 1"
            )
            return tuple(r[0] for r in rows)

        return await self._call(run, write=False)

    async def keep_statement(self, statement: dict[str, Any], now: float) -> None:
        def run(conn: sqlite3.Connection) -> None:
            keep_statement(conn, statement, now)

        await self._call(run, write=True)
