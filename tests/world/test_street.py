"""The street without sockets or a store: requests become store steps, answered by the test.

A harness plays the pump: it feeds encoded messages in, keeps each session's replies, and
answers each ``Apply`` with a value, a refusal or an outage, as a test script says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.codes import PROTOCOL_VERSION, ErrorCode, MsgType
from srichan_world.protocol.messages import (
    MESSAGES,
    Error,
    Hello,
    Message,
    Nickname,
    QuizOpen,
    Redeem,
    SetNickname,
    Wallet,
    WalletGet,
)
from srichan_world.protocol.work import TokensPending
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, answers, public_manifest
from srichan_world.street.booths import BoothCounter
from srichan_world.street.learning import LearningDesk
from srichan_world.street.pending import PendingDesk
from srichan_world.street.steps import (
    ReadBalance,
    ReadCoupons,
    ReadQuestProgress,
    ReadStanding,
    RegisterVisitor,
    Step,
    StoreUnavailable,
)
from srichan_world.street.steps import (
    SetNickname as SetNicknameStep,
)
from srichan_world.street.street import Apply, Learned, Street, StreetEffect
from srichan_world.world.learning import LearningContent
from srichan_world.world.pending import PendingRule, Standing
from srichan_world.world.presence import PresenceWorld, Send

ALL = frozenset(MESSAGES)
VISITOR = "visitor-street-01"
SECRET = "Zk3_vq9-XbT0pLw8RmY2sA"
WALL = 1_778_300_000.0


@dataclass
class Visitor:
    id: str
    nickname: str | None = None


@dataclass
class Harness:
    street: Street
    inbox: dict[int, list[Message]] = field(default_factory=dict)
    steps: list[tuple[int, Step]] = field(default_factory=list)
    """Store steps asked for and not yet answered, oldest first."""
    learned: list[Learned] = field(default_factory=list)

    def take(self, effects: list[StreetEffect] | tuple[StreetEffect, ...]) -> None:
        for e in effects:
            if isinstance(e, Send):
                self.inbox.setdefault(e.session, []).append(decode(e.data, ALL, None))
            elif isinstance(e, Apply):
                self.steps.append((e.job, e.step))
            elif isinstance(e, Learned):
                self.learned.append(e)

    def join(self, session: int, identity: bool = True) -> None:
        self.take(self.street.connect(session, 0.0))
        hello = Hello(
            PROTOCOL_VERSION,
            "แก่น",
            (1, 2, 3),
            None,
            VISITOR if identity else None,
            SECRET if identity else None,
            cid=7,
        )
        self.send(session, hello)

    def send(self, session: int, message: Message) -> None:
        self.take(self.street.receive(session, encode(message), 0.0, WALL))

    def answer(self, result: object, job: int | None = None) -> Step:
        """Answer the oldest open step (of ``job``) with ``result`` (an exception: a failure)."""
        index = next(i for i, (j, _) in enumerate(self.steps) if job is None or j == job)
        job, step = self.steps.pop(index)
        if isinstance(result, (Refused, StoreUnavailable)):
            self.take(self.street.failed(job, result, WALL))
        else:
            self.take(self.street.stored(job, result, WALL))
        return step

    def enter(self, session: int) -> None:
        """Let a hello's steps succeed: a known visitor, no quests, a balance of 5."""
        for result in (Visitor(VISITOR), {}, 5, ()):
            self.answer(result, session)
        assert isinstance(self.inbox[session][-1], Message)

    def replies(self, session: int, kind: type[Message]) -> list[Message]:
        return [m for m in self.inbox.get(session, []) if isinstance(m, kind)]


@pytest.fixture
def harness(small_scene_text: str) -> Harness:
    scene = load_scene_text(small_scene_text)
    manifest = Manifest.parse(public_manifest(scene))
    content = LearningContent.from_compiled(manifest, answers(scene))
    slots = {b.id: b.position for b in manifest.booth_slots}
    world = PresenceWorld(manifest)
    return Harness(Street(world, LearningDesk(content), BoothCounter(slots)))


