"""The dialogue part of the Store contract (SQLite, Redis, Redis Cluster, all real): one vote
per visitor however many arrive at once, one opinion each, support counted once, hidden
opinions marked, the participation reward paid once and within the cap, and durably."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from server.store import Store
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Text
from srichan_world.world import xapi
from srichan_world.world.dialogue import Opinion, Part, Question, participation_award
from tests.server.store.conftest import SECRET, T0, StoreFactory

ALICE = "alice-0000001"
BOB = "bob-000000002"
Q = Question(
    "light-rail",
    Text("รถไฟฟ้ารางเบา", "Light rail"),
    Text("เส้นทางแรก", "The first line"),
    (Text("เห็นด้วย", "Agree"), Text("ไม่เห็นด้วย", "Disagree")),
    True,
    T0 - 60,
    T0 + 3600,
)


def vote_statement(visitor: str) -> dict[str, object]:
    return xapi.responded_statement(visitor, Q.id, Q.title, Q.options[0], T0)


def opinion(visitor: str, text: str = "ดีครับ") -> Opinion:
    return Opinion(Q.id, 0, visitor, visitor[:5], text, T0)


def opinion_statement(visitor: str) -> dict[str, object]:
    return xapi.commented_statement(visitor, Q.id, Q.title, "ดีครับ", T0)


async def test_questions_are_kept_and_replaced(store_factory: StoreFactory) -> None:
    store = await store_factory()
    assert await store.questions() == ()
    await store.put_question(Q)
    closed = Q.closed(T0)
    await store.put_question(closed)
    reopened = await store_factory()
    assert await reopened.questions() == (closed,), "replaced by id, durable"


async def test_one_vote_per_visitor_however_many_arrive_at_once(store: Store) -> None:
    tries = [store.cast_vote(Q.id, ALICE, i % 2, vote_statement(ALICE), T0 + i) for i in range(10)]
    firsts = await asyncio.gather(*tries)
    assert sorted(firsts) == [False] * 9 + [True]
    tally = await store.dialogue_tally(Q.id)
    assert sum(tally.votes.values()) == 1, "one visitor, one vote"
    assert await store.cast_vote(Q.id, BOB, 1, vote_statement(BOB), T0) is True
    assert await store.cast_vote(Q.id, ALICE, 0, vote_statement(ALICE), T0 + 20) is False
    assert (await store.dialogue_tally(Q.id)).votes == {0: 1, 1: 1}, "a vote changes, not adds"
    assert (await store.dialogue_part(Q.id, ALICE)).vote == 0
    kept = (await store.statements_since(T0 - 1)).statements
    assert [s["verb"]["id"] for s in kept] == [xapi.RESPONDED] * 2, "one statement a voter"


async def test_one_opinion_each_and_support_once(store: Store) -> None:
    posts = await asyncio.gather(
        *(store.post_opinion(opinion(ALICE), opinion_statement(ALICE)) for _ in range(6))
    )
    kept = [p for p in posts if p is not None]
    assert len(kept) == 1 and kept[0].number == 1
    bob = await store.post_opinion(opinion(BOB, "ไม่ค่อยดี"), opinion_statement(BOB))
    assert bob is not None and bob.number == 2
    supports = await asyncio.gather(*(store.support_opinion(Q.id, 1, BOB) for _ in range(5)))
    assert sorted(supports) == [False] * 4 + [True]
    tally = await store.dialogue_tally(Q.id)
    assert [(o.number, o.supports) for o in tally.opinions] == [(1, 1), (2, 0)]
    assert await store.dialogue_part(Q.id, BOB) == Part(None, 2, frozenset({1}))
    assert await store.dialogue_part(Q.id, ALICE) == Part(None, 1, frozenset())
    verbs = [s["verb"]["id"] for s in (await store.statements_since(T0 - 1)).statements]
    assert verbs == [xapi.COMMENTED] * 2


async def test_a_moderator_hides_an_opinion(store: Store) -> None:
    await store.post_opinion(opinion(ALICE), opinion_statement(ALICE))
    hidden = await store.hide_opinion(Q.id, 1, True)
    assert hidden.hidden and hidden.text == "ดีครับ"
    assert (await store.dialogue_tally(Q.id)).shown() == ()
    with pytest.raises(Refused) as caught:
        await store.hide_opinion(Q.id, 9, True)
    assert caught.value.code == ErrorCode.UNKNOWN_OPINION


async def test_the_reward_is_paid_once_and_within_the_cap(store: Store) -> None:
    await store.register_visitor(ALICE, SECRET, T0)
    award = participation_award(Q, ALICE, T0, daily_cap=100)
    paid = await asyncio.gather(*(store.pay_award(award) for _ in range(5)))
    assert sorted(p.paid for p in paid) == [0, 0, 0, 0, 2]
    assert await store.balance(f"visitor:{ALICE}") == 2
    capped = participation_award(replace(Q, id="other"), ALICE, T0, 3)
    assert (await store.pay_award(capped)).paid == 1, "clipped to the day's cap (3 - 2)"
    assert (await store.audit()).ok
