"""Interest and frames: what each observer sees this tick, assembled from shared bytes.

Observers with at most K avatars around share one pre-assembled frame per cell (bytes
concatenation, no per-client encoding). Where an area holds more than K avatars, observers
in the same small block share one "K nearest to the block's centre" set, chosen again every
``knn_refresh_ticks`` ticks with numpy, and its update bytes; per-client work is left for
visibility changes (enters and leaves) and the one-line frame assembly.
"""

from __future__ import annotations

from collections.abc import Callable

import msgpack
import numpy as np

from srichan_world.protocol.codec import array_header
from srichan_world.protocol.codes import MsgType
from srichan_world.world.presence.avatars import Avatar, Group
from srichan_world.world.presence.crowd import Batches, Crowd

_packb: Callable[..., bytes] = msgpack.packb
_FRAME_HEAD = bytes((0x98, int(MsgType.FRAME), 0xC0))
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
        refresh = w.settings.knn_refresh_ticks
        origin_x, origin_z = w.grid.origin
        size = w.block
        groups = w.groups
        due: dict[int, list[Group]] = {}
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
                g = groups[key] = Group(cell, cx, cz)
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

    def enter(self, a: Avatar) -> bytes:
        got = self.enters.get(a.id)
        if got is None:
            got = self.enters[a.id] = _packb(
                [a.id, a.qx, a.qz, a.qh, a.qa, a.name, list(a.look)], use_bin_type=True
            )
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

    def _diff(self, a: Avatar, new: set[int], updates: bytes, more: int) -> bytes:
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
