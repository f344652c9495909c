"""Learning end to end: the real app on a loopback port, visitors on the Python client, walking
to quiz points at the speed limit. Every cheating attempt gets its documented code."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.keys import PUMP
from server.ws.client import ServerError
from srichan_world.protocol.codec import encode
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import (
    Error,
    Leaderboard,
    LeaderboardGet,
    Message,
    Nickname,
    QuestProgress,
    QuizAnswer,
    QuizOpen,
    QuizQuestion,
    QuizResult,
    SetNickname,
    Wallet,
    WalletGet,
)
from srichan_world.protocol.work import TokensPending
from srichan_world.world.ledger import visitor_account
from tests.server.learning_fixtures import (
    Q_GATE_1,
    Q_GATE_2,
    Q_MUSEUM_1,
    Street,
    Walker,
    open_street,
    visitor,
)
from tests.world.booth_fixtures import config, promotion, redemption
from tools import redis_servers

NICK = "น้องแก่น ขอนแก่น"


async def refused(walker: Walker, message: Message) -> int:
    """The error code a request is refused with (and the session stays open)."""
    with pytest.raises(ServerError) as caught:
        await walker.ask(message)
    await walker.client.ping()
    return caught.value.error.code


async def test_a_visitor_walks_learns_earns_and_ranks(tmp_path: Path) -> None:
    async with open_street(tmp_path) as street:
        vid, secret = visitor(1)
        me = await Walker.join(street.url, "แก่น", vid, secret)
        wallet = await me.wallet()
        (walk,) = [await me.client.next(QuestProgress)]
        assert wallet.balance == 0 and wallet.coupons == ()
        assert (walk.quest_id, walk.done, walk.total, walk.completed) == ("walk", 0, 2, False)

        # Cheating before walking anywhere: nothing is earned, the session stays open.
        assert await refused(me, QuizOpen("q-gate-1")) == ErrorCode.TOO_FAR
        assert await refused(me, QuizAnswer("q-gate-1", 0)) == ErrorCode.NO_OPEN_QUIZ
        assert await refused(me, QuizOpen("q-forged")) == ErrorCode.UNKNOWN_QUIZ
        assert await refused(me, QuizAnswer("q-forged", 0)) == ErrorCode.UNKNOWN_QUIZ

        await me.walk(Q_GATE_1)
        question = await me.ask(QuizOpen("q-gate-1"))
        assert isinstance(question, QuizQuestion) and question.reward == 10
        assert question.question.th.startswith("เมืองขอนแก่น") and question.question.en
        assert [c.en for c in question.choices] == ["2024", "2017", "2007", "1997"]
        assert question.attempts_left == 3 and question.already_awarded is False
        assert "14 กุมภาพันธ์".encode() not in encode(question), "never the explanation"

        assert await refused(me, QuizAnswer("q-gate-1", 7)) == ErrorCode.BAD_VALUE
        await me.walk((12.0, 8.0))  # 13 m away: beyond radius + slack
        assert await refused(me, QuizAnswer("q-gate-1", 0)) == ErrorCode.TOO_FAR
        await me.walk(Q_GATE_1)
        right = await me.ask(QuizAnswer("q-gate-1", 0))
        assert isinstance(right, QuizResult) and right.correct and right.reward == 10
        assert right.balance == 10 and right.explanation is not None
        assert right.explanation.th == "14 กุมภาพันธ์ 2567" and right.capped is False
        assert await refused(me, QuizAnswer("q-gate-1", 0)) == ErrorCode.ANSWER_REPLAYED

        # The same answer bytes twice at once (a duplicated frame): graded once.
        await me.ask(QuizOpen("q-gate-1"))
        frame = encode(QuizAnswer("q-gate-1", 0, cid=9001))
        await asyncio.gather(me.client.send_raw(frame), me.client.send_raw(frame))
        # (a new identity's right answer is also followed by tokens_pending, with its cid)
        graded = lambda m: m.cid == 9001 and not isinstance(m, TokensPending)  # noqa: E731
        first = await me.client.next(Message, where=graded)
        second = await me.client.next(Message, where=graded)
        assert isinstance(first, QuizResult) and first.reward == 0 and first.already_awarded
        assert isinstance(second, Error) and second.code == ErrorCode.ANSWER_REPLAYED
        wallet = await me.ask(WalletGet())
        assert isinstance(wallet, Wallet) and wallet.balance == 10

        # Walking between the gate's pillars is the quest's first step, pushed without a cid.
        await me.walk((20.0, 0.0))
        step = await me.client.next(QuestProgress, where=lambda m: m.cid is None)
        assert (step.quest_id, step.done, step.steps, step.completed) == ("walk", 1, (0,), False)

        nick = await me.ask(SetNickname(f"  {NICK}  "))
        assert nick == Nickname(NICK, cid=nick.cid)
        assert await refused(me, SetNickname("x" * 25)) == ErrorCode.BAD_NAME
        board = await me.ask(LeaderboardGet())
        assert isinstance(board, Leaderboard) and board.you == 1 and board.you_all_time == 1
        assert [(e.name, e.score) for e in board.entries] == [(NICK, 10)]

        await me.walk(Q_MUSEUM_1)
        await me.ask(QuizOpen("q-museum-1"))
        wrong = await me.ask(QuizAnswer("q-museum-1", 1))
        assert isinstance(wrong, QuizResult) and not wrong.correct and wrong.reward == 0
        assert wrong.explanation is None and wrong.attempts_left == 1 and wrong.balance == 10
        halved = await me.ask(QuizOpen("q-museum-1"))
        assert isinstance(halved, QuizQuestion) and halved.reward == 5, "after a miss: half"
        done = await me.ask(QuizAnswer("q-museum-1", 0))
        assert isinstance(done, QuizResult) and done.reward == 5
        assert done.balance == 35, "the answer, and the quest bonus it earned"
        bonus = await me.client.next(QuestProgress, where=lambda m: m.cid == done.cid)
        assert (bonus.completed, bonus.bonus, bonus.steps) == (True, 20, (0, 1))

        pushed = await me.client.next(
            Leaderboard, where=lambda m: m.cid is None and m.entries[0].score == 35
        )
        assert pushed.entries[0].name == NICK and pushed.entries[0].quests == 1
        assert pushed.all_time is not None and pushed.all_time[0].score == 35
        assert pushed.week is not None and pushed.week.count("-W") == 1

        # The quest completes once: its last step again pays nothing and reports nothing.
        await me.ask(QuizOpen("q-museum-1"))
        again = await me.ask(QuizAnswer("q-museum-1", 0))
        assert isinstance(again, QuizResult) and again.reward == 0 and again.already_awarded
        await me.client.ping()
        assert not [m for m in me.client.inbox if isinstance(m, QuestProgress)]
        await me.close()

        reasons = [e.transfer.reason for e in await street.store.entries(visitor_account(vid))]
        assert sorted(r.split("@")[0] for r in reasons) == [
            "quest walk",
            "quiz q-gate-1",
            "quiz q-museum-1",
        ]

        # Back in another tab: the same wallet and progress.
        back = await Walker.join(street.url, "แก่น", vid, secret)
        assert (await back.wallet()).balance == 35
        progress = await back.client.next(QuestProgress)
        assert progress.completed and progress.done == 2
        await back.close()


async def test_identity_is_needed_and_a_wrong_secret_is_refused(tmp_path: Path) -> None:
    async with open_street(tmp_path) as street:
        vid, secret = visitor(2)
        owner = await Walker.join(street.url, "เจ้าของ", vid, secret)
        await owner.wallet()
        anonymous = await Walker.join(street.url, "bot")
        thief, code = await joined_refused(street, vid, secret[:-1] + "X")
        assert code == ErrorCode.BAD_IDENTITY
        for walker in (anonymous, thief):
            assert await refused(walker, QuizOpen("q-gate-1")) == ErrorCode.NO_IDENTITY
            assert await refused(walker, WalletGet()) == ErrorCode.NO_IDENTITY
            assert await refused(walker, SetNickname("ขโมย")) == ErrorCode.NO_IDENTITY
        board = await anonymous.ask(LeaderboardGet(follow=False))
        assert isinstance(board, Leaderboard) and board.you is None
        malformed, code = await joined_refused(street, "bad id!", secret)
        assert code == ErrorCode.BAD_IDENTITY
        assert (await owner.ask(WalletGet())) is not None, "the owner is unaffected"
        for w in (owner, anonymous, thief, malformed):
            await w.close()


async def joined_refused(street: Street, vid: str, secret: str) -> tuple[Walker, int]:
    """Join with credentials the server refuses: welcomed to the street, refused learning."""
    walker = await Walker.join(street.url, "ขโมย", vid, secret)
    error = await walker.client.next(Error)
    assert error.cid == 1, "the refusal answers the hello"
    return walker, error.code


async def test_every_attempt_used_means_a_cooldown_with_the_explanation(tmp_path: Path) -> None:
    async with open_street(tmp_path) as street:
        me = await Walker.join(street.url, "ลองใหม่", *visitor(3))
        await me.walk((60.0, 0.0), Q_MUSEUM_1)
        for left in (1, 0):
            await me.ask(QuizOpen("q-museum-1"))
            wrong = await me.ask(QuizAnswer("q-museum-1", 2))
            assert isinstance(wrong, QuizResult) and wrong.attempts_left == left
        assert wrong.explanation is not None, "the last attempt explains"
        assert 9.0 < wrong.cooldown_s <= 10.0
        with pytest.raises(ServerError) as caught:
            await me.ask(QuizOpen("q-museum-1"))
        assert caught.value.error.code == ErrorCode.COOLDOWN
        assert "retry in" in caught.value.error.message
        await me.close()


async def test_the_daily_cap_clips_awards(tmp_path: Path) -> None:
    async with open_street(tmp_path, policy={"daily_earn_cap": 12}) as street:
        me = await Walker.join(street.url, "ขยัน", *visitor(4))
        await me.walk(Q_GATE_1)
        await me.ask(QuizOpen("q-gate-1"))
        first = await me.ask(QuizAnswer("q-gate-1", 0))
        await me.walk((20.0, 0.0), Q_GATE_2)
        await me.ask(QuizOpen("q-gate-2"))
        second = await me.ask(QuizAnswer("q-gate-2", 0))
        assert isinstance(first, QuizResult) and isinstance(second, QuizResult)
        assert (first.reward, first.capped) == (10, False)
        assert (second.reward, second.capped, second.balance) == (2, True, 12)
        await me.ask(QuizOpen("q-gate-2"))
        after = await me.ask(QuizAnswer("q-gate-2", 0))
        assert isinstance(after, QuizResult) and after.reward == 0 and after.already_awarded
        await me.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_many_tabs_answering_at_once_earn_exactly_one_award(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    async with open_street(tmp_path, store=url) as street:
        vid, secret = visitor(5)
        tabs = [await Walker.join(street.url, f"แท็บ{i}", vid, secret) for i in range(4)]
        await asyncio.gather(*(t.walk((20.0, 0.0), Q_GATE_2) for t in tabs))

        async def hammer(tab: Walker) -> list[Message]:
            replies: list[Message] = []
            for _ in range(3):
                try:
                    await tab.ask(QuizOpen("q-gate-2"))
                except ServerError as exc:
                    replies.append(exc.error)
                cids = [7000 + i for i in range(5)]
                await asyncio.gather(
                    *(tab.client.send(QuizAnswer("q-gate-2", 0, cid=c)) for c in cids)
                )
                for c in cids:
                    replies.append(await tab.client.next(Message, where=lambda m, c=c: m.cid == c))
            return replies

        replies = [r for rs in await asyncio.gather(*(hammer(t) for t in tabs)) for r in rs]
        results = [r for r in replies if isinstance(r, QuizResult)]
        errors = {r.code for r in replies if isinstance(r, Error)}
        assert errors <= {ErrorCode.ANSWER_REPLAYED, ErrorCode.NO_OPEN_QUIZ}, errors
        assert [r.reward for r in results if r.reward] == [5], "exactly one award"
        # how many answers find an opening depends on how the tabs' opens interleave (one
        # opening per visitor and quiz, each open replaces it): from 1 to 12 of them
        assert results and all(r.correct for r in results)
        assert await street.store.balance(visitor_account(vid)) == 5
        entries = await street.store.entries(visitor_account(vid))
        assert [e.transfer.amount for e in entries] == [5]
        assert (await street.store.audit()).ok
        for t in tabs:
            await t.close()


async def test_leaderboard_pushes_come_at_most_once_a_second(tmp_path: Path) -> None:
    async with open_street(tmp_path) as street:
        watcher = await Walker.join(street.url, "ผู้ชม", *visitor(6))
        loop = asyncio.get_running_loop()
        arrivals: list[float] = []

        async def collect() -> None:
            while True:
                await watcher.client.next(Leaderboard, where=lambda m: m.cid is None)
                arrivals.append(loop.time())

        # every push is timed as it arrives, from the moment of following: one taken from the
        # inbox later (after the learners' proofs of work, over a second) would look like a
        # push that came right before the next one
        collector = asyncio.create_task(collect())
        await watcher.ask(LeaderboardGet())
        learners = [await Walker.join(street.url, f"คน{i}", *visitor(10 + i)) for i in range(3)]
        await asyncio.gather(*(learner.walk(Q_GATE_1) for learner in learners))
        changes = 1  # following pushes the boards once
        for i, learner in enumerate(learners):  # six changes over about 1.2 s
            await learner.ask(QuizOpen("q-gate-1"))
            await learner.ask(QuizAnswer("q-gate-1", 0))
            await learner.ask(SetNickname(f"ผู้เรียน {i}"))
            changes += 2
            await asyncio.sleep(0.4)
        await asyncio.sleep(1.5)
        collector.cancel()
        gaps = [b - a for a, b in itertools.pairwise(arrivals)]
        assert 2 <= len(arrivals) < changes, arrivals
        assert all(g > 0.9 for g in gaps), gaps
        final = await watcher.ask(LeaderboardGet(follow=False))
        assert isinstance(final, Leaderboard)
        assert sorted(e.name for e in final.entries) == ["ผู้เรียน 0", "ผู้เรียน 1", "ผู้เรียน 2"]
        assert street.app[PUMP].street.followers == set()
        for w in (watcher, *learners):
            await w.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    why = redis_servers.available()
    if why:
        pytest.skip(why)
    server = redis_servers.start_server(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_tokens_and_coupons_follow_the_visitor_on_either_store(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    async with open_street(tmp_path, store=url) as street:
        vid, secret = visitor(51)
        me = await Walker.join(street.url, "ลูกค้า", vid, secret)
        await me.walk(Q_GATE_1)
        await me.ask(QuizOpen("q-gate-1"))
        await me.ask(QuizAnswer("q-gate-1", 0))
        await me.close()

        store = street.store  # the shop's side, as the booth pages would do it
        await store.grant_slot("B01", "auntie-daeng", "ร้านป้าแดง", 0.0)
        await store.save_booth_draft("B01", "auntie-daeng", config(promotion(cost=10)), 0.0)
        await store.publish_booth("B01", "auntie-daeng", 0.0)
        coupon = (
            await store.redeem(redemption(vid, "key-00000001", expected_cost=10), secret)
        ).coupon

        back = await Walker.join(street.url, "ลูกค้า", vid, secret)
        wallet = await back.wallet()
        assert wallet.balance == 0 and [c.code for c in wallet.coupons] == [coupon.code]
        assert wallet.coupons[0].title.th == "ชาไทยฟรี 1 แก้ว"
        again = await back.ask(WalletGet())
        assert again == Wallet(0, wallet.coupons, cid=again.cid)
        await back.close()
