"""One frozen dataclass per message, its wire fields declared in order with their kinds.

On the wire a message is the msgpack array ``[type, cid, field1, field2, ...]`` where ``cid``
is ``nil`` or the uint32 client id of the request it answers. Units: metres (float) and degrees
(float) in requests and replies; centimetres (int) and heading bytes in presence frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from srichan_world.errors import ProtocolError
from srichan_world.protocol import limits as L
from srichan_world.protocol.base import (
    _OPT_CM,
    _OPT_U8,
    AVATAR,
    BILINGUAL,
    CM,
    COUNT,
    ID,
    METRES,
    TEXT,
    U8,
    U16,
)
from srichan_world.protocol.base import (
    Message as Message,
)
from srichan_world.protocol.calendar import EventAttended as EventAttended
from srichan_world.protocol.calendar import Events as Events
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.families import FAMILY_CLIENT_TYPES, FAMILY_MESSAGES
from srichan_world.protocol.fields import (
    Bool,
    Data,
    Float,
    Kind,
    Opt,
    Rec,
    Seq,
    Str,
)
from srichan_world.scene.model import Text

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


class Updates(Kind):
    """Updates as records ``[id, x, z, heading, anim]`` cut after the last changed field,
    with ``nil`` for unchanged fields before it: a walker is ``[id, x, z]``, about 10 bytes.

    Each record is a complete msgpack array, so the server encodes it once per tick and splices
    the same bytes into every observer's frame.
    """

    def check(self, value: object, path: str) -> tuple[Update, ...]:
        if type(value) is not list or len(value) > 65535:
            raise ProtocolError(f"{path}: expected an array")
        out = []
        for i, rec in enumerate(value):
            where = f"{path}[{i}]"
            if type(rec) is not list or not 3 <= len(rec) <= 5:
                raise ProtocolError(f"{where}: expected [id, x, z, heading?, anim?]")
            full = [*rec, None, None][:5]
            aid = AVATAR.check(full[0], f"{where}.id")
            x = _OPT_CM.check(full[1], f"{where}.x")
            z = _OPT_CM.check(full[2], f"{where}.z")
            if (x is None) != (z is None):
                raise ProtocolError(f"{where}: x and z change together")
            heading = _OPT_U8.check(full[3], f"{where}.heading")
            anim = _OPT_U8.check(full[4], f"{where}.anim")
            out.append(Update(aid, x, z, heading, anim))
        return tuple(out)

    def wire(self, value: Any) -> object:
        return [update_record(u.id, u.x, u.z, u.heading, u.anim) for u in value]


def update_record(
    aid: int, x: int | None, z: int | None, heading: int | None, anim: int | None
) -> list[int | None]:
    """The wire record of one update (``x`` and ``z`` are both set or both ``None``)."""
    if anim is not None:
        return [aid, x, z, heading, anim]
    if heading is not None:
        return [aid, x, z, heading]
    return [aid, x, z]


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
    """Tokens earned by learning in the board's period."""
    quests: Annotated[int | None, Opt(COUNT)] = None
    """Quests completed in the period."""


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
class Travel(Message):
    """Jump to a landmark's arrival point: seconds instead of minutes between landmarks."""

    TYPE = MsgType.TRAVEL
    landmark: Annotated[str, ID]


@dataclass(frozen=True)
class Travelled(Message):
    """The jump was made: where the avatar now stands, facing the landmark."""

    TYPE = MsgType.TRAVELLED
    landmark: Annotated[str, ID]
    x: Annotated[float, METRES]
    z: Annotated[float, METRES]
    heading: Annotated[float, Float()]


@dataclass(frozen=True)
class SceneChanged(Message):
    """The street was rebuilt (live reload): fetch ``/scene/{content_hash}.glb`` and swap it
    in; ``manifest`` is the new public manifest, exactly ``/scene/manifest.json``."""

    TYPE = MsgType.SCENE_CHANGED
    content_hash: Annotated[str, Str(64)]
    manifest: Annotated[
        dict[str, Any], Data(L.SCENE_DATA_DEPTH, L.SCENE_DATA_ARRAY, L.MAX_STR_CHARS)
    ]


