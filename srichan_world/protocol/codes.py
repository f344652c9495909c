"""The one table of codes that the server and the browser share.

Every message on the wire starts with a 1-byte :class:`MsgType`; every error reply carries an
:class:`ErrorCode`; every close the server initiates uses a :class:`CloseCode`. The browser gets
the same tables from ``server/web/protocol.js``, generated from this module by
``tools/export_protocol.py``, so the two sides cannot drift apart. Codes are never reused: a
retired code stays reserved.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

PROTOCOL_VERSION = 1
"""Sent in ``hello``; the server refuses any other version (error + close 4002)."""


class MsgType(IntEnum):
    """First element of every message. Codes are grouped by feature (1–31 presence, 32–47
    learning, 48–63 booths, 64–71 badges), but which feature a type belongs to is
    :data:`FEATURE_OF`."""

    # presence
    HELLO = 1  # C→S
    WELCOME = 2  # S→C
    MOVE = 3  # C→S
    CORRECTION = 4  # S→C: the move was refused; here is your last valid position
    FRAME = 5  # S→C: one per tick, the avatars in your interest area
    CHAT = 6  # C→S
    CHAT_SAID = 7  # S→C
    EMOTE = 8  # C→S
    EMOTED = 9  # S→C
    PING = 10  # C→S
    PONG = 11  # S→C
    ERROR = 12  # S→C
    TRAVEL = 13  # C→S: jump to a landmark's arrival point (rate-limited)
    TRAVELLED = 14  # S→C: where the jump put the avatar
    SCENE_CHANGED = 15  # S→C: the street was rebuilt; its new manifest and GLB hash
    ZONE = 17  # S→C: reconnect to the process serving this stretch of the street
    # learning
    SET_NICKNAME = 32  # C→S
    QUIZ_OPEN = 33  # C→S
    QUIZ_QUESTION = 34  # S→C
    QUIZ_ANSWER = 35  # C→S
    QUIZ_RESULT = 36  # S→C
    QUEST_PROGRESS = 37  # S→C
    WALLET_GET = 38  # C→S
    WALLET = 39  # S→C: balance and coupons
    LEADERBOARD_GET = 40  # C→S
    LEADERBOARD = 41  # S→C
    NICKNAME = 42  # S→C: reply to set_nickname, the name as stored
    # booths
    BOOTH_STATE = 48  # S→C: snapshot or update of one booth's public config
    REDEEM = 49  # C→S
    COUPON_ISSUED = 50  # S→C
    # badges (Open Badges 3.0 credentials)
    BADGES_GET = 64  # C→S: the visitor's credentials
    BADGES = 65  # S→C: reply to badges_get
    BADGE_EARNED = 66  # S→C: a credential was just issued (to every tab of the visitor)
    # moderation
    REPORT = 80  # C→S: report an avatar, a chat line or a booth to the moderators
    REPORTED = 81  # S→C: the report was filed (its number)
    NOTICE = 82  # S→C: a moderator's action on this visitor, and why (Thai and English)
    # courses (lessons to read and quests to complete)
    LESSON_READ = 96  # C→S: the visitor read a lesson of a course
    COURSES_GET = 97  # C→S: the visitor's standing in every course
    COURSES = 98  # S→C: reply to courses_get
    COURSE_PROGRESS = 99  # S→C: one course's standing changed (to every tab of the visitor)
    # events (learning)
    EVENTS = 72  # S→C: the street's event calendar, after operators changed it
    EVENT_ATTENDED = 73  # S→C: the visitor attends an event (first event quiz point opened)
    # dialogue (สานเสวนา: the city's questions at the Municipality)
    DIALOGUE_GET = 108  # C→S: the city's questions, with this visitor's part and the results
    DIALOGUE = 109  # S→C: reply to dialogue_get and to each dialogue request
    DIALOGUE_VOTE = 110  # C→S: vote on a question's poll (again: change the vote until close)
    DIALOGUE_OPINION = 111  # C→S: write a short opinion (one per visitor and question)
    DIALOGUE_SUPPORT = 112  # C→S: support another visitor's opinion (once each)
    DIALOGUE_REPORT = 113  # C→S: report an opinion to the moderators (reply: reported)
    DIALOGUE_THANKS = 114  # S→C: the reward for taking part, paid once per question
    # inclusion figures (how the street is used: list mode, language, text size, narration)
    USAGE = 104  # C→S: this session's display settings and device class (no reply)
    WORK_PROOF = 116  # C→S: the proof of work that registers a new visitor identity
    WORK_CHALLENGE = 117  # S→C: a new identity must prove work for this challenge first
    TOKENS_PENDING = 118  # S→C: a new identity's tokens wait for learning before they spend


class Feature(StrEnum):
    """A part of the service a server may run without the others."""

    PRESENCE = "presence"
    LEARNING = "learning"
    BOOTHS = "booths"
    BADGES = "badges"
    COURSES = "courses"


FEATURE_OF: dict[MsgType, Feature] = {
    MsgType.HELLO: Feature.PRESENCE,
    MsgType.WELCOME: Feature.PRESENCE,
    MsgType.MOVE: Feature.PRESENCE,
    MsgType.CORRECTION: Feature.PRESENCE,
    MsgType.FRAME: Feature.PRESENCE,
    MsgType.CHAT: Feature.PRESENCE,
    MsgType.CHAT_SAID: Feature.PRESENCE,
    MsgType.EMOTE: Feature.PRESENCE,
    MsgType.EMOTED: Feature.PRESENCE,
    MsgType.PING: Feature.PRESENCE,
    MsgType.PONG: Feature.PRESENCE,
    MsgType.ERROR: Feature.PRESENCE,
    MsgType.TRAVEL: Feature.PRESENCE,
    MsgType.TRAVELLED: Feature.PRESENCE,
    MsgType.SCENE_CHANGED: Feature.PRESENCE,
    MsgType.ZONE: Feature.PRESENCE,
    MsgType.SET_NICKNAME: Feature.LEARNING,
    MsgType.QUIZ_OPEN: Feature.LEARNING,
    MsgType.QUIZ_QUESTION: Feature.LEARNING,
    MsgType.QUIZ_ANSWER: Feature.LEARNING,
    MsgType.QUIZ_RESULT: Feature.LEARNING,
    MsgType.QUEST_PROGRESS: Feature.LEARNING,
    MsgType.WALLET_GET: Feature.LEARNING,
    MsgType.WALLET: Feature.LEARNING,
    MsgType.LEADERBOARD_GET: Feature.LEARNING,
    MsgType.LEADERBOARD: Feature.LEARNING,
    MsgType.NICKNAME: Feature.LEARNING,
    MsgType.BOOTH_STATE: Feature.BOOTHS,
    MsgType.REDEEM: Feature.BOOTHS,
    MsgType.COUPON_ISSUED: Feature.BOOTHS,
    MsgType.BADGES_GET: Feature.BADGES,
    MsgType.BADGES: Feature.BADGES,
    MsgType.BADGE_EARNED: Feature.BADGES,
    MsgType.REPORT: Feature.PRESENCE,
    MsgType.REPORTED: Feature.PRESENCE,
    MsgType.NOTICE: Feature.PRESENCE,
    MsgType.LESSON_READ: Feature.COURSES,
    MsgType.COURSES_GET: Feature.COURSES,
    MsgType.COURSES: Feature.COURSES,
    MsgType.COURSE_PROGRESS: Feature.COURSES,
    MsgType.EVENTS: Feature.LEARNING,
    MsgType.EVENT_ATTENDED: Feature.LEARNING,
    MsgType.DIALOGUE_GET: Feature.LEARNING,
    MsgType.DIALOGUE: Feature.LEARNING,
    MsgType.DIALOGUE_VOTE: Feature.LEARNING,
    MsgType.DIALOGUE_OPINION: Feature.LEARNING,
    MsgType.DIALOGUE_SUPPORT: Feature.LEARNING,
    MsgType.DIALOGUE_REPORT: Feature.LEARNING,
    MsgType.DIALOGUE_THANKS: Feature.LEARNING,
    MsgType.USAGE: Feature.LEARNING,
    MsgType.WORK_PROOF: Feature.LEARNING,
    MsgType.WORK_CHALLENGE: Feature.LEARNING,
    MsgType.TOKENS_PENDING: Feature.LEARNING,
}
"""The feature each message belongs to: a server without it answers ``unsupported``, and
the client tells the visitor which part is missing."""


PRESENCE_TYPES = frozenset(
    {
        MsgType.HELLO,
        MsgType.MOVE,
        MsgType.CHAT,
        MsgType.EMOTE,
        MsgType.PING,
        MsgType.TRAVEL,
    }
)
"""Client requests the presence world answers itself; the others go to pluggable handlers."""


class ErrorCode(IntEnum):
    """Carried by ``error`` and ``correction``. 1–19 close the session; the rest do not."""

    # the envelope is broken: error, then close
    BAD_FRAME = 1  # not msgpack, not an array, wrong field count or type, text frame
    UNKNOWN_TYPE = 2  # the first element is not a client→server MsgType
    TOO_LARGE = 3  # over MAX_FRAME_BYTES (the WebSocket layer closes with 1009)
    VERSION_MISMATCH = 4
    ABUSE = 5  # rate limits exceeded again and again
    IDLE_TIMEOUT = 6
    SLOW_CLIENT = 7  # the outbox stayed full
    SERVER_FULL = 8
    REPLACED = 9  # the same avatar was resumed on another connection
    HELLO_TIMEOUT = 10
    SHUTTING_DOWN = 11
    # a valid request was refused: error reply, the session stays open
    BAD_VALUE = 20  # a number is not finite or an enum value is unknown
    BAD_NAME = 21  # display name empty, too long or with control characters
    NOT_WELCOMED = 22  # send hello first
    ALREADY_WELCOMED = 23
    OUT_OF_BOUNDS = 24  # move outside the walkable area
    TOO_FAST = 25  # move faster than the speed limit (a teleport)
    RATE_LIMITED = 26
    TEXT_TOO_LONG = 27
    BAD_TEXT = 28  # empty after trimming, or control characters
    UNKNOWN_LANDMARK = 29  # travel to a landmark the scene does not have
    # learning
    UNKNOWN_QUIZ = 40
    TOO_FAR = 41  # not within the quiz point's radius
    NO_ATTEMPTS_LEFT = 42
    COOLDOWN = 43
    DAILY_CAP = 44
    NO_IDENTITY = 45  # needs visitor_id + visitor_secret in hello
    BAD_IDENTITY = 46
    NO_OPEN_QUIZ = 47
    ANSWER_REPLAYED = 48  # this quiz opening was already answered
    KEY_CONFLICT = 49  # a ledger idempotency key was reused for a different movement
    VISITOR_LIMIT = 50  # this visitor took the promotion's coupons for today already
    SOLD_OUT_TODAY = 51  # the promotion's coupons for today are gone; more tomorrow
    # booths
    UNKNOWN_BOOTH = 60
    UNKNOWN_PROMOTION = 61
    INSUFFICIENT_TOKENS = 62
    SOLD_OUT = 63
    PROMOTION_NOT_STARTED = 64
    PROMOTION_ENDED = 65
    BOOTH_TOO_FAR = 66  # not close enough to the booth's counter
    PROMOTION_CHANGED = 67  # the cost is not the one the visitor saw; look again
    NOT_BOOTH_OWNER = 68  # owner pages: the slot belongs to another shop (or none)
    SLOT_TAKEN = 69  # admin: the slot already belongs to another shop
    SIGN_IN_INVALID = 70  # sign-in link unknown, used, expired or its shop revoked
    SESSION_INVALID = 71  # owner session unknown, ended or expired
    COUPON_UNKNOWN = 72
    COUPON_USED = 73
    COUPON_EXPIRED = 74
    COUPON_OTHER_SHOP = 75  # the code belongs to another booth
    BAD_IMAGE = 76  # not a JPEG/PNG/WebP the server can read, or too big
    IMAGE_LIMIT = 77  # too many photos kept for this booth
    BAD_BOOTH = 78  # the booth form failed validation
    # moderation
    MUTED = 120  # a moderator muted this visitor for a while: chat refused until then
    BANNED = 121  # this visitor (or address) may not enter: error, then close 4003
    UNKNOWN_AVATAR = 122  # report: no such avatar in view
    BAD_REPORT = 123  # report: the target or the reason does not fit its kind
    OPERATOR_ROLE = 124  # console: the operator's role may not do this (HTTP 403)
    OPERATOR_SESSION_INVALID = 125  # console: not signed in, or the session ended (HTTP 401)
    OPERATOR_LINK_INVALID = 126  # console: sign-in link unknown, used, expired or revoked
    UNKNOWN_REPORT = 127  # console: no report with this number
    UNKNOWN_OPERATOR = 128  # console/CLI: no operator with this id
    # events
    EVENT_NOT_NOW = 110  # the quiz point belongs to an event that is not on now
    EVENT_FULL = 111  # the event has as many attendees as its capacity
    EVENT_CANCELLED = 112  # the quiz point belongs to a cancelled event
    UNKNOWN_EVENT = 113  # admin: no event has this id
    BAD_EVENT = 114  # admin: the event failed validation (errors by field)
    # server
    UNSUPPORTED = 90  # no handler for this request on this server
    INTERNAL = 91
    STORE_UNAVAILABLE = 92  # the durable store is unreachable; retry later with the same key
    # badges
    UNKNOWN_BADGE = 100  # no credential with this id (or not yours): one answer for both
    STATUS_LIST_FULL = 101  # the revocation list has no free index left
    # courses
    UNKNOWN_COURSE = 140  # the scene has no course with this id
    UNKNOWN_LESSON = 141  # the course has no lesson with this id
    LESSON_LOCKED = 142  # an ordered course: read the lessons before this one first
    # dialogue
    UNKNOWN_QUESTION = 160  # no dialogue question with this id
    QUESTION_NOT_OPEN = 161  # the question is not open yet, or closed
    DIALOGUE_TOO_FAR = 162  # stand within reach of the Municipality to take part
    BAD_OPTION = 163  # the question has no such poll option (or no poll)
    NO_OPINIONS = 164  # the question takes no written opinions
    OPINION_EXISTS = 165  # one opinion per visitor and question
    UNKNOWN_OPINION = 166  # the question has no (visible) opinion with this number
    OWN_OPINION = 167  # a visitor cannot support their own opinion
    # inclusion figures
    BAD_USAGE = 153  # usage: a language or device class the protocol does not name
    # new identities (Sybil resistance)
    WORK_INVALID = 170  # the proof of work is forged, another id's, short of work or malformed
    WORK_EXPIRED = 171  # the proof of work's challenge expired: a new one comes with it
    IDENTITY_LIMIT = 172  # this address registered its allowance of new identities for now
    TOKENS_PENDING = 173  # a new identity's tokens are pending: more quizzes or minutes first
    # accounts
    RECOVERY_CODE_INVALID = 180  # not a recovery code: wrong length, letters or check (a typo)
    RECOVERY_UNKNOWN = 181  # no visitor here has this code (or the secret does not match)
    # sign-in (OpenID Connect, srichan_world/world/signin/)
    SIGN_IN_REQUIRED = 182  # this promotion is for visitors signed in with an account
    SIGN_IN_UNKNOWN_PROVIDER = 183  # no sign-in provider with this id is configured
    SIGN_IN_FAILED = 184  # the sign-in did not complete (state, nonce, token or provider)
    SIGN_IN_IDENTITY_LINKED = 185  # this identity is already linked to another account
    SIGN_IN_NO_IDENTITY = 186  # visit the street first: there is no identity to link
    SIGN_IN_UNAVAILABLE = 187  # the provider could not be reached; try again later


class CloseCode(IntEnum):
    """WebSocket close codes the server sends. 4000–4999 are this application's."""

    NORMAL = 1000
    GOING_AWAY = 1001  # server shutting down
    MESSAGE_TOO_BIG = 1009  # frame over MAX_FRAME_BYTES
    BAD_FRAME = 4000
    UNKNOWN_TYPE = 4001
    VERSION_MISMATCH = 4002
    ABUSE = 4003
    IDLE_TIMEOUT = 4004
    SLOW_CLIENT = 4005
    SERVER_FULL = 4006
    REPLACED = 4007
    HELLO_TIMEOUT = 4008


