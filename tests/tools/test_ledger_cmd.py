"""`srichan ledger audit` on a healthy, a tampered and an unreadable store."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from pathlib import Path

import pytest

from server.store import open_store
from srichan_world.world.ledger import CITY_POOL, Transfer, shop_account, visitor_account
from tools import ledger_cmd


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    ledger_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


async def fill(url: str) -> None:
    store = await open_store(url)
    alice = visitor_account("alice-0000001")
    await store.transfer(Transfer("gift-1", CITY_POOL, alice, 30, "gift", 1.0))
    await store.transfer(Transfer("redeem-1", alice, shop_account("B01"), 12, "redeem", 2.0))
    await store.close()


def test_a_healthy_ledger_audits_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/ok.db"
    asyncio.run(fill(url))
    assert run("ledger", "audit", "--store", url) == 0
    out = capsys.readouterr().out
    assert (
        "visitor" in out and "-30" in out and "transfers: 2" in out and out.strip().endswith("OK")
    )


def test_a_tampered_ledger_fails_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/bad.db"
    asyncio.run(fill(url))
    with sqlite3.connect(tmp_path / "bad.db") as conn:
        conn.execute("DELETE FROM transfers WHERE key = 'redeem-1'")
    conn.close()
    assert run("ledger", "audit", "--store", url) == 1
    out = capsys.readouterr().out
    assert "PROBLEM visitor:alice-0000001: stored balance 18 != derived 30" in out
    assert out.strip().endswith("FAILED")


def test_an_unusable_store_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 64)
    assert run("ledger", "audit", "--store", f"sqlite:///{junk}") == 2
    assert "srichan ledger audit:" in capsys.readouterr().err
    assert run("ledger", "audit", "--store", "ftp://nowhere") == 2
    assert "unsupported store URL" in capsys.readouterr().err
