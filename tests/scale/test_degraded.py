"""Degraded mode without sockets: the health state, the request guard and the learning
service over a store that can be switched off (or made to lose its replies)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from server.health import StoreHealth
from server.services.learning import Entered, Learning
from server.store import Store, StoreError, open_store
from server.ws.guard import RequestGuard
from server.ws.pump import RequestContext
from srichan_world.protocol.codes import ErrorCode, MsgType
from srichan_world.protocol.messages import Error, Hello, Message, Nickname, SetNickname, Wallet
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import answers, public_manifest
from srichan_world.world.learning import LearningContent
from srichan_world.world.ledger import visitor_account
from srichan_world.world.quizzes import Answer, AttemptState, QuizBook, QuizDesk, QuizResult
from srichan_world.world.refusals import Refusal
from tests.world.learning_fixtures import quiz

VISITOR = "visitor-outage-01"
SECRET = "Zk3_vq9-XbT0pLw8RmY2sA"
T0 = 1_778_300_000.0


class FlakyStore:
    """The real store behind a switch: ``down`` refuses every call as an unreachable Redis
    would; ``lose_replies`` does the call, then fails as if the reply never came back."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.down = False
        self.lose_replies = False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise StoreError("redis: Error 111 connecting to 127.0.0.1:6390")
            result = await method(*args, **kwargs)
            if self.lose_replies:
                raise StoreError("redis: Connection reset by peer")
            return result

        return call


@pytest.fixture
def content(small_scene_text: str) -> LearningContent:
    scene = load_scene_text(small_scene_text)
    return LearningContent.from_compiled(public_manifest(scene), answers(scene))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[FlakyStore]:
    inner = await open_store(f"sqlite:///{tmp_path}/outage.db")
    yield FlakyStore(inner)
    await inner.close()


def at(content: LearningContent, quiz_id: str) -> tuple[float, float]:
    return next(q.position for q in content.quiz_points if q.id == quiz_id)


async def test_an_answer_the_store_missed_can_be_sent_again_and_counts_once(
    content: LearningContent, store: FlakyStore
) -> None:
    learning = Learning(content, store)  # type: ignore[arg-type]
    assert isinstance(await learning.enter(1, VISITOR, SECRET, T0), Entered)
    museum = at(content, "q-museum-1")
    await learning.open_quiz(1, "q-museum-1", museum, T0)
    store.down = True
    with pytest.raises(StoreError):
        await learning.answer_quiz(1, "q-museum-1", 0, museum, T0 + 1)
    store.down = False
    again = await learning.answer_quiz(1, "q-museum-1", 0, museum, T0 + 2)
    assert isinstance(again, QuizResult) and again.awarded == 10
    assert await learning.balance(1) == 10

    await learning.open_quiz(1, "q-museum-2", at(content, "q-museum-2"), T0 + 3)
    store.lose_replies = True  # recorded, but the reply was lost on the way back
    with pytest.raises(StoreError):
        await learning.answer_quiz(1, "q-museum-2", 0, at(content, "q-museum-2"), T0 + 4)
    store.lose_replies = False
    replayed = await learning.answer_quiz(1, "q-museum-2", 0, at(content, "q-museum-2"), T0 + 5)
    assert isinstance(replayed, Refusal) and replayed.code == ErrorCode.ANSWER_REPLAYED
    entries = await store.inner.entries(visitor_account(VISITOR))
    assert sorted(e.transfer.amount for e in entries) == [10, 10], "each award paid once"


def test_a_failed_answer_does_not_replace_a_newer_opening() -> None:
    desk = QuizDesk(QuizBook([quiz("q-gate")]))
    desk.open("v1", "q-gate", (0.0, 0.0), T0, AttemptState(), "nonce-one")
    failed = desk.answer("v1", "q-gate", 0, (0.0, 0.0), T0 + 1)
    assert isinstance(failed, Answer) and failed.key.endswith(":nonce-one")
    desk.reopen(failed)
    again = desk.answer("v1", "q-gate", 0, (0.0, 0.0), T0 + 2)
    assert isinstance(again, Answer) and again.key == failed.key, "same opening, same key"
    desk.open("v1", "q-gate", (0.0, 0.0), T0 + 3, AttemptState(), "nonce-two")
    desk.reopen(again)  # a late failure of the older answer
    newer = desk.answer("v1", "q-gate", 0, (0.0, 0.0), T0 + 4)
    assert isinstance(newer, Answer) and newer.key.endswith(":nonce-two")