def test_a_hello_becomes_store_steps_and_then_the_wallet(harness: Harness) -> None:
    harness.join(1)
    assert [type(s) for _, s in harness.steps] == [RegisterVisitor]
    for result, following in (
        (Visitor(VISITOR), ReadQuestProgress),
        ({}, ReadBalance),
        (5, ReadCoupons),
    ):
        harness.answer(result)
        assert isinstance(harness.steps[0][1], following)
    harness.answer(())
    assert harness.replies(1, Wallet) == [Wallet(5, (), cid=7)], "the reply echoes the cid"


def test_a_sessions_requests_run_one_at_a_time_in_order(harness: Harness) -> None:
    harness.join(1)
    harness.enter(1)
    harness.send(1, SetNickname("น้องแก่น", cid=1))
    harness.send(1, WalletGet(cid=2))
    assert [type(s) for _, s in harness.steps] == [SetNicknameStep], "the wallet waits its turn"
    harness.answer(Visitor(VISITOR, "น้องแก่น"))
    assert harness.replies(1, Nickname) == [Nickname("น้องแก่น", cid=1)]
    assert [type(s) for _, s in harness.steps] == [ReadBalance]
    harness.answer(40)
    harness.answer(())
    assert harness.replies(1, Wallet)[-1] == Wallet(40, (), cid=2)


def test_a_refused_step_is_an_error_reply_and_the_session_goes_on(harness: Harness) -> None:
    harness.join(1)
    harness.answer(Refused(ErrorCode.BAD_IDENTITY, "this visitor id has another secret"))
    (error,) = harness.replies(1, Error)
    assert error.code == ErrorCode.BAD_IDENTITY and error.cid == 7
    harness.send(1, WalletGet(cid=3))
    (error, again) = harness.replies(1, Error)
    assert again.code == ErrorCode.NO_IDENTITY and again.cid == 3
    assert harness.steps == []


def test_a_hello_that_met_an_outage_is_entered_before_the_next_request(
    harness: Harness,
) -> None:
    harness.join(1)
    harness.answer(StoreUnavailable("redis: down"))
    (error,) = harness.replies(1, Error)
    assert error.code == ErrorCode.STORE_UNAVAILABLE and error.cid == 7
    harness.send(1, SetNickname("น้องแก่น", cid=4))
    assert isinstance(harness.steps[0][1], RegisterVisitor), "the hello is tried again first"
    harness.enter(1)
    assert isinstance(harness.steps[0][1], SetNicknameStep)
    harness.answer(Visitor(VISITOR, "น้องแก่น"))
    assert harness.replies(1, Nickname) == [Nickname("น้องแก่น", cid=4)]


def test_recovery_enters_the_sessions_still_waiting_but_not_those_that_left(
    harness: Harness,
) -> None:
    for session in (1, 2, 3):
        harness.join(session)
        harness.answer(StoreUnavailable("redis: down"))
    harness.take(harness.street.disconnect(3, 1.0))
    harness.take(harness.street.recovered(WALL))
    assert [job for job, _ in harness.steps] == [1, 2]
    assert all(isinstance(step, RegisterVisitor) for _, step in harness.steps)
    harness.enter(1)
    assert harness.replies(1, Wallet) == [Wallet(5, (), cid=7)]
    harness.take(harness.street.recovered(WALL))
    assert [job for job, _ in harness.steps] == [2], "entered sessions are not entered again"


def test_a_step_that_broke_answers_internal_and_the_next_request_runs(
    harness: Harness,
) -> None:
    harness.join(1)
    harness.enter(1)
    harness.send(1, SetNickname("น้องแก่น", cid=5))
    harness.send(1, WalletGet(cid=6))
    job, _step = harness.steps.pop(0)
    harness.take(harness.street.broke(job, WALL))
    (error,) = harness.replies(1, Error)
    assert error.code == ErrorCode.INTERNAL and error.cid == 5
    assert [type(s) for _, s in harness.steps] == [ReadBalance]


def test_a_program_of_a_session_that_left_is_dropped(harness: Harness) -> None:
    harness.join(1)
    harness.take(harness.street.disconnect(1, 1.0))
    harness.answer(Visitor(VISITOR))
    assert harness.steps == [] and harness.replies(1, Wallet) == []


