"""The dialogue space (สานเสวนา): the city asks about a project, visitors vote and write.

Rules only, no I/O. A :class:`Question` is the city's (made in the console, kept in the store):
a short title and description in Thai and English, a poll of 2–6 options and/or written
opinions, and the time it is open. A visitor takes part standing near the Municipality:

* a **vote**, one per visitor and question; voting again *changes* the vote until the question
  closes (people change their minds in a dialogue; the count stays one per visitor);
* one **opinion** (at most :data:`~srichan_world.protocol.limits.OPINION_MAX_CHARS`), checked
  by the chat line's text rules (:mod:`srichan_world.world.names`: no invisible or control
  characters) with the city's word list masked, never dropped;
* **support** for other visitors' opinions, once each, never one's own.

The first part taken in a question pays :func:`participation_award` once. Results (votes per
option, the opinions most supported first, hidden ones left out) are shown to a visitor who
took part, and to everyone once the question has closed (:func:`results_visible`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from srichan_world.errors import Refused
from srichan_world.protocol import limits as L
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Text
from srichan_world.world.awards import Award
from srichan_world.world.chatfilter import WordFilter
from srichan_world.world.names import clean_text

MUNICIPALITY = "khon-kaen-municipality"
"""The landmark the dialogue stands at (its footprint measures the reach)."""
TITLE_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 600
OPTION_MAX_CHARS = 80
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

UPCOMING, OPEN, CLOSED = 0, 1, 2
"""A question's state at a moment (on the wire as a number)."""


@dataclass(frozen=True)
class Question:
    """One question of the city, as the operators wrote it. Times are Unix seconds."""

    id: str
    title: Text
    description: Text
    options: tuple[Text, ...]
    """The poll's options (empty: no poll)."""
    opinions: bool
    """Visitors may write an opinion."""
    opens_at: float
    closes_at: float
    reward: int = 2
    """Tokens for taking part (once per visitor), at most ``DIALOGUE_REWARD_MAX``."""

    def state(self, now: float) -> int:
        if now < self.opens_at:
            return UPCOMING
        return OPEN if now < self.closes_at else CLOSED

    def closed(self, now: float) -> Question:
        """The question closed at ``now`` (already closed: unchanged)."""
        return replace(self, closes_at=min(self.closes_at, now), opens_at=min(self.opens_at, now))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": _text_json(self.title),
            "description": _text_json(self.description),
            "options": [_text_json(o) for o in self.options],
            "opinions": self.opinions,
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "reward": self.reward,
        }

    @classmethod
    def from_json(cls, data: object) -> Question:
        """A question from the console's JSON, or ``ValueError`` naming the first bad field."""
        if not isinstance(data, dict):
            raise ValueError("a question is a JSON object")
        qid = data.get("id")
        if not isinstance(qid, str) or not _ID.match(qid):
            raise ValueError("id: 1–63 of a-z, 0-9 and '-', starting with a letter or digit")
        options = data.get("options", [])
        if not isinstance(options, list):
            raise ValueError("options: a list of {th, en}")
        if options and not L.DIALOGUE_OPTIONS_MIN <= len(options) <= L.DIALOGUE_OPTIONS_MAX:
            raise ValueError(f"options: {L.DIALOGUE_OPTIONS_MIN}–{L.DIALOGUE_OPTIONS_MAX}, or none")
        opinions = data.get("opinions", True)
        if not isinstance(opinions, bool):
            raise ValueError("opinions: true or false")
        if not options and not opinions:
            raise ValueError("a question takes a poll, opinions, or both")
        opens, closes = _time(data.get("opens_at")), _time(data.get("closes_at"))
        if opens is None or closes is None or not opens < closes:
            raise ValueError("opens_at and closes_at: Unix seconds, opening before closing")
        reward = data.get("reward", 2)
        if type(reward) is not int or not 0 <= reward <= L.DIALOGUE_REWARD_MAX:
            raise ValueError(f"reward: a whole number of tokens 0–{L.DIALOGUE_REWARD_MAX}")
        return cls(
            qid,
            _text(data.get("title"), "title", TITLE_MAX_CHARS),
            _text(data.get("description"), "description", DESCRIPTION_MAX_CHARS),
            tuple(_text(o, f"options[{i}]", OPTION_MAX_CHARS) for i, o in enumerate(options)),
            opinions,
            opens,
            closes,
            reward,
        )


def _time(value: object) -> float | None:
    if type(value) in (int, float) and 0 <= value < 2**40:  # type: ignore[operator]
        return float(value)  # type: ignore[arg-type]
    return None


def _text_json(text: Text) -> dict[str, str]:
    return {"th": text.th, "en": text.en}


