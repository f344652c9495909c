"""Farming tokens with fresh identities against a real ``srichan serve`` (default settings: 16
bits of work, tokens pending until 3 distinct quizzes and 10 minutes). Measured on main before
this: one address minted 1,328 identities in 10 s, each earned 10 tokens at the quiz next to the
spawn and redeemed a coupon at once. Now every identity the farm makes still pays its work and
earns, but nothing it earns can be spent: no coupon leaves the shop, and an older visitor from
another address still redeems."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import websockets

from server.store import open_store
from server.ws.client import PresenceClient, ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import CouponIssued, QuizAnswer, QuizOpen, Redeem
from srichan_world.protocol.work import TokensPending
from tests.abuse.conftest import ATTACKER, HONEST, Street
from tests.scale.conftest import B01_COUNTER, visitor
from tests.server.learning_fixtures import Q_GATE_1, Q_MUSEUM_1, Q_MUSEUM_2, Walker

pytestmark = pytest.mark.slow

FARM = 6
"""Fresh identities the farm makes (each pays 16 bits of real work in this process)."""


async def walker(street: Street, source: str, n: int, name: str) -> Walker:
    ws = await websockets.connect(
        street.ws, local_addr=(source, 0), compression=None, ping_interval=None
    )
    client = PresenceClient(ws)
    vid, secret = visitor(n)
    welcome = await client.hello(name, (1, 2, 3), visitor_id=vid, visitor_secret=secret)
    await client.entered()
    return Walker(client, (welcome.x, welcome.z))


async def passes(me: Walker, quiz_id: str) -> None:
    await me.ask(QuizOpen(quiz_id))
    result = await me.ask(QuizAnswer(quiz_id, 0))
    assert getattr(result, "correct", False), result


async def refused(me: Walker, key: str) -> str:
    with pytest.raises(ServerError) as caught:
        await me.ask(Redeem("B01", "free0tea", key, 10))
    assert caught.value.error.code == ErrorCode.TOKENS_PENDING, caught.value.error
    return caught.value.error.message


async def test_a_farm_of_fresh_identities_earns_nothing_spendable(
    street: Street, tmp_path: Path
) -> None:
    started = time.perf_counter()
    farm = [await walker(street, ATTACKER, 400 + i, f"ฟาร์ม{i}") for i in range(FARM)]
    minted = time.perf_counter() - started
    for i, me in enumerate(farm):  # two quizzes by the booth, then straight to the counter
        await me.walk((90.0, 2.0), Q_MUSEUM_2)
        await passes(me, "q-museum-2")
        await me.walk(Q_MUSEUM_1)
        await passes(me, "q-museum-1")
        await me.walk((90.0, 2.0), B01_COUNTER)
        why = await refused(me, f"farm-key-{i:04d}")
        assert why.startswith("ตอบคำถามอีก 1 จุด เพื่อใช้โทเค็น"), why

    # the farm does the learning too: a third quiz, at the gate 90 m away; time still holds it
    keen = farm[0]
    await keen.walk((60.0, 0.0), (20.0, 0.0), Q_GATE_1)
    await passes(keen, "q-gate-1")
    told = await keen.client.next(TokensPending, 5.0, lambda m: m.quizzes_left == 0)
    assert 0 < told.wait_s <= 600
    await keen.walk((20.0, 0.0), (60.0, 0.0), B01_COUNTER)
    why = await refused(keen, "farm-key-keen")
    assert why.startswith("ใช้โทเค็นได้ในอีก") and "(retry in" in why, why

    honest = await walker(street, HONEST, 1, "ลูกค้าประจำ")  # seeded: an older visitor
    await honest.walk(B01_COUNTER)
    bought = await honest.ask(Redeem("B01", "free0tea", "honest-key-0001", 10))
    assert isinstance(bought, CouponIssued)
    for me in (*farm, honest):
        await me.close()

    store = await open_store(f"sqlite:///{tmp_path}/street.db")  # the street fixture's store
    try:
        earned = [await store.balance(f"visitor:{visitor(400 + i)[0]}") for i in range(FARM)]
        coupons = [await store.coupons_of(visitor(400 + i)[0]) for i in range(FARM)]
        assert earned == [30] + [20] * (FARM - 1), "the farm earned (and the boards count it)"
        assert all(not c for c in coupons), "but no coupon left the shop"
        assert (await store.audit()).ok
    finally:
        await store.close()
    print(
        f"\nfarm of {FARM}: minted in {minted:.1f} s ({minted / FARM:.2f} s each), "
        f"{sum(earned)} tokens earned, 0 spendable, 0 coupons; the older visitor bought one"
    )
