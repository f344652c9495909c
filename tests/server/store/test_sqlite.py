"""What is particular to the SQLite store: URLs, pragmas, migrations, what lands on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server.store import StoreError, open_store
from server.store.audit import audit_report
from server.store.sqlite.schema import MIGRATIONS
from server.store.sqlite.store import SQLiteStore
from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account
from tests.server.store.conftest import SECRET, T0, make_answer, record_answer

ALICE = "alice-0000001"


async def test_urls_name_relative_and_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = await open_store("sqlite:///var/data/srichan.db")
    absolute = await open_store(f"sqlite:///{tmp_path}/abs.db")
    try:
        assert isinstance(relative, SQLiteStore) and isinstance(absolute, SQLiteStore)
        assert (tmp_path / "var" / "data" / "srichan.db").is_file(), "directories are created"
        assert (tmp_path / "abs.db").is_file()
    finally:
        await relative.close()
        await absolute.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memcached://127.0.0.1:11211", "unsupported store URL scheme 'memcached'"),
        ("postgres://db/x", "unsupported"),
        ("/just/a/path.db", "unsupported"),
        ("sqlite:///", "must name a file"),
    ],
)
async def test_bad_urls_are_refused_clearly(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        await open_store(url)


async def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must name a file"):
        await open_store(f"sqlite:///{tmp_path}")


async def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk\.db"):
        await open_store(f"sqlite:///{junk}")


async def test_wal_and_full_synchronous_are_on(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "s.db")
    try:
        pragmas = await store._call(
            lambda c: (
                c.execute("PRAGMA journal_mode").fetchone()[0],
                c.execute("PRAGMA synchronous").fetchone()[0],
                c.execute("PRAGMA foreign_keys").fetchone()[0],
            ),
            write=False,
        )
        assert pragmas == ("wal", 2, 1)  # 2 = FULL
    finally:
        await store.close()


async def test_migrations_apply_once_and_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    for _ in range(2):
        store = await SQLiteStore.open(path)
        await store.close()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
        assert rows == [(v,) for v in range(1, len(MIGRATIONS) + 1)]
        conn.execute("INSERT INTO schema_migrations VALUES (?, 0)", (len(MIGRATIONS) + 1,))
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        await SQLiteStore.open(path)


async def test_only_a_hash_of_the_secret_reaches_the_disk(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await SQLiteStore.open(path)
    await store.register_visitor(ALICE, SECRET, T0)
    await store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert ALICE.encode() in raw
    assert SECRET.encode() not in raw


async def test_the_database_itself_refuses_a_negative_visitor_balance(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "s.db")
    try:
        await store.transfer(Transfer("k", CITY_POOL, visitor_account(ALICE), 5, "gift", T0))
        with pytest.raises(StoreError, match="CHECK constraint"):
            await store._call(
                lambda c: c.execute(
                    "UPDATE accounts SET balance = -1 WHERE id = ?", (visitor_account(ALICE),)
                ),
                write=True,
            )
        assert await store.balance(visitor_account(ALICE)) == 5
    finally:
        await store.close()


async def test_the_audit_catches_tampering_behind_the_stores_back(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await SQLiteStore.open(path)
    await store.register_visitor(ALICE, SECRET, T0)
    await record_answer(store, make_answer(ALICE, "a1"), 500)
    report = await audit_report(store)
    assert report.ok and report.table().endswith("OK")
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE accounts SET balance = balance + 7 WHERE id LIKE 'visitor:%'")
        conn.execute("UPDATE earnings SET tokens = 99 WHERE period = 'all'")
    conn.close()
    store = await SQLiteStore.open(path)
    try:
        report = await audit_report(store)
        problems = "\n".join(report.problems)
        assert "stored balance 17 != derived 10" in problems
        assert "sum to 7" in problems
        assert "awards total 10 but learning earnings say 99" in problems
        assert report.table().endswith("FAILED")
    finally:
        await store.close()


async def test_the_audit_notices_an_award_without_its_transfer(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = await SQLiteStore.open(path)
    await store.register_visitor(ALICE, SECRET, T0)
    await record_answer(store, make_answer(ALICE, "a1"), 500)
    await store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE awards SET transfer_key = 'nowhere'")
    conn.close()
    store = await SQLiteStore.open(path)
    try:
        report = await store.audit()
        assert any("has no matching transfer" in p for p in report.problems), report.problems
    finally:
        await store.close()


async def test_durability_cannot_be_switched_off(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous must be one of"):
        await SQLiteStore.open(tmp_path / "s.db", synchronous="OFF")
    assert not (tmp_path / "s.db").exists()
