"""`srichan visitor export|delete` and `srichan retention purge`, the real commands on a real
SQLite file and a real redis-server: the export holds the Thai name and the ledger, the
deletion leaves `srichan ledger audit` OK and tells every process (Redis) to close the
visitor's sessions, and a second deletion or an unknown id harms nothing."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from server.store import open_store
from tests.server.store.test_contract_privacy import ALICE, BOB, live, street
from tools import cli, redis_servers


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/store.db"
        return
    reason = redis_servers.available()
    if reason is not None:
        pytest.skip(reason)
    server = redis_servers.start_server(tmp_path / "redis")
    yield server.url
    server.stop()


async def fill(url: str) -> None:
    store = await open_store(url)
    try:
        await street(store)
        await live(store, ALICE, 1)
        await live(store, BOB, 2)
    finally:
        await store.close()


def test_export_delete_and_the_audit_stays_ok(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(fill(url))
    out = tmp_path / "alice.json"
    assert cli.main(["visitor", "export", ALICE, "--out", str(out), "--store", url]) == 0
    text = out.read_text(encoding="utf-8")
    assert "ป้าคำ ศรีจันทร์" in text, "Thai as written, not escaped"
    doc = json.loads(text)
    assert doc["found"] and doc["ledger"]["entries"] and doc["ledger"]["balance"] > 0

    heard: list[str] = []
    listener = None
    if url.startswith("redis"):
        listener = redis.Redis.from_url(url, decode_responses=True).pubsub()
        listener.subscribe("srichan:moderation")
        listener.get_message(timeout=1)
    capsys.readouterr()
    assert cli.main(["visitor", "delete", ALICE, "--yes", "--store", url]) == 0
    said = capsys.readouterr().out
    assert "erased-" in said and "ledger" in said
    if listener is not None:
        message = listener.get_message(timeout=2)
        heard.append(message["data"] if message else "")
        assert json.loads(heard[0]) == {"erased": ALICE}
        listener.close()

    assert cli.main(["ledger", "audit", "--store", url]) == 0
    assert capsys.readouterr().out.strip().endswith("OK")
    assert cli.main(["visitor", "export", ALICE, "--store", url]) == 1
    assert cli.main(["visitor", "delete", ALICE, "--yes", "--store", url]) == 1
    assert cli.main(["visitor", "delete", "nobody-00000", "--yes", "--store", url]) == 1
    assert cli.main(["ledger", "audit", "--store", url]) == 0
    assert cli.main(["visitor", "export", BOB, "--store", url]) == 0
    assert "ลุงสม" in capsys.readouterr().out
    assert cli.main(["retention", "purge", "--store", url]) == 0
    assert "Removed 0 statements and 0 closed reports." in capsys.readouterr().out


def test_a_deletion_not_confirmed_erases_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    asyncio.run(fill(url))
    monkeypatch.setattr("sys.stdin", io.StringIO("bob-000000002\n"))
    assert cli.main(["visitor", "delete", ALICE, "--store", url]) == 1
    assert "nothing was erased" in capsys.readouterr().err
    assert cli.main(["visitor", "export", ALICE, "--store", url]) == 0
    assert cli.main(["visitor", "export", "--store", url]) == 2
    assert cli.main(["retention", "purge", "--statements-days", "3", "--store", url]) == 2
