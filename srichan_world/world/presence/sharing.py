"""A street served by several processes: news out, news in, visitors moving between them.

Each process runs its own world for its own visitors. Every tick it hands out its news (what
its avatars did, cell by cell: :meth:`SharedCrowd.take_news`) and takes in the others'
(:meth:`SharedCrowd.remote_news`), whose avatars it shows as *remote* avatars in frames
like its own. The transport is not here (server/bus/presence_relay.py carries the news); this
is what the news means to the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack

from srichan_world.protocol import limits as L
from srichan_world.protocol.codes import Anim, CloseCode, ErrorCode, MsgType
from srichan_world.scene.manifest import Manifest
from srichan_world.world.names import clean_name
from srichan_world.world.presence.avatars import (
    Avatar,
    ResumeState,
    full_record,
    resume_state,
    update_record,
)
from srichan_world.world.presence.crowd import Batches, Crowd, new_token
from srichan_world.world.presence.effects import Effect, Send
from srichan_world.world.presence.settings import PresenceSettings

_packb: Callable[..., bytes] = msgpack.packb
_unpackb: Callable[..., Any] = msgpack.unpackb
_ANIMS = frozenset(int(a) for a in Anim)
_SAID = frozenset((int(MsgType.CHAT_SAID), int(MsgType.EMOTED)))
Heard = tuple[int, Sequence[Any], list[bytes] | None, Sequence[Any], float]
"""``(cell, updates, records, enters, when)``: one message of :meth:`~SharedCrowd.remote_news`."""


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
    said: list[list[int | bytes]]
    """``[MsgType, encoded message]`` of each chat and emote said there."""


@dataclass(frozen=True, slots=True)
class TickNews:
    """See :meth:`PresenceWorld.take_news`."""

    cells: dict[int, CellNews]
    watched: set[int]
    """Cells some visitor of this world can see: the others' news of them is wanted."""
    released: list[tuple[str, ResumeState]]
    """``(resume token, state)`` of avatars whose connection dropped (see :meth:`adopt`)."""


def merge_records(first: bytes, late: bytes) -> bytes:
    """Two update records of one avatar as one, the later fields winning."""
    a, b = _unpackb(first), _unpackb(late)
    rec = [a[0]] + [
        b[i] if i < len(b) and b[i] is not None else a[i] if i < len(a) else None
        for i in range(1, max(len(a), len(b)))
    ]
    while rec[-1] is None:
        rec.pop()
    return _packb(rec)


def merge_halves(
    early: tuple[dict[int, bytes], Batches],
    frags: dict[int, bytes],
    batches: Batches,
) -> tuple[dict[int, bytes], Batches]:
    """One tick's updates from its two halves (:meth:`PresenceWorld.collect`, then ``tick``).
    Cell batches keep both records of an avatar that changed in both (clients apply a frame's
    updates in order); the per-avatar records are combined, the later fields winning."""
    merged, merged_batches = early
    for aid, late in frags.items():
        first = merged.get(aid)
        merged[aid] = late if first is None else merge_records(first, late)
    for cell, batch in batches.items():
        got = merged_batches.get(cell)
        if got is None:
            merged_batches[cell] = batch
        else:
            got += batch
    return merged, merged_batches


GHOST_TICKS = 10
"""How long an avatar whose visitor resumed on another process stays in view here, unless the
avatar it became shows up sooner (1 s at 10 Hz; a move between workers takes ~0.1–0.3 s)."""
GHOST_NEAR_CM = 300
"""How far the avatar a visitor became may stand from its ghost (it may walk on meanwhile)."""


