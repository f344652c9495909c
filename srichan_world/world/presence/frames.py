"""Interest and frames: what each observer sees this tick, assembled from shared bytes.

Observers with at most K avatars around share one pre-assembled frame per cell (bytes
concatenation, no per-client encoding). Where an area holds more than K avatars, observers
in the same small block share one "K nearest to the block's centre" set, chosen again every
0.5–2 s (sooner where the crowd is dense, blocks.py) with numpy, and its update bytes;
per-client work is left for visibility changes (enters and leaves) and the one-line frame
assembly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import msgpack
import numpy as np

from srichan_world.protocol.codec import array_header
from srichan_world.protocol.codes import MsgType
from srichan_world.world.presence.avatars import (
    NO_TIERS,
    Avatar,
    Group,
    Tiers,
    full_record,
)
from srichan_world.world.presence.blocks import refit, refresh_ticks
from srichan_world.world.presence.crowd import Batches, Crowd

_packb: Callable[..., bytes] = msgpack.packb
_FRAME_HEAD = bytes((0x98, int(MsgType.FRAME), 0xC0))
_RATES_HEAD = bytes((0x99, int(MsgType.FRAME), 0xC0))  # the frame with ``rates``
_EMPTY_ARRAY = b"\x90"
_SMALL_INTS = [_packb(i) for i in range(4096)]
_HEADERS = [array_header(n) for n in range(1024)]


def _packed_int(n: int) -> bytes:
    return _SMALL_INTS[n] if n < 4096 else _packb(n)


class TickFrames:
    """Per-tick caches shared by all observers: area batches, enter records, nearest sets."""

    def __init__(
        self,
        world: Crowd,
        frags: dict[int, bytes],
        cell_batches: Batches,
        event_cells: set[int],
        cell_events: dict[int, list[tuple[int, int, int]]],
    ) -> None:
        self.w = world
        self.k = world.k_nearest
        self.frags = frags
        self.frag_keys = frags.keys()
        self.batches = cell_batches
        self.event_cells = event_cells
        self.cell_events = cell_events
        tick = _packb(world.tick_no)
        self.head = _FRAME_HEAD + tick + b"\xc2"
        self.head_reset = _FRAME_HEAD + tick + b"\xc3"
        self.rates_head = _RATES_HEAD + tick + b"\xc2"
        self.rates_head_reset = _RATES_HEAD + tick + b"\xc3"
        self.turns: list[dict[int, bytes] | None] = [None, None]
        self.full_updates: dict[int, bytes] = {}
        self.areas: dict[int, tuple[int, bytes, bytes, bool]] = {}
        self.enters: dict[int, bytes] = {}
        self.group_of: dict[int, Group] = {}
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

    def choose_nearest(self, observers: list[Avatar]) -> None:
        """Put every crowded observer in its block's group; choose the K nearest of the
        groups due a refresh (new, idle last tick, or their turn), one numpy pass per cell."""
        w = self.w
        k = self.k
        tick = w.tick_no
        origin_x, origin_z = w.grid.origin
        sizes = w.block_sizes
        levels = w.block_level
        nlevels = len(sizes)
        nblocks = w.nblocks
        bcols = w.bcols
        groups = w.groups
        due: dict[int, list[Group]] = {}
        in_use: dict[int, list[Group]] = {}
        area = self.area
        for a in observers:
            cell = a.cell
            got = self.areas.get(cell)
            if (got if got is not None else area(cell))[0] - 1 <= k:
                continue  # uncrowded: for_observer notices if it was crowded before
            level = levels[cell]
            size = sizes[level]
            col = int((a.x - origin_x) // size)
            row = int((a.z - origin_z) // size)
            key = (cell * nlevels + level) * nblocks + row * bcols + col
            g = groups.get(key)
            if g is None:
                cx = origin_x + (col + 0.5) * size
                cz = origin_z + (row + 0.5) * size
                g = groups[key] = Group(cell, cx, cz)
            if g.used != tick:
                if g.used < tick - 1 or (tick + key) % g.period == 0:
                    due.setdefault(cell, []).append(g)
                in_use.setdefault(cell, []).append(g)
                g.used = tick
            self.group_of[a.id] = g
        cells = w.cells
        st = w.settings
        fit = st.knn_block_fit
        per_m = st.knn_refresh_s_per_m * st.tick_hz
        longest = st.knn_refresh_ticks
        tiered = w.tiered
        near = st.tier_near
        mid = near + st.tier_mid
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
            rows = np.arange(len(group))[:, None]
            # nearest first: the tiers are the block's, shared by its observers
            picked = d2[rows, pick]
            ranked = ids[pick[rows, picked.argsort(axis=1)]].tolist()
            reaches = picked.max(axis=1).tolist()
            for g, chosen, r2 in zip(group, ranked, reaches, strict=True):
                g.reach = reach = math.sqrt(r2)
                g.period = refresh_ticks(reach, per_m, longest)
                g.prev = (g.visible, g.tiers)
                g.visible = set(chosen)
                g.far = chosen[-1]
                g.version += 1
                if tiered:
                    g.near, g.tiers = _tiers(chosen, near, mid, g.near, g.tiers)
                else:
                    g.near = g.visible
            # the densest block in use decides how big the cell's blocks are from next tick
            levels[cell] = refit(levels[cell], min(g.reach for g in in_use[cell]), sizes, fit)

    def enter(self, a: Avatar) -> bytes:
        got = self.enters.get(a.id)
        if got is None:
            got = self.enters[a.id] = full_record(a)
        return got

    def for_observer(self, a: Avatar) -> bytes:
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
            return self._diff(a, new, updates, 0, NO_TIERS)
        # crowded: the block's K nearest; bytes shared by the block's observers
        tick = self.w.tick_no
        if g.bytes_tick != tick:
            if events:
                departed = self.departed(cell)
                if not departed.isdisjoint(g.visible):
                    g.prev = (g.visible, g.tiers)
                    g.visible = g.visible - departed
                    g.near = g.near - departed
                    mid, far = g.tiers
                    g.tiers = (mid - departed, far - departed)
                    g.version += 1
            frags = self.frags
            sel = self.frag_keys & g.near
            parts = list(map(frags.__getitem__, sel))
            for tier, ids in enumerate(g.tiers):
                if ids:
                    turn = self.turns[tier]
                    if turn is None:
                        turn = self.turns[tier] = self.w.turn_records(tier)
                    parts += map(turn.__getitem__, turn.keys() & ids)
            g.updates = b"".join(parts)
            g.n = len(parts)
            g.bytes_tick = tick
            g.frames = {}
            g.diffs = {}
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
        if member and a.group is g and a.gver == g.version - 1 and not a.reset:
            # the block's new nearest: every member that saw its previous set gets one frame
            prev_visible, prev_tiers = g.prev
            if a.tiers is prev_tiers and a.id in prev_visible:
                more = others - len(g.visible) + 1
                frame = g.diffs.get(more)
                a.gver = g.version
                if frame is None:
                    frame = g.diffs[more] = self._diff(
                        a, g.visible - {a.id}, self._body(g, None), more, g.tiers, g.visible
                    )
                else:
                    a.visible = g.visible - {a.id}
                    a.vis_cell = a.cell
                    a.tiers = g.tiers
                return frame
        if member:
            new = g.visible - {a.id}
        elif g.far in g.visible and len(g.visible) > self.k:
            new = g.visible - {g.far}
        else:
            new = set(g.visible)
        a.group = g
        a.gver = g.version
        return self._diff(a, new, self._body(g, own), others - len(new), g.tiers)

    @staticmethod
    def _body(g: Group, own: bytes | None) -> bytes:
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

    def _rates(
        self, a: Avatar, new: set[int], entering: set[int] | tuple[()], tiers: Tiers
    ) -> tuple[bytes, list[bytes]]:
        """The ``rates`` of a frame that changes what ``a`` sees (empty when nothing changed
        rate), and full update records of the kept avatars whose rate changed: they may have
        turned since the client last heard of them. ``new``: the avatars whose rate the frame
        must state."""
        old = a.tiers
        a.tiers = tiers
        mid, far = tiers
        mid_every, far_every = self.w.every
        pairs: list[int] = []
        for i in entering:
            if i in mid:
                pairs += (i, mid_every)
            elif i in far:
                pairs += (i, far_every)
        catch_up: list[bytes] = []
        if old is not tiers:
            old_mid, old_far = old
            kept = ((mid ^ old_mid) | (far ^ old_far)) & new
            if entering:
                kept -= entering
            for i, (every, rec) in self._rate_changes(kept, old, tiers):
                pairs += (i, every)
                if rec is not None:
                    catch_up.append(rec)
        return (_packb(pairs) if pairs else b""), catch_up

    def _rate_changes(
        self, ids: frozenset[int], old: Tiers, tiers: Tiers
    ) -> list[tuple[int, tuple[int, bytes | None]]]:
        """For avatars ``ids`` whose rate differs between ``old`` and ``tiers``: the new rate,
        and the catch-up record when the client may have missed a change. It has every change
        up to the avatar's last turn at the old rate; the new rate's next turn sends what
        changed since one period before it, which may start later."""
        mid, far = tiers
        old_mid, old_far = old
        mid_every, far_every = self.w.every
        t = self.w.tick_no
        avatars = self.w.avatars
        out = []
        for i in ids:
            every = mid_every if i in mid else far_every if i in far else 1
            was = mid_every if i in old_mid else far_every if i in old_far else 1
            last = t - 1 - (t - 1 + i) % was
            o = avatars.get(i)
            missed = (
                o is not None
                and t + (-(t + i)) % every - every > last  # the next turn starts after it
                and max(o.tpos, o.thd, o.tan) > last
            )
            out.append((i, (every, self.full_update(i) if missed else None)))
        return out

    def full_update(self, aid: int) -> bytes | None:
        """``[id, x, z, heading, anim]``: all of an avatar's state, as an update record."""
        got = self.full_updates.get(aid)
        if got is None:
            o = self.w.avatars.get(aid)
            if o is None:
                return None
            got = self.full_updates[aid] = _packb([aid, o.qx, o.qz, o.qh, o.qa])
        return got

    def _diff(
        self,
        a: Avatar,
        new: set[int],
        updates: bytes,
        more: int,
        tiers: Tiers,
        scope: set[int] | None = None,
    ) -> bytes:
        """The frame that takes ``a``'s client from what it sees to ``new``. ``scope``
        (default ``new``): the avatars whose changed rates the frame states (a frame shared by
        a block's members names them all, each member's own id included)."""
        if a.reset:
            a.tiers = NO_TIERS  # the client forgets every rate with every avatar
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
        rates = b""
        if tiers is not a.tiers or (entering and (tiers[0] or tiers[1])):
            rates, catch_up = self._rates(a, new if scope is None else scope, entering, tiers)
            if catch_up:
                updates = _with_records(updates, catch_up)
            if rates:
                head = self.rates_head_reset if head is self.head_reset else self.rates_head
        if entering:
            avatars = self.w.avatars
            enter = self.enter
            enters = [enter(avatars[i]) for i in entering]
            return b"".join(
                (
                    head,
                    array_header(len(enters)),
                    *enters,
                    updates,
                    leaving,
                    _packed_int(more),
                    rates,
                )
            )
        return b"".join((head, _EMPTY_ARRAY, updates, leaving, _packed_int(more), rates))