@dataclass(frozen=True)
class Frame(Message):
    TYPE = MsgType.FRAME
    tick: Annotated[int, COUNT]
    reset: Annotated[bool, Bool()]  # True: forget every avatar you know; enters: all visible
    enters: Annotated[tuple[Enter, ...], Seq(Rec(Enter), 4096)]
    updates: Annotated[tuple[Update, ...], Updates()]
    leaves: Annotated[tuple[int, ...], Seq(AVATAR, 4096)]
    more: Annotated[int, COUNT]
    """How many further avatars are in your interest area beyond the K nearest shown."""
    rates: Annotated[tuple[int, ...] | None, Opt(Seq(COUNT, 8192))] = None  # [id, every, …]


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
class Nickname(Message):
    """Reply to ``set_nickname``: the nickname as stored (trimmed, NFC), as leaderboards show it."""

    TYPE = MsgType.NICKNAME
    name: Annotated[str, Str(L.NAME_MAX_CHARS)]


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
    already_awarded: Annotated[bool | None, Opt(Bool())] = None
    """True when this visitor was already paid for this quiz: answering again earns nothing."""


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
    """Tokens credited by this answer (0 when wrong, already awarded or capped to nothing)."""
    attempts_left: Annotated[int, COUNT]
    cooldown_s: Annotated[float, Float()]
    """Seconds until the quiz may be tried again (0: no wait)."""
    balance: Annotated[int, COUNT]
    explanation: Annotated[Text | None, Opt(BILINGUAL)] = None
    capped: Annotated[bool | None, Opt(Bool())] = None
    """The daily earning cap clipped the reward."""
    already_awarded: Annotated[bool | None, Opt(Bool())] = None


@dataclass(frozen=True)
class QuestProgress(Message):
    TYPE = MsgType.QUEST_PROGRESS
    quest_id: Annotated[str, ID]
    done: Annotated[int, COUNT]
    total: Annotated[int, COUNT]
    completed: Annotated[bool, Bool()]
    bonus: Annotated[int, COUNT]
    """Tokens paid by this update for completing the quest (0 otherwise)."""
    steps: Annotated[tuple[int, ...] | None, Opt(Seq(U8, L.MAX_ARRAY))] = None
    """The 0-based indices of the steps done."""
    capped: Annotated[bool | None, Opt(Bool())] = None
    """The daily earning cap clipped the bonus."""


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
    follow: Annotated[bool | None, Opt(Bool())] = None
    """``None``/true: also push the boards to this session when they change; false: stop."""


@dataclass(frozen=True)
class Leaderboard(Message):
    TYPE = MsgType.LEADERBOARD
    entries: Annotated[tuple[LeaderboardEntry, ...], Seq(Rec(LeaderboardEntry), L.MAX_ARRAY)]
    """This week's top learners (ISO week, Bangkok time)."""
    you: Annotated[int | None, Opt(COUNT)] = None
    """Your own rank this week, when you are among ``entries``."""
    all_time: Annotated[
        tuple[LeaderboardEntry, ...] | None, Opt(Seq(Rec(LeaderboardEntry), L.MAX_ARRAY))
    ] = None
    you_all_time: Annotated[int | None, Opt(COUNT)] = None
    week: Annotated[str | None, Opt(Str(16))] = None
    """The week ``entries`` covers, e.g. ``"2026-W19"``."""


# -- booths -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoothState(Message):
    TYPE = MsgType.BOOTH_STATE
    slot: Annotated[str, ID]
    version: Annotated[int, COUNT]
    booth: Annotated[
        dict[str, Any] | None, Opt(Data(L.MAX_DATA_DEPTH, L.MAX_ARRAY, L.MAX_STR_CHARS))
    ]
    """The booth's public config (shop name, promotions…), ``None`` for an empty slot."""


@dataclass(frozen=True)
class Redeem(Message):
    TYPE = MsgType.REDEEM
    slot: Annotated[str, ID]
    promotion: Annotated[str, ID]
    key: Annotated[str | None, Opt(Str(64))] = None
    """Idempotency key chosen by the client: a retry with the same key never spends twice."""
    expected_cost: Annotated[int | None, Opt(COUNT)] = None
    """The token cost the visitor saw; a changed price is refused instead of charged."""


@dataclass(frozen=True)
class CouponIssued(Message):
    TYPE = MsgType.COUPON_ISSUED
    coupon: Annotated[Coupon, Rec(Coupon)]
    balance: Annotated[int, COUNT]


# -- badges -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """One credential as the wallet lists it; the files are at ``/badges/credentials/<id>``."""

    credential_id: Annotated[str, Str(32)]
    achievement: Annotated[str, ID]
    kind: Annotated[str, Str(16)]
    name: Annotated[Text, BILINGUAL]
    issued_at: Annotated[int, COUNT]
    """Unix seconds."""
    revoked: Annotated[bool, Bool()]


@dataclass(frozen=True)
class BadgesGet(Message):
    TYPE = MsgType.BADGES_GET


