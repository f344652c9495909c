"""The inclusion figures end to end: visitors on the Python client send ``usage`` to the real
app on a loopback port (SQLite and a real redis-server), an analyst reads the shares over
HTTP. The crowd is scripted so every share is known, and so are the suppressed ones."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import msgpack
import pytest

from server.ws.client import Closed, PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import Error, WalletGet
from srichan_world.protocol.usage_messages import UsageMsg
from srichan_world.world.figures import day_of
from tests.server.learning_fixtures import Street, Walker, open_street, visitor
from tests.server.test_figures_crowd import figures_as_analyst
from tools import redis_servers


def usage_of(n: int, lang: str | None = None) -> UsageMsg:
    """Visitor ``n``'s settings: 1-5 list mode, 1-3 larger text, 1-8 Thai (9-14 English),
    1-6 phones, 7-11 desktops, 12-14 tablets; nobody had text read aloud."""
    device = "phone" if n <= 6 else "desktop" if n <= 11 else "tablet"
    return UsageMsg(n <= 5, lang or ("th" if n <= 8 else "en"), n <= 3, False, device)


async def crowd(street: Street) -> None:
    walkers = [await Walker.join(street.url, f"คน{n}", *visitor(n)) for n in range(1, 15)]
    for n, me in enumerate(walkers, 1):
        await me.client.send(usage_of(n))
    await walkers[1].client.send(usage_of(2))  # the same again: counted once
    await walkers[0].client.send(usage_of(1, "en"))  # switched language: counted under both
    again = await Walker.join(street.url, "คน3", *visitor(3))  # a second tab: the same visitor
    await again.client.send(usage_of(3))
    for me in [*walkers, again]:
        await me.client.request(WalletGet())  # queued after the usages: they were handled
        assert not [m for m in me.client.inbox if isinstance(m, Error)], me.client.inbox
        await me.close()


async def written(street: Street, visitors: int) -> None:
    """Wait until the store holds ``visitors`` counted today (the watcher may be writing the
    tally when the test asks for its own write, which then finds nothing left to write)."""
    today = day_of(time.time())
    for _ in range(100):
        await street.learning.write_usage()
        rows = await street.store.usage_totals(today, today)
        if sum(r.count for r in rows if r.kind == "incl_visitors") >= visitors:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {visitors} visitors written")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_scripted_crowd_gives_known_shares(tmp_path: Path, kind: str) -> None:
    server = None
    if kind == "redis":
        reason = redis_servers.available()
        if reason is not None:
            pytest.skip(reason)
        server = redis_servers.start_server(tmp_path / "redis")
    try:
        async with open_street(tmp_path, store=server and server.url) as street:
            await crowd(street)
            await written(street, 14)
            [(status, body)] = await figures_as_analyst(street, "/api/admin/figures/inclusion")
    finally:
        if server is not None:
            server.stop()
    assert status == 200, body
    today = day_of(time.time())
    assert body["to"] == today and body["min_group"] == 5
    assert body["columns"] == [
        ["list_mode", "on"],
        ["larger_text", "on"],
        ["narration", "on"],
        ["lang", "th"],
        ["lang", "en"],
        ["device", "phone"],
        ["device", "tablet"],
        ["device", "desktop"],
    ]
    expected = [
        0.357,  # list mode 5 of 14
        None,  # larger text: 3, suppressed
        None,  # narration: nobody
        0.571,  # Thai 8 of 14
        0.5,  # English 7 of 14 (visitor 1 switched)
        0.429,  # phones 6 of 14
        None,  # tablets: 3, suppressed
        None,  # desktops: 5, hidden too, else tablets = 14 - 6 - 5
    ]
    assert body["days"][-1] == {"day": today, "visitors": 14, "shares": expected}
    assert body["total"] == {"visitors": 14, "shares": expected}
    assert all(d["visitors"] is None for d in body["days"][:-1])
    assert "visitor-" not in str(body) and "คน" not in str(body)


async def test_usage_is_checked_strictly_and_rate_limited(tmp_path: Path) -> None:
    async with open_street(tmp_path) as street:
        me = await Walker.join(street.url, "คนหนึ่ง", *visitor(1))
        with pytest.raises(ServerError) as bad_lang:
            await me.client.request(UsageMsg(False, "fr", False, False, "phone"))
        assert bad_lang.value.error.code == ErrorCode.BAD_USAGE
        assert "lang must be one of th, en" in bad_lang.value.error.message
        with pytest.raises(ServerError) as bad_device:
            await me.client.request(UsageMsg(False, "th", False, False, "watch"))
        assert "device must be one of phone, tablet, desktop" in bad_device.value.error.message
        for _ in range(4):  # burst 6, two used above; no reply when taken
            await me.client.send(UsageMsg(False, "th", False, False, "phone"))
        with pytest.raises(ServerError) as limited:
            await me.client.request(UsageMsg(False, "th", False, False, "phone"))
        assert limited.value.error.code == ErrorCode.RATE_LIMITED
        await written(street, 1)
        rows = await street.store.usage_totals(day_of(time.time()), day_of(time.time()))
        assert [(r.kind, r.subject, r.detail, r.count) for r in rows] == [
            ("incl_setting", "device", "phone", 1),
            ("incl_setting", "lang", "th", 1),
            ("incl_visitors", "", "", 1),
        ], "the refused ones counted nothing"
        # a field too many is a broken envelope: error, then the socket is closed

        await me.client.send_raw(msgpack.packb([104, 7, False, "th", False, False, "phone", 1]))
        closed = await me.client.closed()
        assert isinstance(closed, Closed) and closed.code == 4000
        anonymous = await PresenceClient.connect(street.url)
        await anonymous.hello("ไม่มีชื่อ")
        with pytest.raises(ServerError) as nobody:
            await anonymous.request(UsageMsg(False, "th", False, False, "phone"))
        assert nobody.value.error.code == ErrorCode.NO_IDENTITY
        await anonymous.close()
