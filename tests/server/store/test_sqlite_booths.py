"""What is particular to the SQLite store's booth tables: migration, secrets on disk, audit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from server.store.sqlite.schema import MIGRATIONS
from server.store.sqlite.store import SQLiteStore
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from srichan_world.world.owners import link_hash, session_hash
from tests.server.store.conftest import SECRET, buy
from tests.world.booth_fixtures import T0, config, redemption

ALICE = "alice-0000001"
SHOP = "auntie-daeng"
LINK = "Link-secret_" * 4
SESSION = "Session-secret_" * 4


async def test_a_version_1_database_gains_the_booth_tables_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)"
        )
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (1, 0)")
        conn.execute("INSERT INTO visitors VALUES (?, 'hash', 'แก่น', ?)", (ALICE, T0))
    conn.close()
    store = await SQLiteStore.open(path)
    try:
        assert (await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)).slots == ("B01",)
        versions = await store._call(
            lambda c: [v for (v,) in c.execute("SELECT version FROM schema_migrations")],
            write=False,
        )
        assert versions == list(range(1, len(MIGRATIONS) + 1))
        nick = await store._call(
            lambda c: c.execute("SELECT nickname FROM visitors").fetchone()[0], write=False
        )
        assert nick == "แก่น"
    finally:
        await store.close()


async def test_only_hashes_of_links_and_sessions_reach_the_disk(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "s.db")
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.issue_sign_in(SHOP, link_hash(LINK), T0 + 100, T0)
    await store.sign_in(link_hash(LINK), session_hash(SESSION), T0 + 100, T0)
    await store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert SHOP.encode() in raw and session_hash(SESSION).encode() in raw
    assert LINK.encode() not in raw and SESSION.encode() not in raw


async def test_the_audit_notices_a_coupon_without_its_payment(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await SQLiteStore.open(path)
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.save_booth_draft("B01", SHOP, config(), T0)
    await store.publish_booth("B01", SHOP, T0)
    await store.register_visitor(ALICE, SECRET, T0)
    await store.transfer(Transfer("gift", CITY_POOL, visitor_account(ALICE), 100, "gift", T0))
    coupon = await buy(store, redemption(ALICE, "key-00001"))
    assert (await store.audit()).ok
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE coupons SET cost = 1")
        conn.execute("UPDATE promotions SET issued = 0")
    conn.close()
    store = await SQLiteStore.open(path)
    try:
        problems = "\n".join((await store.audit()).problems)
        assert f"coupon {coupon.code} has no matching transfer" in problems
        assert "promotion B01/free0tea says 0 issued but 1 coupons exist" in problems
    finally:
        await store.close()