TIER_SLACK = 4
"""Ranks an avatar may drift past a tier's edge and keep its tier (at most a fifth of the
smaller tier): walkers near an edge would otherwise change rate at every choice, costing a
``rates`` entry and a catch-up record each."""


def _tiers(
    ranked: list[int], near: int, mid: int, old_near: set[int], old: Tiers
) -> tuple[set[int], Tiers]:
    """``(near, (mid, far))`` of avatar ids ranked nearest first: ranks below ``near`` every
    tick, below ``mid`` the mid tier, the rest far; an avatar within ``TIER_SLACK`` ranks of
    the edge of the tier it had keeps it."""
    old_mid, old_far = old
    slack = min(TIER_SLACK, near // 5, (mid - near) // 5)
    lo1, hi1 = near - slack, near + slack
    lo2, hi2 = mid - slack, mid + slack
    tier_near: set[int] = set()
    tier_mid: set[int] = set()
    tier_far: set[int] = set()
    for rank, aid in enumerate(ranked):
        if rank < near:
            if rank >= lo1 and aid in old_mid:
                tier_mid.add(aid)
            else:
                tier_near.add(aid)
        elif rank < mid:
            if rank < hi1 and aid in old_near:
                tier_near.add(aid)
            elif rank >= lo2 and aid in old_far:
                tier_far.add(aid)
            else:
                tier_mid.add(aid)
        elif rank < hi2 and aid in old_mid:
            tier_mid.add(aid)
        else:
            tier_far.add(aid)
    return tier_near, (frozenset(tier_mid), frozenset(tier_far))


def _with_records(updates: bytes, records: list[bytes]) -> bytes:
    """An encoded updates array with ``records`` added at its end."""
    first = updates[0]
    if first <= 0x9F:
        n, body = first & 0x0F, updates[1:]
    elif first == 0xDC:
        n, body = int.from_bytes(updates[1:3], "big"), updates[3:]
    else:
        n, body = int.from_bytes(updates[1:5], "big"), updates[5:]
    return array_header(n + len(records)) + body + b"".join(records)
