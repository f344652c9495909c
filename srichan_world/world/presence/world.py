"""The presence world's four entry points and the checks on every request.

``connect / receive / disconnect / tick(now)``: a session says hello (or resumes), moves,
chats and emotes; each request is checked (shape, rate, speed, walls) before it changes
anything, and a refused one gets an ``error`` or a ``correction`` while the session stays.
The move is the hot path: :meth:`PresenceWorld.receive` checks a well-formed move without
building a message and only marks the avatar dirty; all fan-out waits for the tick.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import msgpack

from srichan_world.errors import ProtocolError
from srichan_world.protocol import limits as L
from srichan_world.protocol.codec import decode_value, encode
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
    Hello,
    Message,
    Move,
    Ping,
    Pong,
    Travel,
    Travelled,
    Welcome,
)
from srichan_world.protocol.zone_messages import ZoneMove
from srichan_world.scene.manifest import Manifest
from srichan_world.world.moderation import Guard, Line
from srichan_world.world.names import REASONS, Why, check_name, clean_chat, clean_name
from srichan_world.world.presence.avatars import Avatar, Session, identity_key, resume_state
from srichan_world.world.presence.crowd import new_token
from srichan_world.world.presence.effects import (
    Close,
    Dispatch,
    Effect,
    Frames,
    Held,
    Send,
    SessionView,
)
from srichan_world.world.presence.frames import TickFrames
from srichan_world.world.presence.relocate import nearest_walkable
from srichan_world.world.presence.settings import PresenceSettings
from srichan_world.world.presence.sharing import SharedCrowd, merge_halves
from srichan_world.world.ratelimit import TokenBucket

_unpackb: Callable[..., Any] = msgpack.unpackb
_hypot = math.hypot
_ANIMS = frozenset(int(a) for a in Anim)
_MAX_BYTES = L.MAX_FRAME_BYTES
_EMOTES = frozenset(int(e) for e in Emote)
_MOVE = int(MsgType.MOVE)


class PresenceWorld(SharedCrowd):
    """Avatars on the street and the frames each client sees. See the package docstring."""

    def __init__(
        self,
        manifest: Manifest,
        settings: PresenceSettings | None = None,
        token_factory: Callable[[], str] = new_token,
        guard: Guard | None = None,
    ) -> None:
        super().__init__(manifest, settings, token_factory)
        self._next_sweep = 0.0
        self.guard = guard
        """Moderation (mutes, bans, the word filter, the chat log), or none at all."""

    # -- the four entry points ----------------------------------------------------------------

    def connect(self, session: int, now: float) -> list[Effect]:
        """A socket opened; nothing is visible until its ``hello``."""
        if session in self.sessions:
            raise ValueError(f"session {session} is already connected")
        self.sessions[session] = Session(session, now)
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
            return self._chat(s, a, msg, now)
        if isinstance(msg, EmoteMsg):
            return self._emote(s, a, msg)
        if isinstance(msg, Travel):
            return self._travel(s, a, msg)
        return [Dispatch(s.id, msg)]

    def disconnect(self, session: int, now: float, goodbye: bool = False) -> list[Effect]:
        """The socket is gone. The avatar stays (standing still) for the resume window
        (:class:`Held`), unless the client said ``goodbye`` (a normal close) or was closed
        for abuse: then it leaves at once."""
        s = self.sessions.pop(session, None)
        if s is None or s.avatar is None or s.avatar.session is not s:
            return []
        a = s.avatar
        a.session = None
        a.visible = set()
        if s.drop_avatar or goodbye:
            self._remove(a)
            return []
        a.held_until = now + self.settings.resume_window_s
        self.held.append(a)
        if self._sharing:
            self._released.append((a.token, resume_state(a)))
        return [Held(session, a.token, a.held_until)]

    def is_held(self, token: str) -> bool:
        """Does an avatar still wait for a resume under ``token``?"""
        a = self.tokens.get(token)
        return a is not None and a.held_until is not None

    def tick(self, now: float) -> list[Effect]:
        """Advance one tick: a :class:`Frames` effect with one frame per welcomed session, after
        any timeouts (checked once a second)."""
        self.tick_no += 1
        effects: list[Effect] = []
        if now >= self._next_sweep:
            self._next_sweep = now + 1.0
            self._sweep(now, effects)
        frags, cell_batches = self._collect(self.tick_no)
        if self._sharing:
            self._note_news(cell_batches)
        if self._early is not None:  # the first half of this tick ran in collect()
            frags, cell_batches = merge_halves(self._early, frags, cell_batches)
            self._early = None
        if self._inbox:
            self._take_in(frags, cell_batches)
        if self._remote_leaves:
            self._apply_remote_leaves(frags, cell_batches)
        if self._ghosts:
            self._expire_ghosts()
        if self._ghost_left:
            self._ghost_left = False
            if self._sharing:  # the other processes hear of it too
                self._note_news({})
        self.frags = frags
        if self.tiered:
            self._take_turns()
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
        frames = TickFrames(self, frags, cell_batches, event_cells, cell_events)
        frames.choose_nearest(observers)
        for_observer = frames.for_observer
        # an observer's avatar has its session (observers come from sessions), so no test here:
        # this line runs once per observer per tick
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

    def sessions_of(self, visitor_id: str) -> list[int]:
        """The open sessions whose hello named this visitor (moderation acts on all of them)."""
        return [
            s.id
            for s in self.sessions.values()
            if not s.closing and s.hello is not None and s.hello.visitor_id == visitor_id
        ]

    def send_off(self, session: int, reason: str) -> list[Effect]:
        """A moderator removed this session: closed (4003) after what is queued, the avatar
        gone at once (not held for a resume)."""
        s = self.sessions.get(session)
        if s is None or s.closing:
            return []
        s.closing = True
        s.drop_avatar = True
        return [Close(s.id, CloseCode.ABUSE, reason)]

    def switch(self, manifest: Manifest, notice: bytes) -> list[Effect]:
        """The street was rebuilt (live reload): lay the world out again on ``manifest``, send
        ``notice`` (the encoded ``scene_changed``, the same bytes for all) to every welcomed
        session, and move each of this world's avatars that now stands off the walkable area
        to the nearest walkable spot (:mod:`~srichan_world.world.presence.relocate`; a spawn
        point when none is near), telling its client with a ``correction``. Every observer
        gets a fresh view (``reset``) at the next frame. Remote avatars are moved by their
        own process."""
        self._lay_out(manifest)
        self.events = []
        effects: list[Effect] = [
            Send(s.id, notice, MsgType.SCENE_CHANGED)
            for s in self.sessions.values()
            if s.avatar is not None and not s.closing
        ]
        contains = self.walk.contains
        for a in self.avatars.values():
            a.reset = True
            a.vis_cell = -1
            if a.remote or contains(a.x, a.z):
                continue
            # moved like any move: the tick files it into its new cell
            a.x, a.z = nearest_walkable(contains, a.x, a.z) or self.spawns[0][:2]
            if not a.dirty:
                a.dirty = True
                self.dirty.append(a)
            s = a.session
            if s is not None and not s.closing:
                effects.append(self._correct(s, a, ErrorCode.OUT_OF_BOUNDS, None))
        return effects

    @property
    def population(self) -> int:
        return len(self.avatars)

    # -- requests -----------------------------------------------------------------------------

    def _allow(self, s: Session, kind: int, now: float) -> bool:
        bucket = s.buckets.get(kind)
        if bucket is None:
            rate = L.RATE_LIMITS.get(MsgType(kind), L.DEFAULT_RATE)
            bucket = s.buckets[kind] = TokenBucket(rate.rate, rate.burst, now)
        return bucket.take(now)

    def _limited(self, s: Session, cid: int | None, now: float) -> list[Effect]:
        if not s.strikes.take(now):
            s.drop_avatar = True
            return self._fatal(s, ErrorCode.ABUSE, CloseCode.ABUSE, "too many requests")
        return [self._error(s, ErrorCode.RATE_LIMITED, "slow down", cid)]

    def _hello(self, s: Session, m: Hello, now: float) -> list[Effect]:
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
        guard = self.guard
        if guard is not None and guard.sanctions.is_banned(m.visitor_id, now):
            banned = "banned by the moderators"
            return self._fatal(s, ErrorCode.BANNED, CloseCode.ABUSE, banned, m.cid)
        name, why = check_name(m.name)
        if name is None:
            return [self._error(s, ErrorCode.BAD_NAME, REASONS[why or Why.LENGTH], m.cid)]
        effects: list[Effect] = []
        owner = identity_key(m.visitor_id, m.visitor_secret)
        a = self.tokens.get(m.resume) if m.resume else None
        if a is not None and a.owner != owner:
            a = None  # someone else's token: a fresh avatar, theirs stays as it is
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
            a.owner = owner
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

    def _move(
        self,
        s: Session,
        a: Avatar,
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
        # The straight way there touches no wall or street edge (so, from a walkable place,
        # the end is walkable too: one test for both). An avatar placed off the walkable area
        # (by another process) may step back onto it.
        walk = self.walk
        if not walk.clear(a.x, a.z, x, z) and (walk.contains(a.x, a.z) or not walk.contains(x, z)):
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

    def _travel(self, s: Session, a: Avatar, m: Travel) -> list[Effect]:
        """A jump to a landmark's arrival point (rate-limited like every request, at
        ``RATE_LIMITS[TRAVEL]``): the avatar is there at the next frame."""
        place = self.arrivals.get(m.landmark)
        if place is None:
            return [self._error(s, ErrorCode.UNKNOWN_LANDMARK, "no such landmark", m.cid)]
        x, z, heading = place
        a.x, a.z, a.heading, a.anim = x, z, heading, int(Anim.IDLE)
        if not a.dirty:
            a.dirty = True
            self.dirty.append(a)
        return [self._reply(s, Travelled(m.landmark, x, z, heading, cid=m.cid))]

    def rename(self, session: int, name: str) -> bool:
        """The session's visitor chose a new name (or entered with one): it shows on the
        avatar, and every observer nearby gets a fresh view (``reset``, enters with the new
        name) at the next frame. Renames are rare and rate-limited (``RATE_LIMITS``)."""
        s = self.sessions.get(session)
        a = s.avatar if s is not None else None
        cleaned = clean_name(name)
        if a is None or cleaned is None or cleaned == a.name:
            return False
        a.name = cleaned
        for cell in self.neigh[a.cell]:
            for other in self.cells[cell].values():
                if other is not a:
                    other.reset = True
        return True

    def _correct(self, s: Session, a: Avatar, reason: ErrorCode, cid: int | None) -> Send:
        return self._reply(s, Correction(int(reason), a.x, a.z, a.heading, a.anim, cid=cid))

    def _chat(self, s: Session, a: Avatar, m: Chat, now: float) -> list[Effect]:
        text, why = clean_chat(m.text)
        if text is None:
            code = ErrorCode.TEXT_TOO_LONG if why is Why.TOO_LONG else ErrorCode.BAD_TEXT
            return [self._error(s, code, REASONS[why or Why.INVISIBLE], m.cid)]
        guard = self.guard
        if guard is not None:
            visitor_id = s.hello.visitor_id if s.hello is not None else None
            left = guard.sanctions.muted_for(visitor_id, now)
            if left > 0:
                muted = f"muted by the moderators for {math.ceil(left)} s more"
                return [self._error(s, ErrorCode.MUTED, muted, m.cid)]
            text = guard.filter.mask(text)
            guard.log.said(Line(now, a.id, visitor_id, a.name, text, a.x, a.z))
        return self._to_area(s, a, ChatSaid(a.id, a.name, text), m.cid)

    def _emote(self, s: Session, a: Avatar, m: EmoteMsg) -> list[Effect]:
        if m.emote not in _EMOTES:
            return [self._error(s, ErrorCode.BAD_VALUE, f"unknown emote {m.emote}", m.cid)]
        return self._to_area(s, a, Emoted(a.id, m.emote), m.cid)

    def _to_area(self, s: Session, a: Avatar, msg: Message, cid: int | None) -> list[Effect]:
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

    # -- the tick -----------------------------------------------------------------------------

    def _sweep(self, now: float, effects: list[Effect]) -> None:
        """Once a second: expired resume windows, hello and idle timeouts, and (zoned) the
        visitors to ask to move to another process."""
        if self.zones is not None:
            for sid, zone in self.zones.movers(self.sessions.values(), now):
                effects.append(self._reply(self.sessions[sid], ZoneMove(zone)))
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
