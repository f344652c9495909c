"""Every limit and rule constant of the protocol in one place (documented in
docs/protocol.md, exported to the browser's protocol.js), so no side keeps a copy.

Sizes are bytes, lengths are Unicode code points after trimming, distances are metres, rates
are per second.
"""

from __future__ import annotations

from dataclasses import dataclass

from srichan_world.protocol.codes import MsgType

MAX_FRAME_BYTES = 16 * 1024
"""Largest WebSocket message a client may send; bigger ones close the socket (1009)."""

MAX_ARRAY = 256
"""Longest array the codec accepts inside a client message."""
MAX_STR_CHARS = 1000
"""Longest string the codec accepts; the rules set tighter limits per field."""
MAX_DATA_DEPTH = 4
"""Nesting depth of free-form maps (booth public config)."""

NAME_MIN_CHARS = 1
NAME_MAX_CHARS = 24
CHAT_MAX_CHARS = 200
ID_MAX_CHARS = 64
"""Quiz, quest, booth, promotion and coupon ids."""
TOKEN_MAX_CHARS = 128
"""Resume tokens and visitor secrets."""
LOOK_FIELDS = 3
"""``look`` is ``[body colour, shirt colour, hat]``, each a palette index."""
LOOK_MAX = 255

COORD_CM_MAX = 2**31 - 1
"""Frames carry positions as signed 32-bit centimetres."""
AVATAR_ID_MAX = 65535
CID_MAX = 2**32 - 1
"""A client id is any uint32 the client chooses; it comes back on the reply."""

TICK_HZ = 10.0
"""Default presence ticks per second (configurable 10–20)."""
K_NEAREST = 64
"""Default cap on avatars described in one client's frame."""
TIER_EVERY_MAX = 10
"""A frame's ``rates`` put an avatar on one update every n ticks, n at most this."""
ZONES_MAX = 16
"""Stretches of street served by separate processes (one per worker, as many as the id
lanes that keep avatar ids unique across processes)."""
MAX_SPEED = 8.0
"""Default fastest avatar speed in metres per second (running, with slack)."""
SPEED_BURST_S = 1.0
"""A move may spend up to this many seconds of unused movement at once (network jitter)."""
RESUME_WINDOW_S = 30.0
HELLO_TIMEOUT_S = 10.0
IDLE_TIMEOUT_S = 60.0
"""No message at all (not even ping) for this long closes the session."""
SCENE_MANIFEST_MAX_BYTES = 256 * 1024
"""Largest manifest (as JSON) a ``scene_changed`` carries; a bigger build is not switched to."""
SCENE_DATA_DEPTH = 8
"""Nesting depth of the manifest inside ``scene_changed``."""
SCENE_DATA_ARRAY = 65536
"""Longest array inside the manifest of ``scene_changed`` (polygon points, quiz points…)."""


@dataclass(frozen=True)
class Rate:
    """A token bucket: ``rate`` requests per second on average, ``burst`` at once."""

    rate: float
    burst: float


RATE_LIMITS: dict[MsgType, Rate] = {
    MsgType.HELLO: Rate(1.0, 5),
    MsgType.MOVE: Rate(25.0, 50),
    MsgType.CHAT: Rate(1.0, 5),
    MsgType.EMOTE: Rate(2.0, 6),
    MsgType.PING: Rate(2.0, 10),
    MsgType.TRAVEL: Rate(1 / 20, 3),
    MsgType.SET_NICKNAME: Rate(1 / 10, 3),
    MsgType.REPORT: Rate(1 / 10, 3),
    MsgType.LESSON_READ: Rate(0.5, 6),
    MsgType.COURSES_GET: Rate(0.5, 5),
    MsgType.DIALOGUE_GET: Rate(1.0, 5),
    MsgType.DIALOGUE_VOTE: Rate(0.5, 6),
    MsgType.DIALOGUE_OPINION: Rate(1 / 20, 4),
    MsgType.DIALOGUE_SUPPORT: Rate(0.5, 10),
    MsgType.DIALOGUE_REPORT: Rate(1 / 10, 3),
    MsgType.USAGE: Rate(0.2, 6),
}
DEFAULT_RATE = Rate(5.0, 20)
"""For every client→server type not listed in :data:`RATE_LIMITS`."""

ABUSE_STRIKES = Rate(0.5, 10)
"""Each refused-for-rate request costs a strike; running out closes the session (4003)."""

VISIT_DISTANCE_M = 15.0
"""A landmark counts as visited within this distance of its footprint: enough to count walking
under the City Gate or along the sidewalk in front of a building (the guide relies on it)."""
BOOTH_REACH_M = 6.0
"""A visitor redeems standing within this distance of the booth's centre (``booth_too_far``)."""
BOOTH_RATES: dict[str, Rate] = {
    "edit": Rate(0.5, 20),
    "upload": Rate(0.2, 12),
    "verify": Rate(1.0, 10),
    "redeem": Rate(0.5, 5),
    "sign_in": Rate(0.5, 10),
}
"""Booth requests: edits, photo uploads and coupon checks per shop, redeems per visitor,
sign-ins per client address. Over the limit: ``rate_limited`` (HTTP 429)."""

REPORT_NOTE_MAX_CHARS = 200
"""A report's own words (optional), like a chat line."""

ACCOUNT_RATES: dict[str, Rate] = {
    "recovery_show": Rate(0.2, 10),
    "recovery_restore": Rate(1 / 12, 5),
    "signin_start": Rate(1, 60),
    "signin_callback": Rate(1, 60),
    "signin_status": Rate(2, 300),
}
"""Recovery-code requests per client address: showing one's own code (it renders a QR), and
restoring from a typed or scanned code (5 at once, then one every 12 s: typos are forgiven,
asking about many codes is not). Sign-in (OpenID Connect): starting one and its callback (each
may cost a call to the provider; a restore needs a real account, so this bounds the work, not
guessing: a class of 60 may sign in at once), and asking whether an identity is linked (each
page load of a street with providers: a school of 300 at once). Over the limit: ``rate_limited``
(HTTP 429)."""
DIALOGUE_REACH_M = VISIT_DISTANCE_M
"""A visitor takes part in the dialogue within this distance of the Municipality's footprint
(the same reach as a quest's visit): standing at the city hall, not from across town."""
OPINION_MAX_CHARS = 280
"""A short opinion, after trimming (``text_too_long`` beyond)."""
DIALOGUE_OPTIONS_MIN = 2
DIALOGUE_OPTIONS_MAX = 6
"""A question's poll has 2–6 options (or none: opinions only)."""
DIALOGUE_REWARD_MAX = 5
"""Tokens for taking part in one question, at most (once per visitor and question, within
the daily learning cap)."""
DIALOGUE_QUESTIONS_MAX = 20
"""Questions kept at once (closed ones included); the operators delete none, they close them."""
DIALOGUE_OPINIONS_SHOWN = 50
"""Opinions a visitor is shown per question, most supported first (the export has all)."""
