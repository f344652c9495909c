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
    Q_MUSEUM_2,
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


async def figures_as_analyst(
    street: Street, *paths: str, who: str = "analyst"
) -> list[tuple[int, Any]]:
    store = street.store
    await store.add_operator(who, "คุณวิเคราะห์", "analyst", time.time())
    token = f"{who}-link-" + "k" * 32
    await store.issue_operator_link(who, link_hash(token), time.time() + 60, 0)
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


EXTRA_QUIZZES = "".join(
    f"""
[[quiz_points]]
id = "q-extra-{n}"
landmark = "gate"
station = {station}
offset = -5.0
radius = 3.0
reward = 5
question = {{ th = "คำถามเพิ่ม {n}", en = "Extra question {n}" }}
choices = [ {{ th = "ใช่", en = "Yes" }}, {{ th = "ไม่", en = "No" }},
    {{ th = "อาจจะ", en = "Maybe" }}, {{ th = "ไม่ทราบ", en = "Unknown" }} ]
correct = 0
explanation = {{ th = "ใช่", en = "Yes." }}
"""
    for n, station in ((1, 36.0), (2, 44.0))
)
"""Two more quizzes past the gate (at (36, 5) and (44, 5)): six paid answers for one visitor."""


async def one_busy_visitor(street: Street) -> int:
    """Visitor 1 answers all six quizzes right (six paid answers, a seventh payment for the
    walk quest), and opens q-gate-2 six times."""
    me = await Walker.join(street.url, "คนขยัน", *visitor(1))
    await me.walk(Q_GATE_1)
    assert (await answer(me, "q-gate-1", RIGHT)).correct
    await me.walk(*GATE_PATH)
    for _ in range(5):
        await me.ask(QuizOpen("q-gate-2"))
    assert (await answer(me, "q-gate-2", RIGHT)).correct
    for n, place in ((1, (36.0, 5.0)), (2, (44.0, 5.0))):
        await me.walk(place)
        assert (await answer(me, f"q-extra-{n}", RIGHT)).correct
    for quiz, place in (("q-museum-1", Q_MUSEUM_1), ("q-museum-2", Q_MUSEUM_2)):
        await me.walk(place)
        assert (await answer(me, quiz, RIGHT)).correct
    wallet = await me.ask(WalletGet())
    assert isinstance(wallet, Wallet)
    await me.close()
    return wallet.balance


async def one_answer(street: Street, n: int) -> int:
    me = await Walker.join(street.url, f"คน{n}", *visitor(n))
    await me.walk(Q_GATE_1)
    assert (await answer(me, "q-gate-1", RIGHT)).correct
    wallet = await me.ask(WalletGet())
    assert isinstance(wallet, Wallet)
    await me.close()
    return wallet.balance


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_suppression_counts_visitors_not_requests(tmp_path: Path, kind: str) -> None:
    """One visitor's six paid answers are one person's day: hidden (a count of requests
    showed them). Four more visitors with one paid answer each make five: shown."""
    server = None
    if kind == "redis":
        reason = redis_servers.available()
        if reason is not None:
            pytest.skip(reason)
        server = redis_servers.start_server(tmp_path / "redis")
    try:
        async with open_street(tmp_path, store=server and server.url, extra=EXTRA_QUIZZES) as s:
            lone = await one_busy_visitor(s)
            await s.learning.write_usage()
            (_, alone), (_, quizzes) = await figures_as_analyst(
                s, "/api/admin/figures/economy", "/api/admin/figures/learning"
            )
            others = await asyncio.gather(*(one_answer(s, n) for n in range(2, 6)))
            await s.learning.write_usage()
            (_, five), (_, quizzes_after) = await figures_as_analyst(
                s, "/api/admin/figures/economy", "/api/admin/figures/learning", who="analyst2"
            )
    finally:
        if server is not None:
            server.stop()
    today = day_of(time.time())
    assert lone >= 45, "six paid answers and the quest's bonus"
    assert alone["days"][-1] == {"day": today, "earned": None, "redeemed": None}, (
        "seven payments to one visitor: one person's activity"
    )
    assert alone["totals"]["earned"] == 0 and alone["totals"]["outstanding"] is None
    opens = {q["quiz"]: q["opens"] for q in quizzes["quizzes"]}
    assert opens["q-gate-2"] is None, "six opens by one visitor"
    assert five["days"][-1] == {"day": today, "earned": lone + sum(others), "redeemed": None}
    assert five["totals"]["outstanding"] is not None
    after = {q["quiz"]: q for q in quizzes_after["quizzes"]}
    assert after["q-gate-1"]["opens"] == 5 and after["q-gate-1"]["answered"] == 5
    assert after["q-gate-2"]["opens"] is None, "still one visitor's six opens"
