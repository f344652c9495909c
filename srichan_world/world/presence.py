"""The presence world: who is on the street, where, and what each visitor sees. Sans-I/O.

The pump (server/ws.py) feeds it ``connect / receive / disconnect / tick(now)`` and carries
out the effects it returns (:class:`Send`, :class:`Close`, :class:`Dispatch`); tests drive it
the same way with no sockets. It never reads a clock: ``now`` is always passed in (seconds,
monotonic).

Performance is designed in, because one process must carry about 1,500 moving avatars:

* Moves only update the avatar in place and mark it dirty; all fan-out happens once per tick.
* Each tick, every dirty avatar's changes are encoded ONCE as a flat msgpack fragment and
  appended to its interest cell's batch. Observers with at most K avatars around share one
  pre-assembled frame per cell (bytes concatenation, no per-client encoding).
* Where an area holds more than K avatars, observers in the same small block share one
  "K nearest to the block's centre" set, chosen again every ``knn_refresh_ticks`` ticks with
  numpy, and its update bytes; per-client work is left for visibility changes (enters and
  leaves) and the one-line frame assembly.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import msgpack
import numpy as np

from srichan_world.errors import ProtocolError
from srichan_world.protocol import limits as L
from srichan_world.protocol.codec import array_header, decode_value, encode
from srichan_world.protocol.codes import (
    PROTOCOL_VERSION,
    Anim,
    CloseCode,
    Emote,
    ErrorCode,
    MsgType,
)
from srichan_world.protocol.messages import (
    Chat,
    ChatSaid,
    Correction,
    Emoted,
    EmoteMsg,
    Error,
    Hello,
    Message,
    Move,
    Ping,
    Pong,
    Welcome,
)
from srichan_world.scene.manifest import Manifest
from srichan_world.world.names import clean_chat, clean_name
from srichan_world.world.ratelimit import TokenBucket
from srichan_world.world.walkmap import WalkMap

_packb = msgpack.packb
_unpackb = msgpack.unpackb
_hypot = math.hypot
_ANIMS = frozenset(int(a) for a in Anim)
_MAX_BYTES = L.MAX_FRAME_BYTES
_EMOTES = frozenset(int(e) for e in Emote)
_SAID = frozenset((int(MsgType.CHAT_SAID), int(MsgType.EMOTED)))
_MOVE = int(MsgType.MOVE)
_FRAME_HEAD = bytes((0x98, int(MsgType.FRAME), 0xC0))
_EMPTY_ARRAY = b"\x90"


@dataclass(frozen=True)
class PresenceSettings:
    """Tunable numbers of the presence service (protocol constants live in ``limits``)."""

    tick_hz: float = L.TICK_HZ
    k_nearest: int = L.K_NEAREST
    max_speed: float = L.MAX_SPEED
    speed_burst_s: float = L.SPEED_BURST_S
    resume_window_s: float = L.RESUME_WINDOW_S
    hello_timeout_s: float = L.HELLO_TIMEOUT_S
    idle_timeout_s: float = L.IDLE_TIMEOUT_S
    max_avatars: int = 5000
    knn_refresh_ticks: int = 20
    """A crowded block's K nearest are chosen again this often (2 s at 10 Hz: a walker
    moves 3 m meanwhile, against ~25 m to the K-th nearest in a crowd of 1,500 on Sri Chan
    Road); each choice costs its observers a diff."""
    knn_block_m: float = 8.0
    """Crowded observers standing in the same square block of this size share one set of
    K nearest avatars (nearest to the block's centre), its update bytes and, in the steady
    state, their frame: the work is done per block instead of per client."""
    outbox_messages: int = 256
    """Non-frame messages queued for one connection before it counts as stuck."""
    stuck_timeout_s: float = 10.0
    """A connection that has not finished a send for this long is closed (slow client)."""
    heartbeat_s: float = 20.0
    gc_threshold: int = 50_000
    """Allocations between young-generation collections while the pump runs (Python's
    default, 700, means ~100 collections and 50–160 ms full-heap pauses per second at 1,500
    clients); 0 keeps the interpreter's setting."""

    def __post_init__(self) -> None:
        problems = []
        if not 10 <= self.tick_hz <= 20:
            problems.append(f"tick_hz: {self.tick_hz} must be between 10 and 20")
        if not 1 <= self.k_nearest <= 1024:
            problems.append(f"k_nearest: {self.k_nearest} must be between 1 and 1024")
        if not 0 < self.max_speed <= 50:
            problems.append(f"max_speed: {self.max_speed} must be in (0, 50] m/s")
        if self.gc_threshold < 0:
            problems.append("gc_threshold must be 0 (keep) or positive")
        if not 0 < self.knn_block_m <= 64:
            problems.append(f"knn_block_m: {self.knn_block_m} must be in (0, 64] m")
        if self.knn_refresh_ticks < 1 or self.max_avatars < 1:
            problems.append("knn_refresh_ticks and max_avatars must be at least 1")
        if min(self.resume_window_s, self.hello_timeout_s, self.idle_timeout_s) <= 0:
            problems.append("timeouts must be positive")
        if problems:
            raise ValueError("; ".join(problems))


# -- effects ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``data`` (one encoded message) to ``session``. Frames may replace stale frames."""

    session: int
    data: bytes
    type: MsgType


@dataclass(frozen=True, slots=True)
class Close:
    """Close ``session``'s socket with ``code`` after sending what is queued."""

    session: int
    code: CloseCode
    reason: str


@dataclass(frozen=True, slots=True)
class Frames:
    """This tick's presence frame for every welcomed session, as ``(session, data)`` pairs:
    one effect per tick rather than one object per client. A frame may replace a stale one
    still waiting for its client (then call :meth:`PresenceWorld.resync`)."""

    items: list[tuple[int, bytes]]


@dataclass(frozen=True, slots=True)
class Dispatch:
    """A request this world does not handle (learning, booths, and ``hello`` for identity
    hooks): the pump hands it to the registered handler."""

    session: int
    message: Message


Effect = Send | Frames | Close | Dispatch


@dataclass(frozen=True, slots=True)
class CellNews:
    """What this world's own avatars did in one interest cell since the last
    :meth:`PresenceWorld.take_news`, for the other processes serving the street."""

    updates: list[bytes]
    """Update records exactly as framed (msgpack ``[id, x?, z?, heading?, anim?]``)."""
    enters: list[bytes]
    """Full records (msgpack ``[id, x, z, heading, anim, name, look]``) of avatars that
    arrived in the cell, or of all of them when the roster was asked for."""
    leaves: list[int]
    said: list[list]
    """``[MsgType, encoded message]`` of each chat and emote said there."""


@dataclass(frozen=True, slots=True)
class TickNews:
    """See :meth:`PresenceWorld.take_news`."""

    cells: dict[int, CellNews]
    watched: set[int]
    """Cells some visitor of this world can see: the others' news of them is wanted."""
    released: list[tuple[str, list]]
    """``(resume token, state)`` of avatars whose connection dropped (see :meth:`adopt`)."""


@dataclass(frozen=True)
class SessionView:
    """What a request handler may know about the session that sent the request."""

    session: int
    avatar_id: int
    name: str
    x: float
    z: float
    visitor_id: str | None
    visitor_secret: str | None


# -- state ------------------------------------------------------------------------------------


class _Session:
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
        self.avatar: _Avatar | None = None
        self.hello: Hello | None = None
        move = L.RATE_LIMITS[MsgType.MOVE]
        self.move_bucket = TokenBucket(move.rate, move.burst, now)
        self.buckets: dict[int, TokenBucket] = {int(MsgType.MOVE): self.move_bucket}
        self.strikes = TokenBucket(L.ABUSE_STRIKES.rate, L.ABUSE_STRIKES.burst, now)
        self.closing = False
        self.drop_avatar = False


class _Avatar:
    __slots__ = (
        "anim",
        "cell",
        "dirty",
        "group",
        "gver",
        "heading",
        "held_until",
        "id",
        "look",
        "name",
        "qa",
        "qh",
        "qx",
        "qz",
        "remote",
        "reset",
        "session",
        "stride",
        "token",
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
        self.session: _Session | None = None
        self.x = self.z = self.heading = 0.0
        self.anim = 0
        self.qx = self.qz = self.qh = self.qa = 0
        self.cell = 0
        self.dirty = False
        self.held_until: float | None = None
        self.stride: TokenBucket
        self.remote = False
        """Another process's visitor, known from its news (no session, no token here)."""
        # as an observer
        self.visible: set[int] = set()
        self.vis_cell = -1
        self.group: _Group | None = None
        """The crowded block whose K nearest this observer sees; None when uncrowded."""
        self.gver = -1
        self.reset = True


def _heading_byte(degrees: float) -> int:
    return int(degrees * (256 / 360) + 0.5) & 255


def _full_record(a: _Avatar) -> bytes:
    """An avatar as a frame's enter record (its last framed position)."""
    return _packb([a.id, a.qx, a.qz, a.qh, a.qa, a.name, list(a.look)], use_bin_type=True)


def _merged(
    early: tuple[dict[int, bytes], dict[int, list]],
    frags: dict[int, bytes],
    batches: dict[int, list],
) -> tuple[dict[int, bytes], dict[int, list]]:
    """One tick's updates from its two halves (:meth:`PresenceWorld.collect`, then ``tick``).
    Cell batches keep both records of an avatar that changed in both (clients apply a frame's
    updates in order); the per-avatar records are combined, the later fields winning."""
    merged, merged_batches = early
    for aid, late in frags.items():
        first = merged.get(aid)
        if first is None:
            merged[aid] = late
        else:
            a, b = _unpackb(first), _unpackb(late)
            rec = [aid] + [
                b[i] if i < len(b) and b[i] is not None else a[i] if i < len(a) else None
                for i in range(1, max(len(a), len(b)))
            ]
            while rec[-1] is None:
                rec.pop()
            merged[aid] = _packb(rec)
    for cell, batch in batches.items():
        got = merged_batches.get(cell)
        if got is None:
            merged_batches[cell] = batch
        else:
            got += batch
    return merged, merged_batches


def _resume_state(a: _Avatar) -> list:
    return [
        round(a.x * 100),
        round(a.z * 100),
        _heading_byte(a.heading),
        a.anim,
        a.name,
        list(a.look),
    ]


class PresenceWorld:
    """Avatars on the street and the frames each client sees. See the module docstring."""

    def __init__(
        self,
        manifest: Manifest,
        settings: PresenceSettings | None = None,
        token_factory: Callable[[], str] = lambda: secrets.token_urlsafe(18),
    ) -> None:
        self.settings = s = settings or PresenceSettings()
        self.grid = manifest.grid
        self.walk = WalkMap(manifest.walkable)
        self.spawns = [(*p.position, p.heading) for p in manifest.spawn_points]
        if not self.spawns:
            raise ValueError("manifest.spawn_points: the world needs at least one spawn point")
        self._token = token_factory
        g = self.grid
        ncells = g.cols * g.rows
        self.neigh: list[tuple[int, ...]] = []
        for index in range(ncells):
            cells = g.neighbourhood((index % g.cols, index // g.cols))
            self.neigh.append(tuple(r * g.cols + c for c, r in cells))
        self.neigh_set = [frozenset(n) for n in self.neigh]
        self.block = s.knn_block_m
        self.bcols = math.ceil(g.cols * g.cell / self.block)
        self.nblocks = self.bcols * math.ceil(g.rows * g.cell / self.block)
        self.groups: dict[int, _Group] = {}
        self.cells: list[dict[int, _Avatar]] = [{} for _ in range(ncells)]
        self.avatars: dict[int, _Avatar] = {}
        self.tokens: dict[str, _Avatar] = {}
        self.sessions: dict[int, _Session] = {}
        self.held: list[_Avatar] = []
        self.dirty: list[_Avatar] = []
        self.events: list[tuple[int, int, int]] = []
        """``(avatar id, old cell, new cell)`` since the last tick; -1 for none (join/leave)."""
        self.tick_no = 0
        self._first_id, self._last_id = 1, L.AVATAR_ID_MAX
        self._next_id = 0
        self._next_spawn = 0
        # a street shared with other processes (see share())
        self._sharing = False
        self._remote = 0
        self._news: dict[int, CellNews] = {}
        self._released: list[tuple[str, list]] = []
        self._remote_leaves: list[tuple[int, int]] = []
        self._early: tuple[dict[int, bytes], dict[int, list]] | None = None
        self._noted = 0
        """Events before this index were filed as news already."""
        self._next_sweep = 0.0
        self._k = s.k_nearest

    # -- the four entry points ----------------------------------------------------------------

    def connect(self, session: int, now: float) -> list[Effect]:
        """A socket opened; nothing is visible until its ``hello``."""
        if session in self.sessions:
            raise ValueError(f"session {session} is already connected")
        self.sessions[session] = _Session(session, now)
        return []

    def receive(self, session: int, data: bytes, now: float) -> Sequence[Effect]:
        """One WebSocket message from ``session``."""
        s = self.sessions.get(session)
        if s is None or s.closing:
            return ()
        s.last_seen = now
        if len(data) > _MAX_BYTES:
            return self._fatal(s, ErrorCode.TOO_LARGE, CloseCode.MESSAGE_TOO_BIG, "too large")
        try:
            # msgpack's defaults: str as UTF-8, string map keys, lengths bounded by the input
            # (≤ 16 KiB); the field checks below bound every array and string further
            obj = _unpackb(data)
        except Exception:  # every msgpack failure means the same: not one msgpack value
            return self._fatal(s, ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME, "not msgpack")
        # The hot path: a well-formed move from a welcomed client, checked without a dataclass.
        a = s.avatar
        if (
            a is not None
            and type(obj) is list
            and len(obj) == 6
            and obj[0] == _MOVE
            and type(obj[0]) is int
        ):
            _, cid, x, z, h, anim = obj
            if (
                (cid is None or (type(cid) is int and 0 <= cid <= L.CID_MAX))
                and type(x) in (float, int)
                and type(z) in (float, int)
                and type(h) in (float, int)
                and type(anim) is int
                and 0 <= anim <= 255
            ):
                bucket = s.move_bucket
                if not bucket.take(now):
                    return self._limited(s, cid, now)
                return self._move(s, a, float(x), float(z), float(h), anim, cid, now)
        try:
            msg = decode_value(obj)
        except ProtocolError as exc:
            return self._fatal(s, exc.code, exc.close, str(exc), exc.cid)
        if not self._allow(s, int(msg.TYPE), now):
            return self._limited(s, msg.cid, now)
        if isinstance(msg, Ping):
            return [self._reply(s, Pong(msg.t, now, cid=msg.cid))]
        if isinstance(msg, Hello):
            return self._hello(s, msg, now)
        if a is None:
            return [self._error(s, ErrorCode.NOT_WELCOMED, "send hello first", msg.cid)]
        if isinstance(msg, Move):
            return self._move(s, a, msg.x, msg.z, msg.heading, msg.anim, msg.cid, now)
        if isinstance(msg, Chat):
            return self._chat(s, a, msg)
        if isinstance(msg, EmoteMsg):
            return self._emote(s, a, msg)
        return [Dispatch(s.id, msg)]

    def disconnect(self, session: int, now: float) -> list[Effect]:
        """The socket is gone. The avatar stays (standing still) for the resume window."""
        s = self.sessions.pop(session, None)
        if s is None or s.avatar is None or s.avatar.session is not s:
            return []
        a = s.avatar
        a.session = None
        a.visible = set()
        if s.drop_avatar:
            self._remove(a)
        else:
            a.held_until = now + self.settings.resume_window_s
            self.held.append(a)
            if self._sharing:
                self._released.append((a.token, _resume_state(a)))
        return []

    def tick(self, now: float) -> list[Effect]:
        """Advance one tick: a :class:`Frames` effect with one frame per welcomed session, after
        any timeouts (checked once a second)."""
        self.tick_no += 1
        effects: list[Effect] = []
        if now >= self._next_sweep:
            self._next_sweep = now + 1.0
            self._sweep(now, effects)
        if self._remote_leaves:
            self._apply_remote_leaves()
        frags, cell_batches = self._collect()
        if self._sharing:
            self._note_news(frags)
        if self._early is not None:  # the first half of this tick ran in collect()
            frags, cell_batches = _merged(self._early, frags, cell_batches)
            self._early = None
        event_cells: set[int] = set()
        cell_events: dict[int, list[tuple[int, int, int]]] = {}
        for ev in self.events:
            for c in ev[1:]:
                if c >= 0:
                    event_cells.add(c)
                    cell_events.setdefault(c, []).append(ev)
        self.events = []
        self._noted = 0
        observers = [
            a for s in self.sessions.values() if (a := s.avatar) is not None and not s.closing
        ]
        frames = _TickFrames(self, frags, cell_batches, event_cells, cell_events)
        frames.choose_nearest(observers)
        for_observer = frames.for_observer
        items = [(a.session.id, for_observer(a)) for a in observers]  # type: ignore[union-attr]
        effects.append(Frames(items))
        return effects

    # -- helpers the pump uses ----------------------------------------------------------------

    def resync(self, session: int) -> None:
        """A frame for ``session`` was dropped: the next one restates everything (reset)."""
        s = self.sessions.get(session)
        if s is not None and s.avatar is not None:
            s.avatar.reset = True

    def welcomed(self, session: int) -> bool:
        s = self.sessions.get(session)
        return s is not None and s.avatar is not None and not s.closing

    def view(self, session: int) -> SessionView | None:
        s = self.sessions.get(session)
        if s is None or s.avatar is None or s.hello is None:
            return None
        a = s.avatar
        return SessionView(s.id, a.id, a.name, a.x, a.z, s.hello.visitor_id, s.hello.visitor_secret)

    @property
    def population(self) -> int:
        return len(self.avatars)

    # -- a street shared with other processes (server/redis_presence.py) ----------------------

    def share(self, first_id: int, last_id: int) -> None:
        """Join a street that other processes serve too: allocate avatar ids in
        ``first_id..last_id`` only (ids must be unique street-wide), and record each tick's
        news of this world's own avatars for :meth:`take_news`. Call before anyone arrives."""
        if self.avatars:
            raise RuntimeError("share() must come before the first avatar")
        if not 1 <= first_id <= last_id <= L.AVATAR_ID_MAX:
            raise ValueError(f"avatar ids {first_id}..{last_id} outside 1..{L.AVATAR_ID_MAX}")
        self._first_id, self._last_id = first_id, last_id
        self._next_id = first_id - 1
        self._sharing = True

    @property
    def local_population(self) -> int:
        """Avatars of this world's own visitors (connected or waiting to resume)."""
        return len(self.avatars) - self._remote

    def take_news(self, roster: Callable[[int], bool]) -> TickNews:
        """This world's news since the last call: per cell, its own avatars' update records
        (exactly as framed), arrivals, departures and what was said; plus the full roster of
        every cell for which ``roster(cell)`` is true, the cells its visitors can see, and
        the resume states of avatars whose connection dropped."""
        news, self._news = self._news, {}
        first, last = self._first_id, self._last_id
        rosters: dict[int, list[bytes]] = {}
        for a in self.avatars.values():
            if first <= a.id <= last and roster(a.cell):
                rosters.setdefault(a.cell, []).append(_full_record(a))
        for cell, records in rosters.items():
            got = news.get(cell)
            if got is None:
                news[cell] = CellNews([], records, [], [])
            else:
                got.enters[:] = records  # the roster holds every arrival too
        seen_from = {a.cell for s in self.sessions.values() if (a := s.avatar) is not None}
        neigh = self.neigh
        watched: set[int] = set()
        for cell in seen_from:
            watched.update(neigh[cell])
        released, self._released = self._released, []
        return TickNews(news, watched, released)

    def remote_news(self, cell: int, updates: list, enters: list, leaves: list) -> None:
        """Another process's news of ``cell`` (see :meth:`take_news`): its avatars become,
        move and leave as *remote* avatars here, shown in frames like this world's own.
        Records naming this world's own ids are ignored."""
        first, last = self._first_id, self._last_id
        avatars = self.avatars
        for rec in enters:
            aid = rec[0]
            if type(aid) is not int or first <= aid <= last or not 1 <= aid <= L.AVATAR_ID_MAX:
                continue
            a = avatars.get(aid)
            if a is None:
                self._add_remote(rec)
            elif a.remote:
                self._remote_move(a, rec[1], rec[2], rec[3], rec[4])
        for rec in updates:
            a = avatars.get(rec[0])
            if a is not None and a.remote:
                n = len(rec)
                self._remote_move(
                    a,
                    rec[1] if n > 1 else None,
                    rec[2] if n > 2 else None,
                    rec[3] if n > 3 else None,
                    rec[4] if n > 4 else None,
                )
        for aid in leaves:
            self._remote_leaves.append((aid, cell))  # applied at the next tick

    def remote_remove(self, aid: int) -> None:
        """Forget a remote avatar (it left, or its process went quiet)."""
        a = self.avatars.get(aid)
        if a is not None and a.remote:
            self._remote -= 1
            self._remove(a)

    def remote_said(self, cell: int, kind: int, data: bytes) -> list[Effect]:
        """A chat or emote said in ``cell`` on another process, for this world's visitors who
        can hear it (``data`` is the encoded ``chat_said`` or ``emoted``)."""
        if kind not in _SAID or type(data) is not bytes or not 0 <= cell < len(self.cells):
            return []
        msg_type = MsgType(kind)
        effects: list[Effect] = []
        for c in self.neigh[cell]:
            for other in self.cells[c].values():
                o = other.session
                if o is not None and not o.closing:
                    effects.append(Send(o.id, data, msg_type))
        return effects

    def knows_token(self, token: str) -> bool:
        return token in self.tokens

    def resume_states(self) -> list[tuple[str, list]]:
        """``(resume token, state)`` of every avatar of this world's own visitors, the state
        being what :meth:`adopt` takes: ``[x cm, z cm, heading byte, anim, name, look]``."""
        first, last = self._first_id, self._last_id
        return [(a.token, _resume_state(a)) for a in self.avatars.values() if first <= a.id <= last]

    def adopt(
        self,
        token: str,
        qx: int,
        qz: int,
        qh: int,
        anim: int,
        name: str,
        look: tuple[int, ...],
        now: float,
    ) -> None:
        """Take over an avatar whose visitor resumes here after playing on another process:
        it waits for the hello with ``token``, as if it had dropped here, under a new id of
        this world's own. A position off the walkable area becomes a spawn point."""
        if token in self.tokens or self.local_population >= self.settings.max_avatars:
            return
        name = clean_name(name) or "?"
        x, z = qx / 100.0, qz / 100.0
        place = None
        if self.walk.contains(x, z):
            place = (x, z, (qh & 255) * (360 / 256), anim if anim in _ANIMS else int(Anim.IDLE))
        look = tuple(int(v) & 255 for v in look[: L.LOOK_FIELDS])
        a = self._spawn(name, look, now, token, place)
        a.held_until = now + self.settings.resume_window_s
        self.held.append(a)

    def release(self, token: str) -> list[Effect]:
        """The visitor with ``token`` resumed on another process: let go of the avatar here
        (closing its old connection, should it still be open)."""
        a = self.tokens.get(token)
        if a is None or a.remote:
            return []
        effects: list[Effect] = []
        s = a.session
        if s is not None:
            a.session = None
            s.avatar = None
            effects += self._fatal(s, ErrorCode.REPLACED, CloseCode.REPLACED, "resumed elsewhere")
        if a.held_until is not None:
            a.held_until = None
            self.held.remove(a)
        self._remove(a)
        return effects

    def _news_of(self, cell: int) -> CellNews:
        got = self._news.get(cell)
        if got is None:
            got = self._news[cell] = CellNews([], [], [], [])
        return got

    def collect(self) -> None:
        """The first half of a tick on a shared street: this tick's moves are encoded and
        filed as news at once, for the pump to publish before it builds the frames with
        :meth:`tick` a few milliseconds later (which adds whatever arrived meanwhile, from
        this world's visitors or other processes)."""
        frags, batches = self._collect()
        if self._sharing:
            self._note_news(frags)
        self._early = (
            (frags, batches) if self._early is None else _merged(self._early, frags, batches)
        )

    def _note_news(self, frags: dict[int, bytes]) -> None:
        """File changes of this world's own avatars by cell (see take_news)."""
        first, last = self._first_id, self._last_id
        avatars = self.avatars
        news_of = self._news_of
        for aid, frag in frags.items():
            if first <= aid <= last:
                news_of(avatars[aid].cell).updates.append(frag)
        events = self.events
        start, self._noted = self._noted, len(events)
        for aid, old, new in events[start:]:
            if first <= aid <= last:
                if old >= 0:
                    news_of(old).leaves.append(aid)
                a = avatars.get(aid)
                if new >= 0 and a is not None:
                    news_of(new).enters.append(_full_record(a))

    def _add_remote(self, rec: list) -> None:
        if len(rec) != 7 or not all(type(v) is int for v in rec[1:5]):
            return
        aid, qx, qz, qh, anim, name, look = rec
        if not isinstance(name, str) or not isinstance(look, list):
            return
        a = _Avatar(aid, name[: L.NAME_MAX_CHARS], tuple(look[: L.LOOK_FIELDS]), "")
        a.remote = True
        a.x, a.z, a.heading, a.anim = qx / 100.0, qz / 100.0, (qh & 255) * (360 / 256), anim
        a.qx, a.qz, a.qh, a.qa = qx, qz, qh & 255, anim
        a.cell = self._cell_of(a.x, a.z)
        self.avatars[aid] = a
        self.cells[a.cell][aid] = a
        self.events.append((aid, -1, a.cell))
        self._remote += 1

    def _remote_move(self, a: _Avatar, qx: object, qz: object, qh: object, anim: object) -> None:
        if type(qx) is int and type(qz) is int:
            a.x = qx / 100.0
            a.z = qz / 100.0
        if type(qh) is int:
            a.heading = (qh & 255) * (360 / 256)
        if type(anim) is int:
            a.anim = anim & 255
        if not a.dirty:
            a.dirty = True
            self.dirty.append(a)

    def _apply_remote_leaves(self) -> None:
        """Leaves heard since the last tick, unless the avatar was heard arriving in the
        next cell meanwhile (the two cells' news may come in either order)."""
        avatars = self.avatars
        for aid, cell in self._remote_leaves:
            a = avatars.get(aid)
            if a is not None and a.remote and self._cell_of(a.x, a.z) == cell:
                self.remote_remove(aid)
        self._remote_leaves = []

    # -- requests -----------------------------------------------------------------------------

    def _allow(self, s: _Session, kind: int, now: float) -> bool:
        bucket = s.buckets.get(kind)
        if bucket is None:
            rate = L.RATE_LIMITS.get(MsgType(kind), L.DEFAULT_RATE)
            bucket = s.buckets[kind] = TokenBucket(rate.rate, rate.burst, now)
        return bucket.take(now)

    def _limited(self, s: _Session, cid: int | None, now: float) -> list[Effect]:
        if not s.strikes.take(now):
            s.drop_avatar = True
            return self._fatal(s, ErrorCode.ABUSE, CloseCode.ABUSE, "too many requests")
        return [self._error(s, ErrorCode.RATE_LIMITED, "slow down", cid)]

    def _hello(self, s: _Session, m: Hello, now: float) -> list[Effect]:
        if s.avatar is not None:
            return [self._error(s, ErrorCode.ALREADY_WELCOMED, "already welcomed", m.cid)]
        if m.version != PROTOCOL_VERSION:
            return self._fatal(
                s,
                ErrorCode.VERSION_MISMATCH,
                CloseCode.VERSION_MISMATCH,
                f"server speaks protocol {PROTOCOL_VERSION}, client sent {m.version}",
                m.cid,
            )
        name = clean_name(m.name)
        if name is None:
            why = f"names are {L.NAME_MIN_CHARS}–{L.NAME_MAX_CHARS} characters, no control codes"
            return [self._error(s, ErrorCode.BAD_NAME, why, m.cid)]
        effects: list[Effect] = []
        a = self.tokens.get(m.resume) if m.resume else None
        resumed = a is not None
        if a is not None:
            old = a.session
            if old is not None:
                old.avatar = None
                effects += self._fatal(old, ErrorCode.REPLACED, CloseCode.REPLACED, "resumed")
            if a.held_until is not None:
                a.held_until = None
                self.held.remove(a)
        else:
            if self.local_population >= min(
                self.settings.max_avatars, self._last_id - self._first_id + 1
            ):
                return self._fatal(s, ErrorCode.SERVER_FULL, CloseCode.SERVER_FULL, "full", m.cid)
            a = self._spawn(name, m.look, now)
        a.session = s
        a.reset = True
        a.visible = set()
        s.avatar = a
        s.hello = m
        welcome = Welcome(
            a.id,
            a.token,
            a.x,
            a.z,
            a.heading,
            a.anim,
            a.name,
            resumed,
            self.settings.tick_hz,
            cid=m.cid,
        )
        effects.append(self._reply(s, welcome))
        effects.append(Dispatch(s.id, m))
        return effects

    def _spawn(
        self,
        name: str,
        look: tuple[int, ...],
        now: float,
        token: str | None = None,
        place: tuple[float, float, float, int] | None = None,
    ) -> _Avatar:
        """A new avatar of this world's: at the next spawn point, or at ``place``
        (``x, z, heading, anim``) when one is adopted (see :meth:`adopt`)."""
        aid = self._allocate_id()
        token = token or self._token()
        a = _Avatar(aid, name, look, token)
        if place is None:
            x, z, heading = self.spawns[self._next_spawn % len(self.spawns)]
            self._next_spawn += 1
            anim = int(Anim.IDLE)
        else:
            x, z, heading, anim = place
        a.x, a.z, a.heading, a.anim = x, z, heading % 360.0, anim
        a.qx, a.qz, a.qh, a.qa = round(x * 100), round(z * 100), _heading_byte(a.heading), a.anim
        s = self.settings
        a.stride = TokenBucket(s.max_speed, s.max_speed * s.speed_burst_s, now)
        a.cell = self._cell_of(x, z)
        self.avatars[aid] = a
        self.tokens[token] = a
        self.cells[a.cell][aid] = a
        self.events.append((aid, -1, a.cell))
        return a

    def _allocate_id(self) -> int:
        """Counts up and wraps, so a freed id is not reused while clients may remember it."""
        first, last = self._first_id, self._last_id
        for _ in range(last - first + 1):
            self._next_id = self._next_id + 1 if first <= self._next_id < last else first
            if self._next_id not in self.avatars:
                return self._next_id
        raise RuntimeError("no free avatar id")  # the hello's capacity check keeps this away

    def _remove(self, a: _Avatar) -> None:
        del self.avatars[a.id]
        self.tokens.pop(a.token, None)
        self.cells[a.cell].pop(a.id, None)
        self.events.append((a.id, a.cell, -1))

    def _move(
        self,
        s: _Session,
        a: _Avatar,
        x: float,
        z: float,
        h: float,
        anim: int,
        cid: int | None,
        now: float,
    ) -> Sequence[Effect]:
        # x - x is 0.0 for every finite float and NaN for NaN and ±inf
        if (x - x) + (z - z) + (h - h) != 0.0 or anim not in _ANIMS:
            return [self._correct(s, a, ErrorCode.BAD_VALUE, cid)]
        if not self.walk.contains(x, z):
            return [self._correct(s, a, ErrorCode.OUT_OF_BOUNDS, cid)]
        if not a.stride.take(now, _hypot(x - a.x, z - a.z)):
            return [self._correct(s, a, ErrorCode.TOO_FAST, cid)]
        a.x = x
        a.z = z
        a.heading = h % 360.0
        a.anim = anim
        if not a.dirty:
            a.dirty = True
            self.dirty.append(a)
        return ()

    def _correct(self, s: _Session, a: _Avatar, reason: ErrorCode, cid: int | None) -> Send:
        return self._reply(s, Correction(int(reason), a.x, a.z, a.heading, a.anim, cid=cid))

    def _chat(self, s: _Session, a: _Avatar, m: Chat) -> list[Effect]:
        text, why = clean_chat(m.text)
        if text is None:
            code = ErrorCode.TEXT_TOO_LONG if why == "too_long" else ErrorCode.BAD_TEXT
            return [self._error(s, code, f"chat: {why}", m.cid)]
        return self._to_area(s, a, ChatSaid(a.id, a.name, text), m.cid)

    def _emote(self, s: _Session, a: _Avatar, m: EmoteMsg) -> list[Effect]:
        if m.emote not in _EMOTES:
            return [self._error(s, ErrorCode.BAD_VALUE, f"unknown emote {m.emote}", m.cid)]
        return self._to_area(s, a, Emoted(a.id, m.emote), m.cid)

    def _to_area(self, s: _Session, a: _Avatar, msg: Message, cid: int | None) -> list[Effect]:
        """Everyone whose interest area holds the speaker's cell, now; the speaker gets its
        copy with its ``cid``."""
        shared = encode(msg)
        kind = msg.TYPE
        if self._sharing:
            self._news_of(a.cell).said.append([int(kind), shared])
        effects: list[Effect] = []
        for c in self.neigh[a.cell]:
            for other in self.cells[c].values():
                o = other.session
                if o is None or o.closing or o is s:
                    continue
                effects.append(Send(o.id, shared, kind))
        own = shared if cid is None else encode(replace(msg, cid=cid))
        effects.append(Send(s.id, own, kind))
        return effects

    # -- replies ------------------------------------------------------------------------------

    def _reply(self, s: _Session, msg: Message) -> Send:
        return Send(s.id, encode(msg), msg.TYPE)

    def _error(self, s: _Session, code: ErrorCode, text: str, cid: int | None) -> Send:
        return self._reply(s, Error(int(code), text, cid=cid))

    def _fatal(
        self,
        s: _Session,
        code: ErrorCode,
        close: CloseCode,
        text: str,
        cid: int | None = None,
    ) -> list[Effect]:
        """Tell the client why, then close; nothing more is read from this session."""
        s.closing = True
        return [self._error(s, code, text, cid), Close(s.id, close, text[:120])]

    # -- the tick -----------------------------------------------------------------------------

    def _sweep(self, now: float, effects: list[Effect]) -> None:
        """Once a second: expired resume windows, hello and idle timeouts."""
        if self.held:
            keep = []
            for a in self.held:
                if a.held_until is not None and now >= a.held_until:
                    a.held_until = None
                    self._remove(a)
                else:
                    keep.append(a)
            self.held = keep
        st = self.settings
        for s in self.sessions.values():
            if s.closing:
                continue
            if s.avatar is None and now - s.opened >= st.hello_timeout_s:
                effects += self._fatal(
                    s, ErrorCode.HELLO_TIMEOUT, CloseCode.HELLO_TIMEOUT, "no hello"
                )
            elif now - s.last_seen >= st.idle_timeout_s:
                s.drop_avatar = True
                effects += self._fatal(s, ErrorCode.IDLE_TIMEOUT, CloseCode.IDLE_TIMEOUT, "idle")

    def _cell_of(self, x: float, z: float) -> int:
        g = self.grid
        col = int((x - g.origin[0]) // g.cell)
        row = int((z - g.origin[1]) // g.cell)
        col = 0 if col < 0 else g.cols - 1 if col >= g.cols else col
        row = 0 if row < 0 else g.rows - 1 if row >= g.rows else row
        return row * g.cols + col

    def _collect(self) -> tuple[dict[int, bytes], dict[int, list]]:
        """Encode each dirty avatar's changed fields once; batch the records by cell."""
        frags: dict[int, bytes] = {}
        batches: dict[int, list] = {}
        avatars = self.avatars
        cells = self.cells
        cell_of = self._cell_of
        events = self.events
        for a in self.dirty:
            a.dirty = False
            if avatars.get(a.id) is not a:  # removed since it moved
                continue
            qx = round(a.x * 100)
            qz = round(a.z * 100)
            qh = int(a.heading * (256 / 360) + 0.5) & 255
            pos = qx != a.qx or qz != a.qz
            turned = qh != a.qh
            if a.anim != a.qa:
                rec = [a.id, qx if pos else None, qz if pos else None, qh if turned else None]
                rec.append(a.anim)
                a.qa = a.anim
            elif turned:
                rec = [a.id, qx if pos else None, qz if pos else None, qh]
            elif pos:
                rec = [a.id, qx, qz]
            else:
                continue
            a.qx = qx
            a.qz = qz
            a.qh = qh
            frag = frags[a.id] = _packb(rec)
            cell = cell_of(a.x, a.z)
            if cell != a.cell:
                del cells[a.cell][a.id]
                cells[cell][a.id] = a
                events.append((a.id, a.cell, cell))
                a.cell = cell
            batch = batches.get(cell)
            if batch is None:
                batches[cell] = [frag]
            else:
                batch.append(frag)
        self.dirty = []
        return frags, batches


_SMALL_INTS = [_packb(i) for i in range(4096)]
_HEADERS = [array_header(n) for n in range(1024)]


def _packed_int(n: int) -> bytes:
    return _SMALL_INTS[n] if n < 4096 else _packb(n)


class _Group:
    """Crowded observers in one block of one cell: the K + 1 avatars nearest to the block's
    centre (``visible``: replaced, never mutated), of which each observer sees K (itself or
    ``far`` left out), and this tick's shared bytes. Updates of ``far`` may reach observers
    that do not see it; clients ignore ids they do not know."""

    __slots__ = (
        "bytes_tick",
        "cell",
        "cx",
        "cz",
        "far",
        "frames",
        "n",
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
        self.far = 0
        self.version = 0
        self.used = -2
        self.bytes_tick = -1
        self.updates = b""
        self.n = 0
        self.frames: dict[int, bytes] = {}


class _TickFrames:
    """Per-tick caches shared by all observers: area batches, enter records, nearest sets."""

    def __init__(
        self,
        world: PresenceWorld,
        frags: dict[int, bytes],
        cell_batches: dict[int, list],
        event_cells: set[int],
        cell_events: dict[int, list[tuple[int, int, int]]],
    ) -> None:
        self.w = world
        self.k = world._k
        self.frags = frags
        self.frag_keys = frags.keys()
        self.batches = cell_batches
        self.event_cells = event_cells
        self.cell_events = cell_events
        tick = _packb(world.tick_no)
        self.head = _FRAME_HEAD + tick + b"\xc2"
        self.head_reset = _FRAME_HEAD + tick + b"\xc3"
        self.areas: dict[int, tuple[int, bytes, bytes, bool]] = {}
        self.enters: dict[int, bytes] = {}
        self.group_of: dict[int, _Group] = {}
        self.gone: dict[int, set[int]] = {}

    def area(self, cell: int) -> tuple[int, bytes, bytes, bool]:
        """``(population, updates array, plain frame, has events)`` of ``cell``'s area."""
        got = self.areas.get(cell)
        if got is not None:
            return got
        w = self.w
        hood = w.neigh[cell]
        pop = 0
        parts: list[bytes] = []
        batches = self.batches
        for c in hood:
            pop += len(w.cells[c])
            b = batches.get(c)
            if b is not None:
                parts += b
        updates = array_header(len(parts)) + b"".join(parts)
        plain = b"".join((self.head, _EMPTY_ARRAY, updates, _EMPTY_ARRAY, b"\x00"))
        events = not self.event_cells.isdisjoint(hood)
        got = self.areas[cell] = (pop, updates, plain, events)
        return got

    def choose_nearest(self, observers: list[_Avatar]) -> None:
        """Put every crowded observer in its block's group; choose the K nearest of the
        groups due a refresh (new, idle last tick, or their turn), one numpy pass per cell."""
        w = self.w
        k = self.k
        tick = w.tick_no
        refresh = w.settings.knn_refresh_ticks
        origin_x, origin_z = w.grid.origin
        size = w.block
        groups = w.groups
        due: dict[int, list[_Group]] = {}
        area = self.area
        for a in observers:
            cell = a.cell
            got = self.areas.get(cell)
            if (got if got is not None else area(cell))[0] - 1 <= k:
                continue  # uncrowded: for_observer notices if it was crowded before
            col = int((a.x - origin_x) // size)
            row = int((a.z - origin_z) // size)
            key = cell * w.nblocks + row * w.bcols + col
            g = groups.get(key)
            if g is None:
                cx = origin_x + (col + 0.5) * size
                cz = origin_z + (row + 0.5) * size
                g = groups[key] = _Group(cell, cx, cz)
            if g.used != tick:
                if g.used < tick - 1 or (tick + key) % refresh == 0:
                    due.setdefault(cell, []).append(g)
                g.used = tick
            self.group_of[a.id] = g
        cells = w.cells
        for cell, group in due.items():
            members = [av for c in w.neigh[cell] for av in cells[c].values()]
            n = len(members)
            ids = np.fromiter((m.id for m in members), np.int64, n)
            xs = np.fromiter((m.x for m in members), np.float64, n)
            zs = np.fromiter((m.z for m in members), np.float64, n)
            gx = np.fromiter((g.cx for g in group), np.float64, len(group))
            gz = np.fromiter((g.cz for g in group), np.float64, len(group))
            d2 = (xs[None, :] - gx[:, None]) ** 2 + (zs[None, :] - gz[:, None]) ** 2
            # K + 1: a member leaves itself out; anyone else leaves out the farthest pick
            pick = np.argpartition(d2, k, axis=1)[:, : k + 1]
            rows = np.arange(len(group))
            far = ids[pick[rows, d2[rows[:, None], pick].argmax(axis=1)]].tolist()
            for g, chosen, farthest in zip(group, ids[pick].tolist(), far, strict=True):
                g.visible = set(chosen)
                g.far = farthest
                g.version += 1

    def enter(self, a: _Avatar) -> bytes:
        got = self.enters.get(a.id)
        if got is None:
            got = self.enters[a.id] = _packb(
                [a.id, a.qx, a.qz, a.qh, a.qa, a.name, list(a.look)], use_bin_type=True
            )
        return got

    def for_observer(self, a: _Avatar) -> bytes:
        cell = a.cell
        got = self.areas.get(cell)
        pop, updates, plain, events = got if got is not None else self.area(cell)
        others = pop - 1
        g = self.group_of.get(a.id)
        if g is None:
            if not (a.reset or a.group is not None or a.vis_cell != cell or events):
                return plain
            cells = self.w.cells
            new: set[int] = set()
            for c in self.w.neigh[cell]:
                new.update(cells[c])
            new.discard(a.id)
            a.group = None
            return self._diff(a, new, updates, 0)
        # crowded: the block's K nearest; bytes shared by the block's observers
        tick = self.w.tick_no
        if g.bytes_tick != tick:
            if events:
                departed = self.departed(cell)
                if not departed.isdisjoint(g.visible):
                    g.visible = g.visible - departed
                    g.version += 1
            frags = self.frags
            sel = self.frag_keys & g.visible
            n = len(sel)
            g.updates = b"".join(map(frags.__getitem__, sel))
            g.n = n
            g.bytes_tick = tick
            g.frames = {}
        member = a.id in g.visible
        own = None if member else self.frags.get(a.id)
        if a.group is g and a.gver == g.version and not a.reset:  # the steady case
            more = others - len(a.visible)
            frame = g.frames.get(more) if own is None else None
            if frame is None:
                body = self._body(g, own)
                frame = b"".join((self.head, _EMPTY_ARRAY, body, _EMPTY_ARRAY, _packed_int(more)))
                if own is None:
                    g.frames[more] = frame
            return frame
        if member:
            new = g.visible - {a.id}
        elif g.far in g.visible and len(g.visible) > self.k:
            new = g.visible - {g.far}
        else:
            new = set(g.visible)
        a.group = g
        a.gver = g.version
        return self._diff(a, new, self._body(g, own), others - len(new))

    @staticmethod
    def _body(g: _Group, own: bytes | None) -> bytes:
        """The updates array: the block's, plus the observer's own when it is not in it."""
        n = g.n if own is None else g.n + 1
        head = _HEADERS[n] if n < 1024 else array_header(n)
        return head + g.updates if own is None else head + g.updates + own

    def departed(self, cell: int) -> set[int]:
        """Avatars that left ``cell``'s area (or the world) since the last tick."""
        got = self.gone.get(cell)
        if got is None:
            hood = self.w.neigh_set[cell]
            got = self.gone[cell] = {
                aid
                for c in self.w.neigh[cell]
                for aid, _old, new in self.cell_events.get(c, ())
                if new < 0 or new not in hood
            }
        return got

    def _diff(self, a: _Avatar, new: set[int], updates: bytes, more: int) -> bytes:
        if a.reset:
            entering: set[int] | tuple[()] = new
            leaving = _EMPTY_ARRAY
            head = self.head_reset
            a.reset = False
        elif new is a.visible:
            entering = ()
            leaving = _EMPTY_ARRAY
            head = self.head
        else:
            entering = new - a.visible
            gone = a.visible - new
            leaving = _packb(list(gone)) if gone else _EMPTY_ARRAY
            head = self.head
        a.visible = new
        a.vis_cell = a.cell
        if entering:
            avatars = self.w.avatars
            enter = self.enter
            enters = [enter(avatars[i]) for i in entering]
            return b"".join(
                (head, array_header(len(enters)), *enters, updates, leaving, _packed_int(more))
            )
        return b"".join((head, _EMPTY_ARRAY, updates, leaving, _packed_int(more)))
