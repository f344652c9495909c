"""End to end: a new identity earns at once but spends only after real learning on the street
(three distinct quizzes and ten minutes since its first visit), over real sockets; an older
visitor is never held (srichan_world/world/pending.py, docs/security.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.ws.client import ServerError
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import (
    CouponIssued,
    QuizAnswer,
    QuizOpen,
    QuizResult,
    Redeem,
    Wallet,
    WalletGet,
)
from srichan_world.protocol.work import TokensPending
from tests.server.learning_fixtures import (
    Q_GATE_1,
    Q_GATE_2,
    Q_MUSEUM_1,
    Street,
    Walker,
    open_street,
    visitor,
)
from tests.world.booth_fixtures import T0, config, promotion

BOOTH = (100.0, 4.0)
"""At the counter of B01, which stands at (100, 7)."""


class Clock:
    """The wall clock requests are decided at, moved on by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def open_booth(street: Street) -> None:
    store = street.store
    await store.grant_slot("B01", "auntie-daeng", "ร้านป้าแดง", T0)
    await store.save_booth_draft("B01", "auntie-daeng", config(promotion(cost=10)), T0)
    await store.publish_booth("B01", "auntie-daeng", T0)


async def pass_quiz(me: Walker, quiz_id: str) -> TokensPending:
    await me.ask(QuizOpen(quiz_id))
    result = await me.ask(QuizAnswer(quiz_id, 0))
    assert isinstance(result, QuizResult) and result.correct
    return await me.client.next(TokensPending, 5.0, lambda m: m.cid == result.cid)


async def refused_pending(me: Walker, key: str) -> str:
    with pytest.raises(ServerError) as caught:
        await me.ask(Redeem("B01", "free0tea", key, 10))
    assert caught.value.error.code == ErrorCode.TOKENS_PENDING
    return caught.value.error.message


async def test_a_new_identity_spends_only_after_three_quizzes_and_ten_minutes(
    tmp_path: Path,
) -> None:
    clock = Clock(T0)
    async with open_street(tmp_path, wall=clock) as street:
        await open_booth(street)
        me = await Walker.join(street.url, "มาใหม่", *visitor(70))  # a new id: pays work first
        other_tab = await Walker.join(street.url, "มาใหม่", *visitor(70))
        wallet = await me.wallet()
        first = await me.client.next(TokensPending, 5.0, lambda m: m.cid == wallet.cid)
        assert (first.quizzes_left, first.wait_s, first.quizzes, first.minutes) == (3, 600, 3, 10)

        await me.walk(Q_GATE_1)
        assert (await pass_quiz(me, "q-gate-1")).quizzes_left == 2
        told = await other_tab.client.next(TokensPending, 5.0, lambda m: m.quizzes_left == 2)
        assert told.cid is None, "the visitor's other tab is told too"
        await me.walk((60.0, 0.0), BOOTH)
        why = await refused_pending(me, "pending-key-0001")
        assert why.startswith("ตอบคำถามอีก 2 จุด เพื่อใช้โทเค็น / 2 more quizzes"), why

        await me.walk((60.0, 0.0), (20.0, 0.0), Q_GATE_2)
        assert (await pass_quiz(me, "q-gate-2")).quizzes_left == 1
        await me.walk((60.0, 0.0), Q_MUSEUM_1)
        clock.now = T0 + 240
        last = await pass_quiz(me, "q-museum-1")
        assert (last.quizzes_left, last.wait_s) == (0, 360)
        await me.walk(BOOTH)
        why = await refused_pending(me, "pending-key-0002")
        assert why.startswith("ใช้โทเค็นได้ในอีก 6 นาที / ") and "(retry in 360 s)" in why, why
        assert (await me.ask(WalletGet())).balance == 45  # type: ignore[attr-defined]  # 25 + the quest

        clock.now = T0 + 600
        asked = await me.ask(WalletGet())
        now_free = await me.client.next(TokensPending, 5.0, lambda m: m.cid == asked.cid)
        assert (now_free.quizzes_left, now_free.wait_s) == (0, 0)
        bought = await me.ask(Redeem("B01", "free0tea", "pending-key-0003", 10))
        assert isinstance(bought, CouponIssued) and bought.balance == 35
        assert (await street.store.audit()).ok
        await me.close()
        await other_tab.close()


async def test_an_older_visitor_is_never_held_and_never_told(tmp_path: Path) -> None:
    clock = Clock(T0)
    async with open_street(tmp_path, wall=clock) as street:
        await open_booth(street)
        vid, secret = visitor(71)
        await street.store.register_visitor(vid, secret, T0 - 86_400)  # before the rule
        from srichan_world.world.ledger import CITY_POOL, Transfer, visitor_account

        await street.store.transfer(
            Transfer("gift-71", CITY_POOL, visitor_account(vid), 40, "gift", T0)
        )
        me = await Walker.join(street.url, "ลูกค้าเก่า", vid, secret)
        assert isinstance(await me.wallet(), Wallet)
        await me.walk((60.0, 0.0), BOOTH)
        bought = await me.ask(Redeem("B01", "free0tea", "older-key-00001", 10))
        assert isinstance(bought, CouponIssued) and bought.balance == 30
        assert not [m for m in me.client.inbox if isinstance(m, TokensPending)]
        await me.close()
