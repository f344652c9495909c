"""Account links in SQLite: one table, unique both ways (account, identity)."""

from __future__ import annotations

import sqlite3

from server.store.sqlite.database import Database
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.signin.links import AccountLink

_COLUMNS = "issuer, subject, visitor_id, provider, sealed_secret, linked_at"


def _link(row: tuple[str, str, str, str, str, float] | None) -> AccountLink | None:
    return None if row is None else AccountLink(*row)


class SQLiteAccounts(Database):
    """Which account holds which identity."""

    async def account_link(self, visitor_id: str) -> AccountLink | None:
        sql = f"SELECT {_COLUMNS} FROM account_links WHERE visitor_id = ?"
        return await self._call(
            lambda c: _link(c.execute(sql, (visitor_id,)).fetchone()), write=False
        )

    async def account_link_of(self, issuer: str, subject: str) -> AccountLink | None:
        sql = f"SELECT {_COLUMNS} FROM account_links WHERE issuer = ? AND subject = ?"
        return await self._call(
            lambda c: _link(c.execute(sql, (issuer, subject)).fetchone()), write=False
        )

    async def link_account(self, link: AccountLink) -> AccountLink:
        def run(conn: sqlite3.Connection) -> AccountLink:
            by_account = f"SELECT {_COLUMNS} FROM account_links WHERE issuer = ? AND subject = ?"
            held = _link(conn.execute(by_account, (link.issuer, link.subject)).fetchone())
            if held is not None:
                return held
            by_visitor = "SELECT 1 FROM account_links WHERE visitor_id = ?"
            if conn.execute(by_visitor, (link.visitor_id,)).fetchone() is not None:
                raise Refused(
                    ErrorCode.SIGN_IN_IDENTITY_LINKED, "this identity is linked to another account"
                )
            conn.execute(
                f"INSERT INTO account_links ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    link.issuer,
                    link.subject,
                    link.visitor_id,
                    link.provider,
                    link.sealed_secret,
                    link.linked_at,
                ),
            )
            return link

        return await self._call(run, write=True)

    async def unlink_account(self, visitor_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("DELETE FROM account_links WHERE visitor_id = ?", (visitor_id,))
            return cur.rowcount > 0

        return await self._call(run, write=True)
