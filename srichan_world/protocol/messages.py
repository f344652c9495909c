"""One frozen dataclass per message, its wire fields declared in order with their kinds.

On the wire a message is the msgpack array ``[type, cid, field1, field2, ...]`` where ``cid``
is ``nil`` or the uint32 client id of the request it answers. Units: metres (float) and degrees
(float) in requests and replies; centimetres (int) and heading bytes in presence frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from srichan_world.protocol import limits as L
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.fields import (
    Bilingual,
    Bool,
    Data,
    Float,
    Int,
    Kind,
    Opt,
    ProtocolError,
    Rec,
    Seq,
    Str,
)
from srichan_world.scene.model import Text

U8 = Int(0, 255)
U16 = Int(0, 65535)
U32 = Int(0, 2**32 - 1)
COUNT = Int(0, 2**31 - 1)
CM = Int(-L.COORD_CM_MAX, L.COORD_CM_MAX)
AVATAR = Int(1, L.AVATAR_ID_MAX)
ID = Str(L.ID_MAX_CHARS)
TEXT = Str(L.MAX_STR_CHARS)
BILINGUAL = Bilingual(L.MAX_STR_CHARS)
METRES = Float()


@dataclass(frozen=True)
class Message:
    """Base of every message; ``cid`` rides in the envelope, not among the fields."""

    TYPE: ClassVar[MsgType]
    cid: int | None = field(default=None, kw_only=True)


# -- records nested inside messages ---------------------------------------------------------


@dataclass(frozen=True)
class Enter:
    """An avatar that just came into view, with everything needed to draw it."""

    id: Annotated[int, AVATAR]
    x: Annotated[int, CM]
    z: Annotated[int, CM]
    heading: Annotated[int, U8]
    anim: Annotated[int, U8]
    name: Annotated[str, Str(L.NAME_MAX_CHARS)]
    look: Annotated[tuple[int, ...], Seq(U8, L.LOOK_FIELDS, L.LOOK_FIELDS)]


@dataclass(frozen=True)
class Update:
    """The changed fields of one visible avatar; ``None`` means unchanged."""

    id: int
    x: int | None = None
    z: int | None = None
    heading: int | None = None
    anim: int | None = None

    @property
    def mask(self) -> int:
        return (
            (1 if self.x is not None else 0)
            | (2 if self.heading is not None else 0)
            | (4 if self.anim is not None else 0)
        )


class Updates(Kind):
    """All updates of a frame as ONE flat int array: ``id, mask, [x, z], [heading], [anim], ...``.

    Flat, so the server can splice pre-encoded per-avatar fragments without re-encoding and a
    walking avatar costs about 10 bytes.
    """

    def check(self, value: object, path: str) -> tuple[Update, ...]:
        if type(value) is not list:
            raise ProtocolError(f"{path}: expected an array")
        out = []
        i, n = 0, len(value)
        while i < n:
            if i + 2 > n:
                raise ProtocolError(f"{path}[{i}]: truncated update")
            aid = AVATAR.check(value[i], f"{path}[{i}]")
            mask = Int(1, 7).check(value[i + 1], f"{path}[{i + 1}]")
            i += 2
            want = (2 if mask & 1 else 0) + (1 if mask & 2 else 0) + (1 if mask & 4 else 0)
            if i + want > n:
                raise ProtocolError(f"{path}[{i}]: truncated update")
            x = z = heading = anim = None
            if mask & 1:
                x = CM.check(value[i], f"{path}[{i}]")
                z = CM.check(value[i + 1], f"{path}[{i + 1}]")
                i += 2
            if mask & 2:
                heading = U8.check(value[i], f"{path}[{i}]")
                i += 1
            if mask & 4:
                anim = U8.check(value[i], f"{path}[{i}]")
                i += 1
            out.append(Update(aid, x, z, heading, anim))
        return tuple(out)

    def wire(self, value: Any) -> object:
        flat: list[int] = []
        for u in value:
            flat += update_fields(u.id, u.x, u.z, u.heading, u.anim)
        return flat


def update_fields(
    aid: int, x: int | None, z: int | None, heading: int | None, anim: int | None
) -> list[int]:
    """The flat wire ints of one update (``x`` and ``z`` are both set or both ``None``)."""
    mask = (1 if x is not None else 0) | (2 if heading is not None else 0)
    mask |= 4 if anim is not None else 0
    out = [aid, mask]
    if x is not None:
        out += (x, z)  # type: ignore[list-item]
    if heading is not None:
        out.append(heading)
    if anim is not None:
        out.append(anim)
    return out


@dataclass(frozen=True)
class Coupon:
    coupon_id: Annotated[str, ID]
    slot: Annotated[str, ID]
    promotion: Annotated[str, ID]
    title: Annotated[Text, BILINGUAL]
    code: Annotated[str, ID]
    expires_at: Annotated[int | None, Opt(COUNT)] = None
    """Unix seconds, or ``None`` for no expiry."""


@dataclass(frozen=True)
class LeaderboardEntry:
    rank: Annotated[int, COUNT]
    name: Annotated[str, Str(L.NAME_MAX_CHARS)]
    score: Annotated[int, COUNT]


# -- presence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hello(Message):
    TYPE = MsgType.HELLO
    version: Annotated[int, U16]
    name: Annotated[str, TEXT]
    look: Annotated[tuple[int, ...], Seq(U8, L.LOOK_FIELDS, L.LOOK_FIELDS)]
    resume: Annotated[str | None, Opt(Str(L.TOKEN_MAX_CHARS))] = None
    visitor_id: Annotated[str | None, Opt(ID)] = None
    visitor_secret: Annotated[str | None, Opt(Str(L.TOKEN_MAX_CHARS))] = None


@dataclass(frozen=True)
class Welcome(Message):
    TYPE = MsgType.WELCOME
    avatar_id: Annotated[int, AVATAR]
    resume_token: Annotated[str, Str(L.TOKEN_MAX_CHARS)]
    x: Annotated[float, METRES]
    z: Annotated[float, METRES]
    heading: Annotated[float, Float()]
    anim: Annotated[int, U8]
    name: Annotated[str, Str(L.NAME_MAX_CHARS)]
    resumed: Annotated[bool, Bool()]
    tick_hz: Annotated[float, Float()]


@dataclass(frozen=True)
class Move(Message):
    TYPE = MsgType.MOVE
    x: Annotated[float, METRES]
    z: Annotated[float, METRES]
    heading: Annotated[float, Float()]
    anim: Annotated[int, U8]


@dataclass(frozen=True)
class Correction(Message):
    TYPE = MsgType.CORRECTION
    reason: Annotated[int, U16]
    x: Annotated[float, METRES]
    z: Annotated[float, METRES]
    heading: Annotated[float, Float()]
    anim: Annotated[int, U8]


@dataclass(frozen=True)
class Frame(Message):
    TYPE = MsgType.FRAME
    tick: Annotated[int, COUNT]
    reset: Annotated[bool, Bool()]
    """True: forget every avatar you know; ``enters`` is the whole visible set."""
    enters: Annotated[tuple[Enter, ...], Seq(Rec(Enter), 4096)]
    updates: Annotated[tuple[Update, ...], Updates()]
    leaves: Annotated[tuple[int, ...], Seq(AVATAR, 4096)]
    more: Annotated[int, COUNT]
    """How many further avatars are in your interest area beyond the K nearest shown."""


@dataclass(frozen=True)
class Chat(Message):
    TYPE = MsgType.CHAT
    text: Annotated[str, TEXT]


@dataclass(frozen=True)
class ChatSaid(Message):
    TYPE = MsgType.CHAT_SAID
    avatar_id: Annotated[int, AVATAR]
    name: Annotated[str, Str(L.NAME_MAX_CHARS)]
    text: Annotated[str, Str(L.CHAT_MAX_CHARS)]


@dataclass(frozen=True)
class EmoteMsg(Message):
    TYPE = MsgType.EMOTE
    emote: Annotated[int, U8]


@dataclass(frozen=True)
class Emoted(Message):
    TYPE = MsgType.EMOTED
    avatar_id: Annotated[int, AVATAR]
    emote: Annotated[int, U8]


@dataclass(frozen=True)
class Ping(Message):
    TYPE = MsgType.PING
    t: Annotated[float, Float()]
    """Any number the client likes (e.g. performance.now()); echoed in pong."""


@dataclass(frozen=True)
class Pong(Message):
    TYPE = MsgType.PONG
    t: Annotated[float, Float()]
    server_time: Annotated[float, Float()]
    """Seconds on the server's monotonic clock (only differences mean anything)."""