@dataclass(frozen=True)
class Badges(Message):
    TYPE = MsgType.BADGES
    badges: Annotated[tuple[Badge, ...], Seq(Rec(Badge), L.MAX_ARRAY)]
    """Newest first."""


@dataclass(frozen=True)
class BadgeEarned(Message):
    TYPE = MsgType.BADGE_EARNED
    badge: Annotated[Badge, Rec(Badge)]


# -- moderation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report(Message):
    """Report an avatar (``avatar``), one chat line it said (``avatar`` and ``said``, as the
    reporter saw it) or a booth (``slot``) with a :class:`~srichan_world.protocol.codes.
    ReportReason` and, optionally, a note."""

    TYPE = MsgType.REPORT
    target: Annotated[int, U8]
    reason: Annotated[int, U8]
    avatar: Annotated[int | None, Opt(AVATAR)] = None
    slot: Annotated[str | None, Opt(ID)] = None
    said: Annotated[str | None, Opt(Str(L.CHAT_MAX_CHARS))] = None
    note: Annotated[str | None, Opt(Str(L.REPORT_NOTE_MAX_CHARS))] = None


@dataclass(frozen=True)
class Reported(Message):
    TYPE = MsgType.REPORTED
    report_id: Annotated[int, COUNT]


@dataclass(frozen=True)
class Notice(Message):
    """A moderator's action on this visitor (a :class:`~srichan_world.protocol.codes.
    NoticeKind`) with the reason in Thai and English; ``until`` is how many seconds a mute
    lasts (``None``: not timed)."""

    TYPE = MsgType.NOTICE
    kind: Annotated[int, U8]
    text: Annotated[Text, BILINGUAL]
    until: Annotated[int | None, Opt(COUNT)] = None


# -- courses ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseStanding:
    """One visitor's standing in one course of the scene (its lessons and quests are in the
    manifest)."""

    course: Annotated[str, ID]
    lessons: Annotated[tuple[str, ...], Seq(ID, L.MAX_ARRAY)]
    """The ids of the lessons read."""
    quests: Annotated[tuple[str, ...], Seq(ID, L.MAX_ARRAY)]
    """The ids of the course's quests completed."""
    completed: Annotated[bool, Bool()]


@dataclass(frozen=True)
class LessonRead(Message):
    TYPE = MsgType.LESSON_READ
    course: Annotated[str, ID]
    lesson: Annotated[str, ID]


@dataclass(frozen=True)
class CoursesGet(Message):
    TYPE = MsgType.COURSES_GET


@dataclass(frozen=True)
class Courses(Message):
    TYPE = MsgType.COURSES
    courses: Annotated[tuple[CourseStanding, ...], Seq(Rec(CourseStanding), L.MAX_ARRAY)]
    """In the manifest's order."""


@dataclass(frozen=True)
class CourseProgress(Message):
    TYPE = MsgType.COURSE_PROGRESS
    course: Annotated[CourseStanding, Rec(CourseStanding)]


MESSAGES: dict[MsgType, type[Message]] = {
    cls.TYPE: cls
    for cls in (
        Hello,
        Welcome,
        Move,
        Correction,
        Travel,
        Travelled,
        SceneChanged,
        Frame,
        Chat,
        ChatSaid,
        EmoteMsg,
        Emoted,
        Ping,
        Pong,
        Error,
        SetNickname,
        Nickname,
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
        BadgesGet,
        Badges,
        BadgeEarned,
        Report,
        Reported,
        Notice,
        LessonRead,
        CoursesGet,
        Courses,
        CourseProgress,
        Events,
        EventAttended,
    )
}
MESSAGES.update({cls.TYPE: cls for cls in FAMILY_MESSAGES})

CLIENT_TYPES = frozenset(
    {
        MsgType.HELLO,
        MsgType.MOVE,
        MsgType.CHAT,
        MsgType.EMOTE,
        MsgType.PING,
        MsgType.TRAVEL,
        MsgType.SET_NICKNAME,
        MsgType.QUIZ_OPEN,
        MsgType.QUIZ_ANSWER,
        MsgType.WALLET_GET,
        MsgType.LEADERBOARD_GET,
        MsgType.REDEEM,
        MsgType.BADGES_GET,
        MsgType.REPORT,
        MsgType.LESSON_READ,
        MsgType.COURSES_GET,
    }
    | FAMILY_CLIENT_TYPES
)
"""What a client may send; anything else from a client is an unknown type."""
SERVER_TYPES = frozenset(MESSAGES) - CLIENT_TYPES
