"""The dialogue space's messages (types 108–114): the city's questions at the Municipality.

Kept apart from :mod:`srichan_world.protocol.messages` (which registers them) so each module
stays small; the wire form is the same ``[type, cid, *fields]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from srichan_world.protocol import limits as L
from srichan_world.protocol.base import BILINGUAL as _BILINGUAL
from srichan_world.protocol.base import COUNT as _COUNT
from srichan_world.protocol.base import ID as _ID
from srichan_world.protocol.base import U8 as _U8
from srichan_world.protocol.base import Message
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.fields import Bool, Int, Opt, Rec, Seq, Str
from srichan_world.scene.model import Text

_OPTION = Int(0, L.DIALOGUE_OPTIONS_MAX - 1)


@dataclass(frozen=True)
class OpinionRow:
    """One opinion as visitors see it (hidden ones never are)."""

    number: Annotated[int, _COUNT]
    name: Annotated[str, Str(L.NAME_MAX_CHARS)]
    text: Annotated[str, Str(L.OPINION_MAX_CHARS)]
    supports: Annotated[int, _COUNT]
    mine: Annotated[bool, Bool()]
    supported: Annotated[bool, Bool()]
    """This visitor supports it."""


@dataclass(frozen=True)
class QuestionCard:
    """One question of the city, this visitor's part in it and, when shown, its results."""

    id: Annotated[str, _ID]
    title: Annotated[Text, _BILINGUAL]
    description: Annotated[Text, _BILINGUAL]
    options: Annotated[tuple[Text, ...], Seq(_BILINGUAL, L.DIALOGUE_OPTIONS_MAX)]
    opinions: Annotated[bool, Bool()]
    """Written opinions are taken."""
    opens_at: Annotated[int, _COUNT]
    closes_at: Annotated[int, _COUNT]
    """Unix seconds."""
    state: Annotated[int, _U8]
    """0 upcoming, 1 open, 2 closed."""
    reward: Annotated[int, _COUNT]
    my_vote: Annotated[int | None, Opt(_OPTION)] = None
    my_opinion: Annotated[int | None, Opt(_COUNT)] = None
    votes: Annotated[tuple[int, ...] | None, Opt(Seq(_COUNT, L.DIALOGUE_OPTIONS_MAX))] = None
    """Votes per option, when the results are shown (after taking part, or after close)."""
    shown: Annotated[
        tuple[OpinionRow, ...] | None, Opt(Seq(Rec(OpinionRow), L.DIALOGUE_OPINIONS_SHOWN))
    ] = None
    """The opinions most supported first, when the results are shown."""


@dataclass(frozen=True)
class DialogueGet(Message):
    TYPE = MsgType.DIALOGUE_GET
    question: Annotated[str | None, Opt(_ID)] = None
    """One question, or every question kept (``None``)."""


@dataclass(frozen=True)
class Dialogue(Message):
    TYPE = MsgType.DIALOGUE
    questions: Annotated[tuple[QuestionCard, ...], Seq(Rec(QuestionCard), L.DIALOGUE_QUESTIONS_MAX)]
    """Open first, then upcoming, then closed (each by closing time)."""


@dataclass(frozen=True)
class DialogueVote(Message):
    TYPE = MsgType.DIALOGUE_VOTE
    question: Annotated[str, _ID]
    option: Annotated[int, _OPTION]


@dataclass(frozen=True)
class DialogueOpinion(Message):
    TYPE = MsgType.DIALOGUE_OPINION
    question: Annotated[str, _ID]
    text: Annotated[str, Str(L.MAX_STR_CHARS)]
    """Trimmed, at most ``OPINION_MAX_CHARS`` (the codec's bound is the general one, so a long
    opinion is answered ``text_too_long`` rather than closing the socket)."""


@dataclass(frozen=True)
class DialogueSupport(Message):
    TYPE = MsgType.DIALOGUE_SUPPORT
    question: Annotated[str, _ID]
    opinion: Annotated[int, _COUNT]


@dataclass(frozen=True)
class DialogueReport(Message):
    TYPE = MsgType.DIALOGUE_REPORT
    question: Annotated[str, _ID]
    opinion: Annotated[int, _COUNT]
    reason: Annotated[int, _U8]
    note: Annotated[str | None, Opt(Str(L.REPORT_NOTE_MAX_CHARS))] = None


@dataclass(frozen=True)
class DialogueThanks(Message):
    TYPE = MsgType.DIALOGUE_THANKS
    question: Annotated[str, _ID]
    reward: Annotated[int, _COUNT]
    """Tokens paid (0: the daily cap was reached)."""
    balance: Annotated[int, _COUNT]


DIALOGUE_MESSAGES: tuple[type[Message], ...] = (
    DialogueGet,
    Dialogue,
    DialogueVote,
    DialogueOpinion,
    DialogueSupport,
    DialogueReport,
    DialogueThanks,
)
DIALOGUE_CLIENT_TYPES = frozenset(
    {
        MsgType.DIALOGUE_GET,
        MsgType.DIALOGUE_VOTE,
        MsgType.DIALOGUE_OPINION,
        MsgType.DIALOGUE_SUPPORT,
        MsgType.DIALOGUE_REPORT,
    }
)