def _text(value: object, where: str, limit: int) -> Text:
    """Thai and English, each 1–``limit`` characters of the chat line's text rules."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: {{th, en}}")
    out = []
    for lang in ("th", "en"):
        raw = value.get(lang)
        text = clean_text(raw, limit)[0] if isinstance(raw, str) else None
        if text is None:
            raise ValueError(f"{where}.{lang}: 1–{limit} characters, no control characters")
        out.append(text)
    return Text(out[0], out[1])


@dataclass(frozen=True)
class Opinion:
    """One visitor's opinion on a question, as the store keeps it."""

    question_id: str
    number: int
    """1, 2, … in the order written, per question."""
    visitor_id: str
    name: str
    """The visitor's nickname when they wrote it."""
    text: str
    """As cleaned and masked (the words the city listed are ``*``)."""
    at: float
    supports: int = 0
    hidden: bool = False
    """Hidden by a moderator: left out of every result and count shown."""

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "text": self.text,
            "at": self.at,
            "supports": self.supports,
            "hidden": self.hidden,
        }


@dataclass(frozen=True)
class Tally:
    """A question's results as the store holds them."""

    votes: dict[int, int]
    """Option index → votes (options with none are absent)."""
    opinions: tuple[Opinion, ...]
    """Every opinion, hidden ones included, in the order written."""

    def counts(self, question: Question) -> tuple[int, ...]:
        return tuple(self.votes.get(i, 0) for i in range(len(question.options)))

    def shown(self, limit: int = L.DIALOGUE_OPINIONS_SHOWN) -> tuple[Opinion, ...]:
        """Visible opinions, most supported first (then the earliest)."""
        visible = [o for o in self.opinions if not o.hidden]
        return tuple(sorted(visible, key=lambda o: (-o.supports, o.number))[:limit])


@dataclass(frozen=True)
class Part:
    """What one visitor did in one question."""

    vote: int | None = None
    opinion: int | None = None
    """The number of their opinion."""
    supported: frozenset[int] = frozenset()

    @property
    def took_part(self) -> bool:
        return self.vote is not None or self.opinion is not None


def results_visible(question: Question, part: Part, now: float) -> bool:
    """Results are shown after taking part (not to sway a first vote), and to all at close."""
    return part.took_part or question.state(now) == CLOSED


def check_open(question: Question, now: float) -> None:
    if question.state(now) != OPEN:
        raise Refused(ErrorCode.QUESTION_NOT_OPEN, f"{question.id} is not open now")


def check_vote(question: Question, option: int, now: float) -> None:
    check_open(question, now)
    if not 0 <= option < len(question.options):
        raise Refused(ErrorCode.BAD_OPTION, f"{question.id} has no option {option}")


def clean_opinion(question: Question, raw: str, words: WordFilter, now: float) -> str:
    """The opinion as kept: the chat line's text rules at the opinion's length, then the
    city's word list masked (never dropped); ``Refused`` otherwise."""
    check_open(question, now)
    if not question.opinions:
        raise Refused(ErrorCode.NO_OPINIONS, f"{question.id} takes no written opinions")
    text, why = clean_text(raw, L.OPINION_MAX_CHARS)
    if text is None:
        code = ErrorCode.TEXT_TOO_LONG if why == "too_long" else ErrorCode.BAD_TEXT
        raise Refused(code, f"an opinion is 1–{L.OPINION_MAX_CHARS} characters of plain text")
    return words.mask(text)


def check_support(
    question: Question, tally: Tally, number: int, visitor_id: str, now: float
) -> None:
    check_open(question, now)
    opinion = find_opinion(tally, number)
    if opinion.visitor_id == visitor_id:
        raise Refused(ErrorCode.OWN_OPINION, "support other visitors' opinions, not your own")


def find_opinion(tally: Tally, number: int) -> Opinion:
    for opinion in tally.opinions:
        if opinion.number == number and not opinion.hidden:
            return opinion
    raise Refused(ErrorCode.UNKNOWN_OPINION, f"no opinion {number} here")


def participation_award(question: Question, visitor_id: str, now: float, daily_cap: int) -> Award:
    """The reward for taking part: once per visitor and question (the store pays a key once),
    at most ``DIALOGUE_REWARD_MAX``, within the day's learning cap."""
    amount = min(question.reward, L.DIALOGUE_REWARD_MAX)
    return Award(visitor_id, f"dialogue:{question.id}", amount, "dialogue", now, daily_cap)


def export_json(question: Question, tally: Tally) -> dict[str, Any]:
    """The results for the city: counts per option and every opinion (hidden ones marked),
    without visitor ids (the names shown on the street only)."""
    counts = tally.counts(question)
    return {
        "question": question.to_json(),
        "votes": [
            {"option": i, "th": o.th, "en": o.en, "votes": counts[i]}
            for i, o in enumerate(question.options)
        ],
        "opinions": [o.to_json() for o in tally.opinions],
    }


def export_csv(question: Question, tally: Tally) -> str:
    """The same as :func:`export_json` as one CSV table: a row per option, then per opinion."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["kind", "number", "text_th", "text_en", "count", "hidden", "at"])
    for i, (o, n) in enumerate(zip(question.options, tally.counts(question), strict=True)):
        w.writerow(["option", i, o.th, o.en, n, "", ""])
    for op in tally.opinions:
        w.writerow(["opinion", op.number, op.text, "", op.supports, int(op.hidden), op.at])
    return out.getvalue()


def dumps(question: Question) -> str:
    return json.dumps(question.to_json(), ensure_ascii=False, sort_keys=True)


def loads(raw: str) -> Question:
    return Question.from_json(json.loads(raw))