class SharedCrowd(Crowd):
    """The world's side of a shared street; until :meth:`share` is called it files no news."""

    def __init__(
        self,
        manifest: Manifest,
        settings: PresenceSettings | None = None,
        token_factory: Callable[[], str] = new_token,
    ) -> None:
        super().__init__(manifest, settings, token_factory)
        self._sharing = False
        self._remote = 0
        self._news: dict[int, CellNews] = {}
        self._released: list[tuple[str, ResumeState]] = []
        self._remote_leaves: list[tuple[int, int]] = []
        self._inbox: list[Heard] = []
        """The other processes' news since the last tick (:meth:`remote_news`)."""
        self._early: tuple[dict[int, bytes], Batches] | None = None
        self._noted = 0
        """Events before this index were filed as news already."""
        self._ghosts: dict[int, int] = {}
        """Released avatars still shown, by id, with the tick they go at the latest: a
        visitor who resumes on another process (a zone move) becomes a new avatar there, and
        the old one leaves here in the very frame the new one arrives (:meth:`_lay_ghost`),
        so observers never see the visitor vanish for a tick or two."""
        self._ghost_left = False
        """A ghost left during this tick, after its news was filed: file it (world.tick)."""

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
        return len(self.avatars) - self._remote - len(self._ghosts)

    def take_news(self, roster: Callable[[int], bool]) -> TickNews:
        """This world's news since the last call: per cell, its own avatars' update records
        (exactly as framed), arrivals, departures and what was said; plus the full roster of
        every cell for which ``roster(cell)`` is true, the cells its visitors can see, and
        the resume states of avatars whose connection dropped."""
        news, self._news = self._news, {}
        first, last = self._first_id, self._last_id
        rosters: dict[int, list[bytes]] = {}
        # by cell, not by avatar: a tenth of the cells each tick, not every avatar street-wide
        for cell, here in enumerate(self.cells):
            if here and roster(cell):
                records = [full_record(a) for aid, a in here.items() if first <= aid <= last]
                if records:
                    rosters[cell] = records
        for cell, records in rosters.items():
            got = news.get(cell)
            if got is None:
                news[cell] = CellNews([], records, [], [])
            else:
                got.enters[:] = records  # the roster holds every arrival too
        seen_from = {v.cell for s in self.sessions.values() if (v := s.avatar) is not None}
        neigh = self.neigh
        watched: set[int] = set()
        for cell in seen_from:
            watched.update(neigh[cell])
        released, self._released = self._released, []
        return TickNews(news, watched, released)

    def remote_news(
        self,
        cell: int,
        updates: Sequence[Any],
        enters: Sequence[Any],
        leaves: Sequence[Any],
        records: list[bytes] | None = None,
        now: float = 0.0,
    ) -> None:
        """Another process's news of ``cell`` (see :meth:`take_news`), heard at ``now``: its
        avatars become, move and leave as *remote* avatars here, shown in frames like this
        world's own. ``records`` are the update records exactly as they came (the encoded
        ``updates``, one for one): they go into the frames as they are. Kept until the next
        tick, which files all of a tick's news in one pass (:meth:`_take_in`). Records naming
        this world's own ids are ignored."""
        if updates or enters:
            self._inbox.append((cell, updates, records, enters, now))
        for aid in leaves:
            self._remote_leaves.append((aid, cell))  # applied at the next tick

    def remote_expire(self, before: float) -> int:
        """Forget the remote avatars not heard of since ``before`` (their process stopped, or
        lost Redis); how many."""
        gone = [a.id for a in self.avatars.values() if a.remote and a.heard < before]
        for aid in gone:
            self.remote_remove(aid)
        return len(gone)

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

    def resume_states(self) -> list[tuple[str, ResumeState]]:
        """``(resume token, state)`` of every avatar of this world's own visitors, the state
        being what :meth:`adopt` takes: ``[x cm, z cm, heading byte, anim, name, look,
        owner]``."""
        first, last = self._first_id, self._last_id
        return [
            (a.token, resume_state(a))
            for a in self.avatars.values()
            if first <= a.id <= last and a.token  # a ghost has no token (:meth:`release`)
        ]

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
        owner: str = "",
    ) -> None:
        """Take over an avatar whose visitor resumes here after playing on another process:
        it waits for the hello with ``token`` (from the identity ``owner``), as if it had
        dropped here, under a new id of this world's own. A position off the walkable area
        becomes a spawn point."""
        if token in self.tokens or self.local_population >= self.settings.max_avatars:
            return
        name = clean_name(name) or "?"
        x, z = qx / 100.0, qz / 100.0
        place = None
        if self.walk.contains(x, z):
            place = (x, z, (qh & 255) * (360 / 256), anim if anim in _ANIMS else int(Anim.IDLE))
        look = tuple(int(v) & 255 for v in look[: L.LOOK_FIELDS])
        a = self._spawn(name, look, now, token, place)
        self._lay_ghost(a)  # a visitor coming back the way it went
        a.owner = owner
        a.held_until = now + self.settings.resume_window_s
        self.held.append(a)

    def resume_state_of(self, session: int) -> tuple[str, ResumeState] | None:
        """``(resume token, state)`` of the avatar ``session`` plays, if it has one."""
        s = self.sessions.get(session)
        a = s.avatar if s is not None else None
        if a is None or a.remote:
            return None
        return a.token, resume_state(a)

    def hand_over(self, token: str) -> tuple[ResumeState | None, list[Effect]]:
        """Another process asks for the avatar with ``token`` (its visitor reconnected
        there): its state as it is now, and the avatar let go here (:meth:`release`).
        ``(None, [])`` when this world does not hold it."""
        a = self.tokens.get(token)
        if a is None or a.remote:
            return None, []
        state = resume_state(a)
        return state, self.release(token)

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
        # a ghost: no token, no session, still in its cell until the new avatar is heard of
        del self.tokens[token]
        a.token = ""  # the token is the new avatar's now, wherever it is
        self._ghosts[a.id] = self.tick_no + GHOST_TICKS
        return effects

    def _lay_ghost(self, new: Avatar) -> None:
        """``new`` arrived (from another process, or adopted here): the ghost of the same
        visitor, if any (same name and look, nearby), leaves now, in the same tick."""
        for gid in self._ghosts:
            g = self.avatars[gid]
            if (
                g.name == new.name
                and g.look == new.look
                and abs(g.qx - new.qx) <= GHOST_NEAR_CM
                and abs(g.qz - new.qz) <= GHOST_NEAR_CM
            ):
                del self._ghosts[gid]
                self._remove(g)
                self._ghost_left = True
                return

    def _expire_ghosts(self) -> None:
        """Ghosts whose new avatar was not heard of in time leave anyway."""
        for gid in [i for i, last in self._ghosts.items() if last <= self.tick_no]:
            del self._ghosts[gid]
            self._remove(self.avatars[gid])
            self._ghost_left = True

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
        frags, batches = self._collect(self.tick_no + 1)
        if self._sharing:
            self._note_news(batches)
        self._early = (
            (frags, batches) if self._early is None else merge_halves(self._early, frags, batches)
        )

    def _note_news(self, batches: Batches) -> None:
        """File changes of this world's own avatars by cell (see take_news). The tick's cell
        batches hold this world's records only: remote avatars are never collected."""
        first, last = self._first_id, self._last_id
        avatars = self.avatars
        news_of = self._news_of
        for cell, batch in batches.items():
            news_of(cell).updates.extend(batch)
        events = self.events
        start, self._noted = self._noted, len(events)
        for aid, old, new in events[start:]:
            if first <= aid <= last:
                if old >= 0:
                    news_of(old).leaves.append(aid)
                a = avatars.get(aid)
                if new >= 0 and a is not None:
                    news_of(new).enters.append(full_record(a))

    def _take_in(self, frags: dict[int, bytes], batches: Batches) -> None:
        """The other processes' news heard since the last tick, in one pass: remote avatars
        arrive, move and change cells (the cell the news came for: the one their own process
        filed them in), and their update records join this tick's ``frags`` and ``batches``
        as they came, not decoded into avatars and encoded again."""
        inbox, self._inbox = self._inbox, []
        avatars = self.avatars
        cells = self.cells
        events = self.events
        first, last = self._first_id, self._last_id
        top = L.AVATAR_ID_MAX
        ncells = len(cells)
        stamp = self.tick_no
        tiered = self.tiered
        mid, far = self._pending
        n_mid, n_far = self.every
        for cell, updates, records, enters, now in inbox:
            if type(cell) is not int or not 0 <= cell < ncells:
                continue
            here = cells[cell]
            batch = batches.get(cell)
            if batch is None:
                batch = batches[cell] = []
            if records is None or len(records) != len(updates):
                records = [_packb(r) for r in updates if type(r) in (list, tuple) and r]
                if len(records) != len(updates):
                    continue
            try:
                # updates before enters: an avatar that changed cells comes with both, and
                # its enter record then restates what the update already said
                for rec, raw in zip(updates, records, strict=True):
                    aid = rec[0]
                    a = avatars.get(aid)
                    if a is None or not a.remote:
                        continue
                    n = len(rec)
                    if n > 2:
                        qx = rec[1]
                        if qx is not None:
                            qz = rec[2]
                            a.x = qx / 100.0
                            a.z = qz / 100.0
                            a.qx = qx
                            a.qz = qz
                            a.tpos = stamp
                        if n > 3:
                            qh = rec[3]
                            if qh is not None:
                                a.qh = qh = qh & 255
                                a.heading = qh * (360 / 256)
                                a.thd = stamp
                            if n > 4:
                                a.anim = a.qa = rec[4] & 255
                                a.tan = stamp
                    if tiered:  # its slower tiers' turns send it (Crowd._collect)
                        mid[aid % n_mid].add(aid)
                        far[aid % n_far].add(aid)
                    a.heard = now
                    if a.cell != cell:
                        del cells[a.cell][aid]
                        here[aid] = a
                        events.append((aid, a.cell, cell))
                        a.cell = cell
                    if frags.setdefault(aid, raw) is not raw:  # twice in one tick
                        frags[aid] = merge_records(frags[aid], raw)
                    batch.append(raw)
                for rec in enters:
                    aid = rec[0]
                    a = avatars.get(aid)
                    if a is None:
                        if type(aid) is int and not first <= aid <= last and 1 <= aid <= top:
                            self._add_remote(rec, cell, now)
                    elif a.remote:
                        if (
                            rec[1] == a.qx
                            and rec[2] == a.qz
                            and rec[3] == a.qh
                            and rec[4] == a.qa
                            and a.cell == cell
                        ):  # a roster saying what observers were told already: the usual
                            a.heard = now
                        else:
                            self._restated(a, rec, cell, now, frags, batch)
            except (TypeError, IndexError, ValueError, AttributeError):
                continue  # a malformed record from a process of ours: the rest of it goes
        for cell in [c for c, b in batches.items() if not b]:
            del batches[cell]

    def _restated(
        self,
        a: Avatar,
        rec: Sequence[Any],
        cell: int,
        now: float,
        frags: dict[int, bytes],
        batch: list[bytes],
    ) -> None:
        """A known remote avatar's full record (a roster, or its arrival in ``cell``): what
        differs from what observers were last told goes out as an update record."""
        a.heard = now
        if a.cell != cell:
            del self.cells[a.cell][a.id]
            self.cells[cell][a.id] = a
            self.events.append((a.id, a.cell, cell))
            a.cell = cell
        qx, qz, qh, qa = rec[1:5]
        if not (type(qx) is int and type(qz) is int and type(qh) is int and type(qa) is int):
            return
        qh &= 255
        qa &= 255
        pos = qx != a.qx or qz != a.qz
        turned = qh != a.qh
        changed = qa != a.qa
        raw = update_record(a.id, qx, qz, qh, qa, pos, turned, changed)
        if raw is None:
            return
        a.x, a.z, a.heading, a.anim = qx / 100.0, qz / 100.0, qh * (360 / 256), qa
        a.qx, a.qz, a.qh, a.qa = qx, qz, qh, qa
        t = self.tick_no
        if pos:
            a.tpos = t
        if turned:
            a.thd = t
        if changed:
            a.tan = t
        if self.tiered:
            aid = a.id
            mid, far = self._pending
            mid[aid % self.every[0]].add(aid)
            far[aid % self.every[1]].add(aid)
        if frags.setdefault(a.id, raw) is not raw:
            frags[a.id] = merge_records(frags[a.id], raw)
        batch.append(raw)

    def _add_remote(self, rec: Sequence[Any], cell: int, now: float) -> None:
        if len(rec) != 7 or not all(type(v) is int for v in rec[1:5]):
            return
        aid, qx, qz, qh, anim, name, look = rec
        if not isinstance(name, str) or not isinstance(look, list | tuple):
            return
        a = Avatar(aid, name[: L.NAME_MAX_CHARS], tuple(look[: L.LOOK_FIELDS]), "")
        a.remote = True
        a.heard = now
        a.x, a.z, a.heading, a.anim = qx / 100.0, qz / 100.0, (qh & 255) * (360 / 256), anim
        a.qx, a.qz, a.qh, a.qa = qx, qz, qh & 255, anim
        a.cell = cell
        self.avatars[aid] = a
        self.cells[cell][aid] = a
        self.events.append((aid, -1, cell))
        self._remote += 1
        if self._ghosts:
            self._lay_ghost(a)

    def _apply_remote_leaves(self, frags: dict[int, bytes], batches: Batches) -> None:
        """Leaves heard since the last tick, unless the avatar was heard arriving in the
        next cell meanwhile (the two cells' news may come in either order). An avatar that
        leaves takes this tick's update records with it."""
        avatars = self.avatars
        for aid, cell in self._remote_leaves:
            a = avatars.get(aid)
            if a is not None and a.remote and a.cell == cell:
                self.remote_remove(aid)
                if frags.pop(aid, None) is not None:
                    batch = batches.get(cell)
                    if batch is not None:
                        batch[:] = [r for r in batch if _unpackb(r)[0] != aid]
        self._remote_leaves = []
