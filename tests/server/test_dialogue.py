"""The dialogue space end to end: scripted visitors on the real server (real sockets, SQLite
and a real Redis) read the city's question, vote once (a second vote changes it), write one
filtered opinion, support another's once, report one to the moderators' queue, and are paid
once for taking part. Every bad input is refused with its code and never harms another."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.keys import MODERATION, PUMP
from server.ws.client import ServerError
from srichan_world.protocol.codes import ErrorCode, ReportReason, ReportTarget
from srichan_world.protocol.dialogue_messages import (
    Dialogue,
    DialogueGet,
    DialogueOpinion,
    DialogueReport,
    DialogueSupport,
    DialogueThanks,
    DialogueVote,
)
from srichan_world.protocol.messages import Message, Reported, WalletGet
from srichan_world.scene.manifest import Manifest
from srichan_world.scene.model import Text
from srichan_world.street.dialogue import DialogueDesk
from srichan_world.world import xapi
from srichan_world.world.dialogue import Question
from srichan_world.world.moderation import Sanction
from tests.server.learning_fixtures import Q_MUSEUM_1, Street, Walker, open_street, visitor
from tools import redis_servers

NOW = time.time()
QUESTION = Question(
    "sri-chan-walking-street",
    Text("ถนนคนเดินศรีจันทร์", "Sri Chan walking street"),
    Text("ปิดถนนให้คนเดินเย็นวันเสาร์", "Close the road to cars on Saturday evenings"),
    (Text("เห็นด้วย", "Agree"), Text("ไม่เห็นด้วย", "Disagree"), Text("ไม่แน่ใจ", "Not sure")),
    True,
    NOW - 60,
    NOW + 3600,
    reward=3,
)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    why = redis_servers.available()
    if why:
        pytest.skip(why)
    server = redis_servers.start_server(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


def at_the_museum(street: Street, build: Path) -> None:
    """The small scene has no Municipality: the dialogue stands at its museum here."""
    s = street.app[PUMP].street
    assert s.moderation is not None
    raw = json.loads((build / "srichan.manifest.json").read_text(encoding="utf-8"))
    (museum,) = (lm for lm in Manifest.parse(raw).landmarks if lm.id == "museum")
    footprints = museum.footprints
    s.dialogue = DialogueDesk(footprints, s.moderation.guard, 100)


async def refused(walker: Walker, message: Message) -> int:
    with pytest.raises(ServerError) as info:
        await walker.ask(message)
    return info.value.error.code


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def test_scripted_voters_take_part(
    tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    async with open_street(tmp_path, store=url) as street:
        at_the_museum(street, tmp_path / "build")
        await street.store.put_question(QUESTION)
        await street.app[MODERATION].set_words(("ควาย",), "operator:test")
        ann_id, ann_secret = visitor(1)
        ann = await Walker.join(street.url, "แอน", ann_id, ann_secret)
        ben = await Walker.join(street.url, "เบน", *visitor(2))

        # Reading needs no reach; no results before taking part.
        listed = await ann.ask(DialogueGet())
        assert isinstance(listed, Dialogue) and len(listed.questions) == 1
        card = listed.questions[0]
        assert card.state == 1 and card.options[0].th == "เห็นด้วย" and card.votes is None
        assert await refused(ann, DialogueGet("nope")) == ErrorCode.UNKNOWN_QUESTION
        assert await refused(ann, DialogueVote(QUESTION.id, 0)) == ErrorCode.DIALOGUE_TOO_FAR

        await ann.walk(Q_MUSEUM_1)
        await ben.walk(Q_MUSEUM_1)
        assert await refused(ann, DialogueVote(QUESTION.id, 5)) == ErrorCode.BAD_OPTION
        assert await refused(ann, DialogueVote("nope", 0)) == ErrorCode.UNKNOWN_QUESTION
        voted = await ann.ask(DialogueVote(QUESTION.id, 0))
        assert isinstance(voted, Dialogue)
        assert voted.questions[0].my_vote == 0 and voted.questions[0].votes == (1, 0, 0)
        thanks = await ann.client.next(DialogueThanks)
        assert (thanks.reward, thanks.balance) == (3, 3)
        changed = await ann.ask(DialogueVote(QUESTION.id, 2))
        assert isinstance(changed, Dialogue) and changed.questions[0].votes == (0, 0, 1)

        # One opinion, plain text of at most 280 characters, the city's words masked.
        long_text = "ก" * 281
        assert await refused(ann, DialogueOpinion(QUESTION.id, long_text)) == (
            ErrorCode.TEXT_TOO_LONG
        )
        assert await refused(ann, DialogueOpinion(QUESTION.id, "ดี\u200bมาก")) == ErrorCode.BAD_TEXT
        wrote = await ann.ask(DialogueOpinion(QUESTION.id, "  ดีมาก อย่าเป็นควาย  "))
        assert isinstance(wrote, Dialogue)
        mine = wrote.questions[0].shown
        assert mine is not None and mine[0].text == "ดีมาก อย่าเป็น****" and mine[0].mine
        assert await refused(ann, DialogueOpinion(QUESTION.id, "อีกครั้ง")) == (
            ErrorCode.OPINION_EXISTS
        )
        assert await refused(ann, DialogueOpinion(QUESTION.id, "อีก")) == ErrorCode.RATE_LIMITED

        # Support: once each, never one's own (the opinions show once Ben has voted).
        number = mine[0].number
        await ben.ask(DialogueVote(QUESTION.id, 1))
        assert (await ben.client.next(DialogueThanks)).reward == 3
        assert await refused(ann, DialogueSupport(QUESTION.id, number)) == ErrorCode.OWN_OPINION
        assert await refused(ben, DialogueSupport(QUESTION.id, 99)) == ErrorCode.UNKNOWN_OPINION
        for _ in range(2):
            supported = await ben.ask(DialogueSupport(QUESTION.id, number))
            assert isinstance(supported, Dialogue)
            shown = supported.questions[0].shown
            assert shown is not None and shown[0].supports == 1 and shown[0].supported

        # A report lands in the moderators' queue, quoting the opinion.
        reported = await ben.ask(DialogueReport(QUESTION.id, number, int(ReportReason.HATE)))
        assert isinstance(reported, Reported)
        (filed,) = await street.store.reports()
        assert filed.target == ReportTarget.OPINION and filed.visitor_id == ann_id
        assert filed.said == "ดีมาก อย่าเป็น****" and filed.slot == f"{QUESTION.id}#{number}"

        # A muted visitor may not write (voting is not speaking: Ben may change his vote).
        mute = Sanction.checked("mute", visitor(2)[0], 1, "operator:test", time.time(), 10)
        await street.app[MODERATION].act(mute)
        assert await refused(ben, DialogueOpinion(QUESTION.id, "ขอพูด")) == ErrorCode.MUTED
        again = await ben.ask(DialogueVote(QUESTION.id, 0))
        assert isinstance(again, Dialogue) and again.questions[0].votes == (1, 0, 1)
        wallet = await ann.ask(WalletGet())
        assert getattr(wallet, "balance", None) == 3, "paid once for the vote and the opinion"

        page = await street.store.statements_since(0)
        verbs = sorted(s["verb"]["id"] for s in page.statements if "dialogue" in s["object"]["id"])
        assert verbs == [xapi.COMMENTED, xapi.RESPONDED, xapi.RESPONDED]
        await ann.close()
        await ben.close()