def test_a_presence_only_street_says_unsupported_with_the_cid(small_scene_text: str) -> None:
    world = PresenceWorld(Manifest.parse(public_manifest(load_scene_text(small_scene_text))))
    harness = Harness(Street(world))
    harness.join(1, identity=False)
    assert harness.inbox[1][0].TYPE == MsgType.WELCOME and len(harness.inbox[1]) == 1
    harness.send(1, QuizOpen("q-gate-1", cid=9))
    (error,) = harness.replies(1, Error)
    assert error.code == ErrorCode.UNSUPPORTED and error.cid == 9


def test_a_bot_without_identity_is_presence_only(harness: Harness) -> None:
    harness.join(1, identity=False)
    assert harness.steps == [] and harness.replies(1, Error) == []


def test_one_name_the_stored_nickname_goes_on_the_avatar(harness: Harness) -> None:
    harness.join(1)
    for result in (Visitor(VISITOR, "น้องแก่น"), {}, 5, ()):
        harness.answer(result, 1)
    avatar = harness.street.world.sessions[1].avatar
    assert avatar is not None and avatar.name == "น้องแก่น", "entered with the stored name"
    assert harness.replies(1, Nickname) == [Nickname("น้องแก่น", cid=7)]
    harness.send(1, SetNickname("ยายคำ", cid=8))
    harness.answer(Visitor(VISITOR, "ยายคำ"))
    assert avatar.name == "ยายคำ"
    assert harness.replies(1, Nickname)[-1] == Nickname("ยายคำ", cid=8)


def test_a_redeem_before_the_identity_was_checked_is_refused_first(harness: Harness) -> None:
    harness.join(1)  # the hello's RegisterVisitor step is still open
    harness.send(1, Redeem("B01", "free0tea", "redeem-key-0001", cid=11))
    harness.answer(Refused(ErrorCode.BAD_IDENTITY, "another secret"), 1)
    errors = harness.replies(1, Error)
    assert [e.code for e in errors] == [ErrorCode.BAD_IDENTITY, ErrorCode.NO_IDENTITY]
    assert errors[-1].cid == 11 and harness.steps == [], "nothing reached the store"


@pytest.fixture
def ruled(small_scene_text: str) -> Harness:
    """The street with the pending rule (3 quizzes, 10 minutes)."""
    scene = load_scene_text(small_scene_text)
    manifest = Manifest.parse(public_manifest(scene))
    content = LearningContent.from_compiled(manifest, answers(scene))
    slots = {b.id: b.position for b in manifest.booth_slots}
    desk = PendingDesk(PendingRule())
    return Harness(
        Street(PresenceWorld(manifest), LearningDesk(content), BoothCounter(slots), pending=desk)
    )


def test_a_newcomers_wallet_is_followed_by_what_is_left(ruled: Harness) -> None:
    ruled.join(1)
    ruled.enter(1)
    assert isinstance(ruled.answer(Standing(True, WALL - 60, 1)), ReadStanding)
    assert ruled.replies(1, TokensPending) == [TokensPending(2, 540.0, 3, 10.0, cid=7)]
    ruled.send(1, WalletGet(cid=8))
    ruled.answer(5)
    ruled.answer(())
    ruled.answer(Standing(False, WALL - 60, 0))  # an older visitor is told nothing
    assert len(ruled.replies(1, TokensPending)) == 1 and not ruled.steps


def test_an_outage_reading_the_standing_loses_nothing_the_request_did(ruled: Harness) -> None:
    ruled.join(1)
    ruled.enter(1)
    ruled.answer(StoreUnavailable("redis: down"))
    assert ruled.replies(1, Wallet) == [Wallet(5, (), cid=7)], "the wallet still comes"
    assert not ruled.replies(1, TokensPending) and not ruled.replies(1, Error)


def test_a_redeem_with_pending_tokens_is_refused_before_the_store_step(ruled: Harness) -> None:
    ruled.join(1)
    ruled.enter(1)
    ruled.answer(Standing(True, WALL, 3))
    ruled.send(1, Redeem("B01", "free0tea", "pending-key-01", 10, cid=9))
    assert isinstance(ruled.answer(Standing(True, WALL, 3)), ReadStanding)
    (error,) = ruled.replies(1, Error)
    assert (error.code, error.cid) == (ErrorCode.TOKENS_PENDING, 9)
    assert "(retry in 600 s)" in error.message and not ruled.steps, "no Redeem step"
