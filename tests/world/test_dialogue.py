"""The dialogue rules without a store: a question's checks and states, an opinion's text
rules and mask, who sees the results, the capped reward, and the city's export."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.limits import DIALOGUE_REWARD_MAX, OPINION_MAX_CHARS
from srichan_world.scene.model import Text
from srichan_world.world import dialogue
from srichan_world.world.chatfilter import WordFilter
from srichan_world.world.dialogue import Opinion, Part, Question, Tally

T0 = 1_800_000_000.0
Q = Question(
    "light-rail",
    Text("รถไฟฟ้ารางเบา", "Light rail"),
    Text("สายแรก", "The first line"),
    (Text("เห็นด้วย", "Agree"), Text("ไม่เห็นด้วย", "Disagree")),
    True,
    T0,
    T0 + 100,
)
WORDS = WordFilter(["ควาย"])


def test_a_question_goes_through_json_and_its_states() -> None:
    assert dialogue.loads(dialogue.dumps(Q)) == Q
    assert [Q.state(t) for t in (T0 - 1, T0, T0 + 99, T0 + 100)] == [0, 1, 1, 2]
    closed = Q.closed(T0 + 10)
    assert closed.state(T0 + 10) == dialogue.CLOSED and Q.closed(T0 + 500).closes_at == T0 + 100


def test_an_opinion_is_trimmed_masked_and_bounded() -> None:
    assert dialogue.clean_opinion(Q, "  ดี ไม่ใช่ควาย ", WORDS, T0) == "ดี ไม่ใช่****"
    for raw, code in [
        ("ก" * (OPINION_MAX_CHARS + 1), ErrorCode.TEXT_TOO_LONG),
        ("ดี\u202emะ", ErrorCode.BAD_TEXT),
        ("   ", ErrorCode.BAD_TEXT),
    ]:
        with pytest.raises(Refused) as caught:
            dialogue.clean_opinion(Q, raw, WORDS, T0)
        assert caught.value.code == code
    with pytest.raises(Refused) as late:
        dialogue.clean_opinion(Q, "ดี", WORDS, T0 + 100)
    assert late.value.code == ErrorCode.QUESTION_NOT_OPEN


def test_votes_support_and_results() -> None:
    with pytest.raises(Refused) as bad:
        dialogue.check_vote(Q, 2, T0)
    assert bad.value.code == ErrorCode.BAD_OPTION
    tally = Tally(
        {1: 3},
        (Opinion(Q.id, 1, "a", "A", "x", T0, 2), Opinion(Q.id, 2, "b", "B", "y", T0, 5, True)),
    )
    assert tally.counts(Q) == (0, 3) and [o.number for o in tally.shown()] == [1]
    with pytest.raises(Refused) as own:
        dialogue.check_support(Q, tally, 1, "a", T0)
    assert own.value.code == ErrorCode.OWN_OPINION
    with pytest.raises(Refused) as hidden:
        dialogue.check_support(Q, tally, 2, "c", T0)
    assert hidden.value.code == ErrorCode.UNKNOWN_OPINION, "a hidden opinion is not there"
    assert not dialogue.results_visible(Q, Part(), T0)
    assert dialogue.results_visible(Q, Part(vote=0), T0)
    assert dialogue.results_visible(Q, Part(), T0 + 100), "everyone sees them after close"


def test_the_reward_is_capped() -> None:
    award = dialogue.participation_award(replace(Q, reward=99), "a", T0, 50)
    assert award.amount == DIALOGUE_REWARD_MAX and award.key == "dialogue:light-rail"


def test_the_export_has_counts_and_every_opinion_without_ids() -> None:
    tally = Tally({0: 2}, (Opinion(Q.id, 1, "visitor-1", "เอ", "ดี, มาก", T0, 1, True),))
    data = dialogue.export_json(Q, tally)
    assert [v["votes"] for v in data["votes"]] == [2, 0]
    assert data["opinions"][0]["hidden"] and "visitor-1" not in str(data)
    rows = list(csv.reader(io.StringIO(dialogue.export_csv(Q, tally))))
    assert rows[1][:5] == ["option", "0", "เห็นด้วย", "Agree", "2"]
    assert rows[3][:6] == ["opinion", "1", "ดี, มาก", "", "1", "1"]


@pytest.mark.parametrize(
    "change",
    [
        {"id": "Bad Id"},
        {"options": [{"th": "ก", "en": "a"}]},
        {"opinions": "yes"},
        {"opens_at": "soon"},
        {"reward": -1},
        {"description": {"th": "ก\u200b", "en": "a"}},
    ],
)
def test_bad_questions_name_the_field(change: dict[str, object]) -> None:
    good = Q.to_json()
    with pytest.raises(ValueError) as caught:
        Question.from_json(good | change)
    assert next(iter(change)) in str(caught.value)
