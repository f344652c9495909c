"""The crowd on the street: sessions, avatars by id, token and interest cell, and the primitive
edits every part of the world shares (spawn, remove, the cell of a point, replies).

:meth:`Crowd._collect` is the first step of every tick: each avatar that moved since the
last one is encoded once, as the update record every observer of its cell will receive.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable

from srichan_world.protocol import limits as L
from srichan_world.protocol.codec import encode
from srichan_world.protocol.codes import Anim, CloseCode, ErrorCode
from srichan_world.protocol.messages import Error, Message
from srichan_world.scene.manifest import Manifest
from srichan_world.world.presence.avatars import (
    Avatar,
    Group,
    Session,
    heading_byte,
    update_record,
)
from srichan_world.world.presence.blocks import block_sizes
from srichan_world.world.presence.effects import Close, Effect, Send
from srichan_world.world.presence.places import Place, arrival_points, start_places
from srichan_world.world.presence.settings import PresenceSettings
from srichan_world.world.presence.zones import Zones
from srichan_world.world.ratelimit import TokenBucket
from srichan_world.world.walkmap import WalkMap

Batches = dict[int, list[bytes]]
"""One tick's update records by interest cell."""


def new_token() -> str:
    """A resume token: 144 random bits, URL-safe."""
    return secrets.token_urlsafe(18)