async def test_a_visit_made_while_the_store_was_away_still_counts(
    content: LearningContent, store: FlakyStore
) -> None:
    learning = Learning(content, store)  # type: ignore[arg-type]
    await learning.enter(1, VISITOR, SECRET, T0)
    (gate, *_), *_ = content.footprints["gate"]
    store.down = True
    with pytest.raises(StoreError):
        await learning.moved(1, gate, T0 + 1)
    with pytest.raises(StoreError):
        await learning.moved(1, (gate[0] + 2.0, gate[1]), T0 + 2)  # still down: still kept
    store.down = False
    (walk,) = await learning.moved(1, (gate[0] + 3.0, gate[1]), T0 + 3)
    assert walk.quest_id == "walk" and walk.done == (0,)
    assert await learning.moved(1, (gate[0] + 4.0, gate[1]), T0 + 4) == ()


async def test_health_goes_down_on_a_failed_probe_and_calls_back_when_it_returns() -> None:
    answers_ok = [True]
    recovered: list[str] = []
    changes: list[bool] = []

    async def probe() -> object:
        if not answers_ok[0]:
            raise StoreError("redis: Error 111")
        return {}

    health = StoreHealth(probe, up_s=60.0, down_s=60.0, clock=lambda: 100.0)
    health.on_change.append(changes.append)

    async def back() -> None:
        recovered.append("back")

    health.on_recovered.append(back)
    assert await health.check() and health.report() == {"store": "ok"}
    answers_ok[0] = False
    watcher = asyncio.create_task(health.run_forever())
    try:
        health.suspect(StoreError("redis: Connection reset by peer"))  # wakes it at once
        async with asyncio.timeout(2):
            while health.up:
                await asyncio.sleep(0.01)
        report = health.report()
        assert report["status"] == "degraded" and report["store"] == "unavailable"
        assert "Error 111" in str(report["store_error"])
        answers_ok[0] = True
        health.suspect(StoreError("a request failed"))
        async with asyncio.timeout(2):
            while not health.up:
                await asyncio.sleep(0.01)
    finally:
        watcher.cancel()
    assert recovered == ["back"] and changes == [False, True]


async def test_a_slow_store_counts_as_down() -> None:
    async def hangs() -> object:
        await asyncio.sleep(10)
        return {}

    health = StoreHealth(hangs, timeout_s=0.05)
    assert not await health.check() and not health.up


@dataclass
class _View:
    session: int


@dataclass
class _World:
    gone: set[int] = field(default_factory=set)

    def view(self, session: int) -> _View | None:
        return None if session in self.gone else _View(session)


@dataclass
class _Pump:
    world: _World = field(default_factory=_World)
    sent: list[tuple[int, Message]] = field(default_factory=list)

    def send(self, session: int, message: Message) -> bool:
        self.sent.append((session, message))
        return True


async def test_the_guard_turns_store_errors_into_retryable_replies_and_enters_late() -> None:
    """A hello that could not reach the store is handled again before the session's next
    request, or when the store comes back; other failures become ``store_unavailable``."""
    down = [True]
    entered: list[int] = []

    async def on_hello(ctx: RequestContext, _msg: Message) -> Sequence[Message]:
        if down[0]:
            raise StoreError("redis: down")
        entered.append(ctx.view.session)
        return [Wallet(7, ())]

    async def on_nickname(ctx: RequestContext, msg: Message) -> Sequence[Message]:
        if down[0]:
            raise StoreError("redis: down")
        assert ctx.view.session in entered, "entered before its first request"
        return [Nickname("แก่น")]

    async def probe() -> object:
        return {}

    handlers: dict[MsgType, Any] = {MsgType.HELLO: on_hello, MsgType.SET_NICKNAME: on_nickname}
    guard = RequestGuard(StoreHealth(probe), handlers)
    handlers = guard.handlers
    pump = _Pump()
    hello = Hello(1, "แก่น", (1, 2, 3), None, VISITOR, SECRET)

    def ctx(session: int) -> RequestContext:
        return RequestContext(_View(session), pump)  # type: ignore[arg-type]

    (reply,) = await handlers[MsgType.HELLO](ctx(1), hello)
    assert isinstance(reply, Error) and reply.code == ErrorCode.STORE_UNAVAILABLE
    await handlers[MsgType.HELLO](ctx(2), hello)
    await handlers[MsgType.HELLO](ctx(3), hello)
    assert set(guard.pending) == {1, 2, 3}
    (reply,) = await handlers[MsgType.SET_NICKNAME](ctx(1), SetNickname("แก่น"))
    assert isinstance(reply, Error) and reply.code == ErrorCode.STORE_UNAVAILABLE

    down[0] = False
    (reply,) = await handlers[MsgType.SET_NICKNAME](ctx(1), SetNickname("แก่น"))
    assert isinstance(reply, Nickname) and pump.sent == [(1, Wallet(7, ()))]
    pump.world.gone.add(3)  # left meanwhile
    await guard.forget(2)
    await guard.retry_pending()
    assert entered == [1] and guard.pending == {}
    await handlers[MsgType.HELLO](ctx(2), hello)
    await guard.retry_pending()
    assert entered == [1, 2]
