"""The console's learning figures against a scripted crowd with known answers: the real app on
a loopback port, visitors on the Python client, the figures read over HTTP as an analyst."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from srichan_world.protocol.messages import (
    QuestProgress,
    QuizAnswer,
    QuizOpen,
    QuizResult,
    Wallet,
    WalletGet,
)
from srichan_world.world.figures import day_of
from srichan_world.world.owners import link_hash
from tests.server.learning_fixtures import (
    Q_GATE_1,
    Q_GATE_2,
    Q_MUSEUM_1,
    Street,
    Walker,
    open_street,
    visitor,
)
from tools import redis_servers

RIGHT, WRONG = 0, 1
GATE_PATH = ((16.0, 0.0), (24.0, 0.0), Q_GATE_2)
"""From the first quiz between the gate's pillars to the second."""


async def answer(me: Walker, quiz: str, choice: int) -> QuizResult:
    await me.ask(QuizOpen(quiz))
    result = await me.ask(QuizAnswer(quiz, choice))
    assert isinstance(result, QuizResult)
    return result


async def visit(street: Street, n: int) -> int:
    """Visitor ``n``'s script: 1-7 answer q-gate-1 (6-7 wrong first) and so visit the gate (the
    walk quest's first step); 1-5 walk through the gate and answer q-gate-2; visitor 1 goes on to
    the museum and answers q-museum-1 (the walk quest's second step)."""
    me = await Walker.join(street.url, f"คน{n}", *visitor(n))
    await me.walk(Q_GATE_1)
    await me.client.next(QuestProgress, where=lambda p: p.done == 1)
    if n >= 6:
        assert not (await answer(me, "q-gate-1", WRONG)).correct
    assert (await answer(me, "q-gate-1", RIGHT)).correct
    if n <= 5:
        await me.walk(*GATE_PATH)
        assert (await answer(me, "q-gate-2", RIGHT)).correct
    if n == 1:
        await me.walk(Q_MUSEUM_1)
        assert (await answer(me, "q-museum-1", RIGHT)).correct
        await me.client.next(QuestProgress, where=lambda p: p.done == 2)
    wallet = await me.ask(WalletGet())
    assert isinstance(wallet, Wallet)
    await me.close()
    return wallet.balance


async def figures_as_analyst(street: Street, *paths: str) -> list[tuple[int, Any]]:
    store = street.store
    await store.add_operator("analyst", "คุณวิเคราะห์", "analyst", time.time())
    token = "analyst-link-" + "k" * 32
    await store.issue_operator_link("analyst", link_hash(token), time.time() + 60, 0)
    origin = {"Origin": street.http}
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(street.http, cookie_jar=jar) as http:
        async with http.post("/api/admin/login", json={"token": token}, headers=origin) as r:
            assert r.status == 200, await r.text()
        replies = []
        for path in paths:
            async with http.get(path) as r:
                replies.append((r.status, await r.json()))
        return replies


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_scripted_crowd_gives_known_figures(tmp_path: Path, kind: str) -> None:
    server = None
    if kind == "redis":
        reason = redis_servers.available()
        if reason is not None:
            pytest.skip(reason)
        server = redis_servers.start_server(tmp_path / "redis")
    try:
        async with open_street(tmp_path, store=server and server.url) as street:
            balances = await asyncio.gather(*(visit(street, n) for n in range(1, 8)))
            await street.learning.write_usage()
            (status, body), (_, money) = await figures_as_analyst(
                street, "/api/admin/figures/learning", "/api/admin/figures/economy"
            )
    finally:
        if server is not None:
            server.stop()
    assert status == 200, body
    today = day_of(time.time())
    assert body["to"] == today and body["min_group"] == 5
    quizzes = {q["quiz"]: q for q in body["quizzes"]}
    assert quizzes["q-gate-1"] == {
        "quiz": "q-gate-1",
        "landmark": "gate",
        "opens": 9,
        "answered": 7,
        "first_try_right": 0.714,
        "difficulty": 0.286,
        "average_attempts": 1.29,
    }
    assert quizzes["q-gate-2"] == {
        "quiz": "q-gate-2",
        "landmark": "gate",
        "opens": 5,
        "answered": 5,
        "first_try_right": 1.0,
        "difficulty": 0.0,
        "average_attempts": 1.0,
    }
    museum = quizzes["q-museum-1"]
    assert [museum[k] for k in ("opens", "answered", "first_try_right", "average_attempts")] == [
        None
    ] * 4, "one visitor's answer is suppressed"
    assert body["quests"] == [
        {
            "quest": "walk",
            "title": {"th": "เดินเรียนรู้", "en": "Learning walk"},
            "steps": [
                {"step": 1, "visitors": 7, "drop_off": None},
                {"step": 2, "visitors": None, "drop_off": None},
            ],
        }
    ]
    raw = str(body) + str(money)
    assert "visitor-" not in raw and "คน" not in raw, "no visitor is named"
    assert money["days"][-1] == {"day": today, "earned": sum(balances), "redeemed": None}
    assert money["booths"] == [], "nobody bought a coupon"