class Crowd:
    """The presence world's state and its primitive edits; see the module docstring."""

    def __init__(
        self,
        manifest: Manifest,
        settings: PresenceSettings | None = None,
        token_factory: Callable[[], str] = new_token,
    ) -> None:
        self.settings = s = settings or PresenceSettings()
        self._token = token_factory
        self.block_sizes = block_sizes(s.knn_block_m, s.knn_block_min_m)
        self.avatars: dict[int, Avatar] = {}
        self.tokens: dict[str, Avatar] = {}
        self.sessions: dict[int, Session] = {}
        self.held: list[Avatar] = []
        self.dirty: list[Avatar] = []
        self.events: list[tuple[int, int, int]] = []
        """``(avatar id, old cell, new cell)`` since the last tick; -1 for none (join/leave)."""
        self.tick_no = 0
        self.frags: dict[int, bytes] = {}
        """This tick's update records by avatar (set by the tick)."""
        self._lay_out(manifest)
        self._first_id, self._last_id = 1, L.AVATAR_ID_MAX
        self._next_id = 0
        self._next_spawn = 0
        self.k_nearest = s.k_nearest
        self.tiered = s.tier_near < s.k_nearest + 1
        self.every = (s.mid_every, s.far_every)
        self._pending: list[list[set[int]]] = [[set() for _ in range(n)] for n in self.every]
        """Per slower tier and per phase (id mod every): avatars changed since their last
        turn. A tier's avatar with id ``i`` has its turn at ticks ``t`` with
        ``(t + i) % every == 0``, so each tick serves one phase."""
        self.turns: list[set[int]] = [set(), set()]
        """This tick's phase of each slower tier (see :meth:`_take_turns`)."""

    def _lay_out(self, manifest: Manifest) -> None:
        """Everything the street's layout decides: the interest grid, the walkable area, the
        start and arrival places. Called again when the street is rebuilt (live reload):
        every avatar is filed into its cell of the new grid."""
        if not manifest.spawn_points:
            raise ValueError("manifest.spawn_points: the world needs at least one spawn point")
        s = self.settings
        self.grid = g = manifest.grid
        self.zones = (
            Zones(g, s.zones, s.zone, s.zone_margin_m, s.zone_nudge_s) if s.zones > 1 else None
        )
        self.walk = WalkMap(manifest.walkable)
        self.spawns: list[Place] = (
            start_places(manifest, self.walk.contains)
            if s.start_at_first_quest
            else [(*p.position, p.heading) for p in manifest.spawn_points]
        )
        self.arrivals = arrival_points(manifest, self.walk.contains)
        """Each landmark's arrival point, where ``travel`` lands."""
        ncells = g.cols * g.rows
        self.neigh: list[tuple[int, ...]] = []
        for index in range(ncells):
            cells = g.neighbourhood((index % g.cols, index // g.cols))
            self.neigh.append(tuple(r * g.cols + c for c, r in cells))
        self.neigh_set = [frozenset(n) for n in self.neigh]
        smallest = self.block_sizes[-1]
        self.bcols = math.ceil(g.cols * g.cell / smallest)
        self.nblocks = self.bcols * math.ceil(g.rows * g.cell / smallest)
        """Blocks of the smallest size on the grid: a block's key counts in them."""
        self.block_level = [0] * ncells
        """Each cell's block size, an index into ``block_sizes`` (blocks.py)."""
        self.groups: dict[int, Group] = {}
        self.cells: list[dict[int, Avatar]] = [{} for _ in range(ncells)]
        for a in self.avatars.values():
            a.cell = self._cell_of(a.x, a.z)
            a.group = None
            self.cells[a.cell][a.id] = a

    def _spawn(
        self,
        name: str,
        look: tuple[int, ...],
        now: float,
        token: str | None = None,
        place: tuple[float, float, float, int] | None = None,
    ) -> Avatar:
        """A new avatar of this world's: at the next spawn point, or at ``place``
        (``x, z, heading, anim``) when one is adopted (see :meth:`adopt`)."""
        aid = self._allocate_id()
        token = token or self._token()
        a = Avatar(aid, name, look, token)
        if place is None:
            x, z, heading = self.spawns[self._next_spawn % len(self.spawns)]
            self._next_spawn += 1
            anim = int(Anim.IDLE)
        else:
            x, z, heading, anim = place
        a.x, a.z, a.heading, a.anim = x, z, heading % 360.0, anim
        a.qx, a.qz, a.qh, a.qa = round(x * 100), round(z * 100), heading_byte(a.heading), a.anim
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

    def _remove(self, a: Avatar) -> None:
        del self.avatars[a.id]
        self.tokens.pop(a.token, None)
        self.cells[a.cell].pop(a.id, None)
        self.events.append((a.id, a.cell, -1))

    # -- replies ------------------------------------------------------------------------------

    def _reply(self, s: Session, msg: Message) -> Send:
        return Send(s.id, encode(msg), msg.TYPE)

    def _error(self, s: Session, code: ErrorCode, text: str, cid: int | None) -> Send:
        return self._reply(s, Error(int(code), text, cid=cid))

    def _fatal(
        self,
        s: Session,
        code: ErrorCode,
        close: CloseCode,
        text: str,
        cid: int | None = None,
    ) -> list[Effect]:
        """Tell the client why, then close; nothing more is read from this session."""
        s.closing = True
        return [self._error(s, code, text, cid), Close(s.id, close, text[:120])]

    # -- cells, and the first step of each tick ------------------------------------------------

    def _cell_of(self, x: float, z: float) -> int:
        g = self.grid
        col = int((x - g.origin[0]) // g.cell)
        row = int((z - g.origin[1]) // g.cell)
        col = 0 if col < 0 else g.cols - 1 if col >= g.cols else col
        row = 0 if row < 0 else g.rows - 1 if row >= g.rows else row
        return row * g.cols + col

    def _collect(self, stamp: int) -> tuple[dict[int, bytes], Batches]:
        """Encode each dirty avatar's changed fields once; batch the records by cell. The
        fields changed are stamped with ``stamp``, the tick whose frames carry them."""
        frags: dict[int, bytes] = {}
        batches: Batches = {}
        avatars = self.avatars
        cells = self.cells
        cell_of = self._cell_of
        events = self.events
        tiered = self.tiered
        mid, far = self._pending
        n_mid, n_far = self.every
        for a in self.dirty:
            a.dirty = False
            if avatars.get(a.id) is not a:  # removed since it moved
                continue
            qx = round(a.x * 100)
            qz = round(a.z * 100)
            qh = int(a.heading * (256 / 360) + 0.5) & 255
            pos = qx != a.qx or qz != a.qz
            turned = qh != a.qh
            anim = a.anim != a.qa
            frag = update_record(a.id, qx, qz, qh, a.anim, pos, turned, anim)
            if frag is None:
                continue
            if anim:
                a.qa = a.anim
                a.tan = stamp
            if pos:
                a.tpos = stamp
            if turned:
                a.thd = stamp
            a.qx = qx
            a.qz = qz
            a.qh = qh
            frags[a.id] = frag
            if tiered:
                aid = a.id
                mid[aid % n_mid].add(aid)
                far[aid % n_far].add(aid)
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

    def _take_turns(self) -> None:
        """At the start of a tick's frames: the avatars whose slower-tier turn it is."""
        t = self.tick_no
        turns = self.turns
        for i, (every, pending) in enumerate(zip(self.every, self._pending, strict=True)):
            phase = -t % every
            turns[i] = pending[phase]
            pending[phase] = set()

    def turn_records(self, tier: int) -> dict[int, bytes]:
        """Update records of the avatars whose turn it is in slower tier ``tier`` (0: mid,
        1: far): the fields that changed since their last turn, ``every`` ticks ago. A record
        equal to this tick's (the usual walker) is this tick's bytes, ``frags``."""
        t = self.tick_no
        since = t - self.every[tier]
        avatars = self.avatars
        frags = self.frags
        out: dict[int, bytes] = {}
        for aid in self.turns[tier]:
            a = avatars.get(aid)
            if a is None:
                continue
            pos, hd, an = a.tpos > since, a.thd > since, a.tan > since
            if pos == (a.tpos == t) and hd == (a.thd == t) and an == (a.tan == t):
                got = frags.get(aid)
            else:
                got = update_record(aid, a.qx, a.qz, a.qh, a.qa, pos, hd, an)
            if got is not None:
                out[aid] = got
        return out