@dataclass(frozen=True)
class Error(Message):
    TYPE = MsgType.ERROR
    code: Annotated[int, U16]
    message: Annotated[str, TEXT]


# -- learning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetNickname(Message):
    TYPE = MsgType.SET_NICKNAME
    name: Annotated[str, TEXT]


@dataclass(frozen=True)
class QuizOpen(Message):
    TYPE = MsgType.QUIZ_OPEN
    quiz_id: Annotated[str, ID]


@dataclass(frozen=True)
class QuizQuestion(Message):
    TYPE = MsgType.QUIZ_QUESTION
    quiz_id: Annotated[str, ID]
    question: Annotated[Text, BILINGUAL]
    choices: Annotated[tuple[Text, ...], Seq(BILINGUAL, 8)]
    attempts_left: Annotated[int, COUNT]
    reward: Annotated[int, COUNT]


@dataclass(frozen=True)
class QuizAnswer(Message):
    TYPE = MsgType.QUIZ_ANSWER
    quiz_id: Annotated[str, ID]
    choice: Annotated[int, U8]


@dataclass(frozen=True)
class QuizResult(Message):
    TYPE = MsgType.QUIZ_RESULT
    quiz_id: Annotated[str, ID]
    correct: Annotated[bool, Bool()]
    reward: Annotated[int, COUNT]
    """Tokens credited by this answer (0 when wrong or capped)."""
    attempts_left: Annotated[int, COUNT]
    cooldown_s: Annotated[float, Float()]
    balance: Annotated[int, COUNT]
    explanation: Annotated[Text | None, Opt(BILINGUAL)] = None