class ReportTarget(IntEnum):
    """What a ``report`` is about."""

    AVATAR = 0
    CHAT = 1  # one chat line an avatar said (quoted in ``said``)
    BOOTH = 2
    OPINION = 3  # a dialogue opinion (``dialogue_report``: question and opinion number)


class ReportReason(IntEnum):
    """Why a visitor reports: the moderators' queue sorts and counts by it."""

    SPAM = 0
    HARASSMENT = 1
    HATE = 2
    SEXUAL = 3
    SCAM = 4
    OTHER = 5


class NoticeKind(IntEnum):
    """What a moderator did, as the visitor is told in ``notice``."""

    WARN = 0
    MUTE = 1
    KICK = 2
    BAN = 3
    UNMUTE = 4


class UsageLang(StrEnum):
    """The interface languages a ``usage`` message may name."""

    TH = "th"
    EN = "en"


class DeviceClass(StrEnum):
    """A coarse device class the browser derives from its viewport and pointer (``usage``)."""

    PHONE = "phone"
    TABLET = "tablet"
    DESKTOP = "desktop"


class Anim(IntEnum):
    """Avatar animation state carried by ``move`` and presence frames."""

    IDLE = 0
    WALK = 1
    RUN = 2
    WAVE = 3
    DANCE = 4
    SIT = 5
    WAI = 6  # the Thai greeting, palms together


class Emote(IntEnum):
    """One-off gestures sent with ``emote`` and shown to everyone nearby."""

    WAVE = 0
    WAI = 1
    CLAP = 2
    LAUGH = 3
    HEART = 4
    THUMBS_UP = 5
    DANCE = 6
