"""The presence world: who is on the street, where, and what each visitor sees. Sans-I/O.

The street (:mod:`srichan_world.street.street`) feeds it ``connect / receive / disconnect /
tick(now)`` and passes the effects it returns (:class:`Send`, :class:`Close`, :class:`Frames`,
:class:`Dispatch`) on to the server's pump; tests drive it the same way with no sockets. It
never reads a clock: ``now`` is always passed in (seconds, monotonic).

Performance is designed in, because one process must carry about 1,500 moving avatars:

* Moves only update the avatar in place and mark it dirty; all fan-out happens once per tick.
* Each tick, every dirty avatar's changes are encoded ONCE as a flat msgpack fragment and
  appended to its interest cell's batch. Observers with at most K avatars around share one
  pre-assembled frame per cell (bytes concatenation, no per-client encoding).
* Where an area holds more than K avatars, observers in the same small block share one
  "K nearest to the block's centre" set, chosen again every ``knn_refresh_ticks`` ticks with
  numpy, and its update bytes; per-client work is left for visibility changes (enters and
  leaves) and the one-line frame assembly. When a block's set is chosen again, its members
  that saw the previous set share one frame for the change too.
* Distance tiers: of a block's K nearest, the nearest 20 are updated every tick, the next 20
  every 2nd and the rest every 5th (each avatar on its own turns, ``(tick + id) % every``),
  ranked from the block's centre so the block's observers still share one frame.

One idea per module, layered so that the world is one object with no indirection on the
hot path (the layers are base classes, not objects the world calls through):

* ``settings`` and ``effects``: the numbers it is tuned with, and what it asks the pump to do;
* ``avatars``: the mutable session, avatar and crowded-block records;
* ``crowd``: :class:`Crowd`, the state and its primitive edits, and the per-tick encoding;
* ``sharing``: :class:`SharedCrowd`, news in and out for a street several processes serve;
* ``frames``: interest, K nearest and frame assembly for each observer;
* ``world``: :class:`PresenceWorld`, the entry points and the checks on every request.
"""

from srichan_world.world.presence.avatars import identity_key
from srichan_world.world.presence.effects import (
    Close,
    Dispatch,
    Effect,
    Frames,
    Held,
    Send,
    SessionView,
)
from srichan_world.world.presence.settings import PresenceSettings
from srichan_world.world.presence.sharing import CellNews, TickNews
from srichan_world.world.presence.world import PresenceWorld

__all__ = [
    "CellNews",
    "Close",
    "Dispatch",
    "Effect",
    "Frames",
    "Held",
    "PresenceSettings",
    "PresenceWorld",
    "Send",
    "SessionView",
    "TickNews",
    "identity_key",
]
