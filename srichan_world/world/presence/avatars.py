"""The mutable records the rules update in place: one per connection, one per avatar, one
per crowded block of observers.

Plain classes with ``__slots__`` rather than dataclasses: every move and every tick reads and
writes their attributes, and slots keep that cheap. An avatar outlives its session for the
resume window, and a *remote* avatar (another process's visitor) has none at all.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable

import msgpack

from srichan_world.protocol import limits as L
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.messages import Hello
from srichan_world.world.ratelimit import TokenBucket

_packb: Callable[..., bytes] = msgpack.packb


class Session:
    __slots__ = (
        "avatar",
        "buckets",
        "closing",
        "drop_avatar",
        "hello",
        "id",
        "last_seen",
        "move_bucket",
        "opened",
        "strikes",
    )

    def __init__(self, sid: int, now: float) -> None:
        self.id = sid
        self.opened = now
        self.last_seen = now
        self.avatar: Avatar | None = None
        self.hello: Hello | None = None
        move = L.RATE_LIMITS[MsgType.MOVE]
        self.move_bucket = TokenBucket(move.rate, move.burst, now)
        self.buckets: dict[int, TokenBucket] = {int(MsgType.MOVE): self.move_bucket}
        self.strikes = TokenBucket(L.ABUSE_STRIKES.rate, L.ABUSE_STRIKES.burst, now)
        self.closing = False
        self.drop_avatar = False


class Avatar:
    __slots__ = (
        "anim",
        "cell",
        "dirty",
        "group",
        "gver",
        "heading",
        "heard",
        "held_until",
        "id",
        "look",
        "name",
        "owner",
        "qa",
        "qh",
        "qx",
        "qz",
        "remote",
        "reset",
        "session",
        "stride",
        "tan",
        "thd",
        "tiers",
        "token",
        "tpos",
        "vis_cell",
        "visible",
        "x",
        "z",
    )

    def __init__(self, aid: int, name: str, look: tuple[int, ...], token: str) -> None:
        self.id = aid
        self.name = name
        self.look = look
        self.token = token
        self.owner = ""
        """:func:`identity_key` of the hello that made the avatar: only it may resume it."""
        self.session: Session | None = None
        self.x = self.z = self.heading = 0.0
        self.anim = 0
        self.qx = self.qz = self.qh = self.qa = 0
        self.cell = 0
        self.dirty = False
        self.tpos = self.thd = self.tan = -1
        """The ticks whose frames last changed its position, heading and animation (the
        slower tiers send what changed since their last turn)."""
        self.held_until: float | None = None
        self.stride: TokenBucket
        self.remote = False
        """Another process's visitor, known from its news (no session, no token here)."""
        self.heard = 0.0
        """When a remote avatar's process last told of it (it expires when silent)."""
        # as an observer
        self.visible: set[int] = set()
        self.vis_cell = -1
        self.group: Group | None = None
        """The crowded block whose K nearest this observer sees; None when uncrowded."""
        self.gver = -1
        self.tiers: Tiers = NO_TIERS
        """The slower tiers this observer's client was told of (``rates``)."""
        self.reset = True


Tiers = tuple[frozenset[int], frozenset[int]]
"""``(mid, far)``: avatar ids updated every ``mid_every`` and every ``far_every`` ticks; all
others every tick."""
NO_TIERS: Tiers = (frozenset(), frozenset())


class Group:
    """Crowded observers in one block of one cell: the K + 1 avatars nearest to the block's
    centre (``visible``: replaced, never mutated), of which each observer sees K (itself or
    ``far`` left out), and this tick's shared bytes. Updates of ``far`` may reach observers
    that do not see it; clients ignore ids they do not know."""

    __slots__ = (
        "bytes_tick",
        "cell",
        "cx",
        "cz",
        "diffs",
        "far",
        "frames",
        "n",
        "near",
        "period",
        "prev",
        "reach",
        "tiers",
        "updates",
        "used",
        "version",
        "visible",
    )

    def __init__(self, cell: int, cx: float, cz: float) -> None:
        self.cell = cell
        self.cx = cx
        self.cz = cz
        self.visible: set[int] = set()
        self.near: set[int] = set()
        """The part of ``visible`` updated every tick; ``tiers`` holds the rest."""
        self.tiers: Tiers = NO_TIERS
        self.far = 0
        self.version = 0
        self.reach = math.inf
        """The distance from the centre to the K + 1-th nearest, at the last choice: how
        big the cell's blocks may be, and how soon they are chosen again (blocks.py)."""
        self.period = 1
        """Ticks between choices (set at each choice; a new group is chosen at once)."""
        self.used = -2
        self.bytes_tick = -1
        self.updates = b""
        self.n = 0
        self.frames: dict[int, bytes] = {}
        """This tick's steady frame of its observers, by ``more``."""
        self.prev: tuple[set[int], Tiers] = (set(), NO_TIERS)
        """``visible`` and ``tiers`` of the version before this one."""
        self.diffs: dict[int, bytes] = {}
        """This tick's frame for members that saw the previous version, by ``more``."""


def heading_byte(degrees: float) -> int:
    return int(degrees * (256 / 360) + 0.5) & 255


def update_record(
    aid: int, qx: int, qz: int, qh: int, qa: int, pos: bool, turned: bool, anim: bool
) -> bytes | None:
    """A frame's update record of the fields that changed (``[id, x?, z?, heading?, anim?]``:
    unchanged fields nil, trailing ones left out); None when nothing changed. The one place
    the record's shape is decided, for this process's moves, the slower tiers' turns and
    restated remote avatars alike."""
    if anim:
        return _packb([aid, qx if pos else None, qz if pos else None, qh if turned else None, qa])
    if turned:
        return _packb([aid, qx if pos else None, qz if pos else None, qh])
    if pos:
        return _packb([aid, qx, qz])
    return None


def full_record(a: Avatar) -> bytes:
    """An avatar as a frame's enter record (its last framed position)."""
    return _packb([a.id, a.qx, a.qz, a.qh, a.qa, a.name, list(a.look)], use_bin_type=True)


ResumeState = list[int | str | list[int]]
"""``[x cm, z cm, heading byte, anim, name, look, owner]``: what a process needs to take over
an avatar whose visitor resumes there (``owner``: its :func:`identity_key`)."""


def resume_state(a: Avatar) -> ResumeState:
    return [
        round(a.x * 100),
        round(a.z * 100),
        heading_byte(a.heading),
        a.anim,
        a.name,
        list(a.look),
        a.owner,
    ]


def identity_key(visitor_id: object, visitor_secret: object) -> str:
    """Who a hello says it is, as a resume token is bound to it: ``""`` for an anonymous
    visitor, else a hash of the visitor id and secret (the secret itself is never kept). A
    resume token taken from the wire or a shared screen is worth nothing with another
    identity: it buys a fresh avatar, not the victim's place and name."""
    if not isinstance(visitor_id, str) or not isinstance(visitor_secret, str):
        return ""
    raw = f"{visitor_id}\0{visitor_secret}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:32]