@dataclass(frozen=True)
class QuestProgress(Message):
    TYPE = MsgType.QUEST_PROGRESS
    quest_id: Annotated[str, ID]
    done: Annotated[int, COUNT]
    total: Annotated[int, COUNT]
    completed: Annotated[bool, Bool()]
    bonus: Annotated[int, COUNT]


@dataclass(frozen=True)
class WalletGet(Message):
    TYPE = MsgType.WALLET_GET


@dataclass(frozen=True)
class Wallet(Message):
    TYPE = MsgType.WALLET
    balance: Annotated[int, COUNT]
    coupons: Annotated[tuple[Coupon, ...], Seq(Rec(Coupon), L.MAX_ARRAY)]


@dataclass(frozen=True)
class LeaderboardGet(Message):
    TYPE = MsgType.LEADERBOARD_GET


@dataclass(frozen=True)
class Leaderboard(Message):
    TYPE = MsgType.LEADERBOARD
    entries: Annotated[tuple[LeaderboardEntry, ...], Seq(Rec(LeaderboardEntry), L.MAX_ARRAY)]
    you: Annotated[int | None, Opt(COUNT)] = None
    """Your own rank, when you are ranked."""


# -- booths -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoothState(Message):
    TYPE = MsgType.BOOTH_STATE
    slot: Annotated[str, ID]
    version: Annotated[int, COUNT]
    booth: Annotated[dict | None, Opt(Data(L.MAX_DATA_DEPTH, L.MAX_ARRAY, L.MAX_STR_CHARS))]
    """The booth's public config (shop name, promotions…), ``None`` for an empty slot."""


@dataclass(frozen=True)
class Redeem(Message):
    TYPE = MsgType.REDEEM
    slot: Annotated[str, ID]
    promotion: Annotated[str, ID]


@dataclass(frozen=True)
class CouponIssued(Message):
    TYPE = MsgType.COUPON_ISSUED
    coupon: Annotated[Coupon, Rec(Coupon)]
    balance: Annotated[int, COUNT]


MESSAGES: dict[MsgType, type[Message]] = {
    cls.TYPE: cls
    for cls in (
        Hello,
        Welcome,
        Move,
        Correction,
        Frame,
        Chat,
        ChatSaid,
        EmoteMsg,
        Emoted,
        Ping,
        Pong,
        Error,
        SetNickname,
        QuizOpen,
        QuizQuestion,
        QuizAnswer,
        QuizResult,
        QuestProgress,
        WalletGet,
        Wallet,
        LeaderboardGet,
        Leaderboard,
        BoothState,
        Redeem,
        CouponIssued,
    )
}

CLIENT_TYPES = frozenset(
    {
        MsgType.HELLO,
        MsgType.MOVE,
        MsgType.CHAT,
        MsgType.EMOTE,
        MsgType.PING,
        MsgType.SET_NICKNAME,
        MsgType.QUIZ_OPEN,
        MsgType.QUIZ_ANSWER,
        MsgType.WALLET_GET,
        MsgType.LEADERBOARD_GET,
        MsgType.REDEEM,
    }
)
"""What a client may send; anything else from a client is an unknown type."""
SERVER_TYPES = frozenset(MESSAGES) - CLIENT_TYPES
