"""`srichan owner …` against a real store file and a compiled scene."""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from pathlib import Path

import pytest

from server.store import open_store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.owners import OwnerSession, link_hash, session_hash
from tests.server.booth_fixtures import write_booth_scene
from tools import owner_cmd

LINK = re.compile(r"^http://shop\.example/owner/login#([A-Za-z0-9_-]{43})$", re.M)


@pytest.fixture
def env(tmp_path: Path) -> tuple[str, str]:
    write_booth_scene(tmp_path / "build")
    return f"sqlite:///{tmp_path}/owners.db", str(tmp_path / "build")


def run(env: tuple[str, str], *argv: str) -> int:
    parser = argparse.ArgumentParser()
    owner_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    store, scene = env
    extra = ["--store", store]
    if argv[0] in ("add", "link", "hide", "show"):
        extra += ["--scene-dir", scene]
    if argv[0] in ("add", "link"):
        extra += ["--base-url", "http://shop.example/"]
    args = parser.parse_args(["owner", *argv, *extra])
    return args.func(args)


def sign_in(url: str, token: str, secret: str = "s" * 43) -> OwnerSession:
    async def go() -> OwnerSession:
        store = await open_store(url)
        try:
            now = time.time()
            return await store.sign_in(link_hash(token), session_hash(secret), now + 60, now)
        finally:
            await store.close()

    return asyncio.run(go())


def test_add_gives_a_slot_and_prints_a_link_that_works_once(
    env: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(env, "add", "--slot", "B03", "--shop", "ร้านป้าแดง ชาไทย") == 0
    out = capsys.readouterr().out
    shop_id = re.search(r"shop id: (shop-[0-9a-f]{6})", out).group(1)  # type: ignore[union-attr]
    (token,) = LINK.findall(out)
    assert "Slot B03 now belongs to ร้านป้าแดง ชาไทย" in out
    session = sign_in(env[0], token)
    assert (session.shop_id, session.slots) == (shop_id, ("B03",))
    with pytest.raises(Refused) as caught:
        sign_in(env[0], token, "t" * 43)
    assert caught.value.code == ErrorCode.SIGN_IN_INVALID


def test_a_second_slot_for_the_same_shop_and_a_fresh_link(
    env: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(env, "add", "--slot", "B01", "--shop", "Uncle Som's Noodles") == 0
    shop_id = re.search(r"shop id: (uncle-som-s-noodles-[0-9a-f]{6})", capsys.readouterr().out)
    assert shop_id is not None
    assert run(env, "add", "--slot", "B02", "--shop", "Uncle Som", "--shop-id", shop_id[1]) == 0
    assert "Booths: B01, B02" in capsys.readouterr().out
    assert run(env, "link", "--shop-id", shop_id[1]) == 0
    (token,) = LINK.findall(capsys.readouterr().out)
    assert sign_in(env[0], token).slots == ("B01", "B02")


def test_a_slot_of_another_shop_or_not_in_the_scene_is_refused(
    env: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(env, "add", "--slot", "B01", "--shop", "First", "--shop-id", "first") == 0
    capsys.readouterr()
    assert run(env, "add", "--slot", "B01", "--shop", "Second") == 1
    assert "belongs to shop first" in capsys.readouterr().err
    assert run(env, "add", "--slot", "B42", "--shop", "Nowhere") == 2
    assert "no booth slot 'B42'" in capsys.readouterr().err
    assert run(env, "add", "--slot", "B02", "--shop", "x", "--shop-id", "Bad Id") == 2
    assert run(env, "link", "--shop-id", "nobody") == 1


def test_revoke_ends_sessions_and_frees_the_slot(
    env: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    run(env, "add", "--slot", "B01", "--shop", "ร้านป้าแดง", "--shop-id", "auntie-daeng")
    (token,) = LINK.findall(capsys.readouterr().out)
    sign_in(env[0], token)
    assert run(env, "revoke", "--slot", "B01") == 0
    assert "Revoked auntie-daeng" in capsys.readouterr().out

    async def session_after() -> None:
        store = await open_store(env[0])
        try:
            with pytest.raises(Refused) as caught:
                await store.owner_session(session_hash("s" * 43), time.time())
            assert caught.value.code == ErrorCode.SESSION_INVALID
        finally:
            await store.close()

    asyncio.run(session_after())
    assert run(env, "revoke", "--slot", "B01") == 1, "the slot has no shop any more"
    assert run(env, "add", "--slot", "B01", "--shop", "New shop", "--shop-id", "new-shop") == 0


def test_hide_list_and_audit(env: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    run(env, "add", "--slot", "B01", "--shop", "ร้านป้าแดง", "--shop-id", "auntie-daeng")
    assert run(env, "hide", "--slot", "B01") == 0
    assert "hidden from the street" in capsys.readouterr().out
    assert run(env, "show", "--slot", "B01") == 0
    assert run(env, "list") == 0
    listing = capsys.readouterr().out
    assert re.search(r"auntie-daeng\s+B01\s+active\s+ร้านป้าแดง", listing)
    assert run(env, "audit") == 0
    log = capsys.readouterr().out
    assert [line.split()[4] for line in log.splitlines()] == [
        "grant",
        "sign_in_link",
        "hide",
        "show",
    ]
    assert run(env, "audit", "--after", "2", "--limit", "1") == 0
    assert "hide" in capsys.readouterr().out


def test_an_unreadable_store_or_scene_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 50)
    assert run((f"sqlite:///{junk}", str(tmp_path)), "list") == 2
    assert "junk.db" in capsys.readouterr().err
    assert run((f"sqlite:///{tmp_path}/x.db", str(tmp_path / "none")), "hide", "--slot", "B01") == 2
    assert "srichan scene build" in capsys.readouterr().err
