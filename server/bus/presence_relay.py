"""Presence across server processes: each shares its own avatars' news over Redis pub/sub
and shows the others' avatars in the same frames as its own.

Channels are per interest cell (``srichan:p:<scene>:<cell>``, the scene's name in the
channel so two streets on one Redis never mix; not its build, which a live reload changes for
every process at once). Every process ticks at the same
wall-clock instants, and each tick comes in two halves (server/ws/pump.py): first the tick's moves
are collected and published, then, ``gather_s`` (15 ms) later, the frames are built with the
other processes' news of the same tick in them, so a move seen through another process is
late by those milliseconds, not by a tick. Once per tick a process publishes
ONE message per cell where its own avatars did something (never one per update: a Python
subscriber tops out near 15–25k messages a second), in one pipelined round trip, and it
subscribes only to the cells its own visitors can see. A message carries the tick's update
records exactly as they are framed (no re-encoding), with their lengths, full records of
avatars that arrived in the cell, ids that left it, and chat and emotes said there. The
receiving world keeps the others' avatars as *remote* avatars (``PresenceWorld.remote_news``):
they enter, move, leave and count for the K nearest like its own, and ride in the same frame
per client per tick. It takes a tick's news in at the tick, in one pass, and puts each
update record into its frames as it came (cut out of the message by its length), never
decoding it into an avatar to encode it again.

Reliability without acknowledgements: every second each process restates the full roster of
its cells (a tenth of them each tick), a process that starts listening to a cell asks for its
roster at once, and a remote avatar not heard of for ``GHOST_TTL_S`` is dropped (its process
stopped or lost Redis). Messages from the bus's own process are ignored (origin stamp).

Avatar ids must be unique across processes: each process leases one of 16 *lanes* in Redis
(``SET NX PX``, renewed) and allocates ids ``lane × 4096 + 1 … lane × 4096 + 4095`` only.

Resume on any process: the avatar's resume state (position, heading, animation, name, look,
identity, and the process that holds it) is in Redis under a hash of its resume token from
the moment of its ``welcome`` (written before the welcome leaves, so no reconnect can outrun
it), refreshed every few seconds while it plays and when its connection drops, each time for
the resume window. A reconnect that a load balancer sends to another process looks the
state up and, while the process named in it is alive, *asks that process for the avatar*
(``want`` on the control channel) and waits a bounded time (``HANDOVER_WAIT_S``) for the
answer (``hand``: the avatar's state as it is at that instant, the avatar let go there, its
old connection closed should it still be open). Only when nobody answers (that process
crashed) is the stored state used, at most ``RESUME_REFRESH_S`` old. Either way the state is
taken once (``GETDEL``), the avatar adopted under a new id of this process's lane, its record
rewritten to name this process, and the others told on the control channel to let go of it.

Why ask rather than only write: the stored state is written by the old process at its next
tick after the drop, which a reconnect under load often outran (measured before this: 69
misses in a load run, a fresh avatar at a spawn point); the old process is the only one that
knows where the avatar stands now, so it is asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

import msgpack
from redis.exceptions import RedisError

from server.bus.redis import RedisBus
from server.tasks import cancel
from server.ws.pump import Pump
from srichan_world.protocol.codec import array_header
from srichan_world.protocol.codes import MsgType
from srichan_world.world.presence import CellNews, PresenceWorld, TickNews, identity_key
from srichan_world.world.presence.avatars import resume_state

log = logging.getLogger(__name__)

LANES = 16
LANE_SHIFT = 12
"""An avatar id's lane is ``id >> LANE_SHIFT``; a lane holds ids 1–4095 above its base."""
LANE_TTL_S = 30.0
LANE_RENEW_S = 10.0
GHOST_TTL_S = 3.0
ROSTER_EVERY_TICKS = 10
"""Each cell's roster is restated this often (1 s at 10 Hz), spread over the ticks."""
UNWATCH_AFTER_S = 5.0
"""A cell nobody here looks at any more is dropped this long after (no churn at borders)."""
RESUME_REFRESH_S = 5.0
HANDOVER_WAIT_S = 1.0
"""How long a reconnect waits for the process holding the avatar to hand it over before it
takes the stored state (that process crashed, or is too busy to answer)."""
LOOKUP_RETRIES_S = (0.05, 0.1, 0.2)
"""A resume token with no stored state is looked up again after these pauses. The state the
last process wrote goes to Redis on another connection than this lookup; a Redis short of
CPU may serve the lookup first, and the visitor would start afresh at a spawn point (1 miss
in 1,000 reconnects in loaded CI runs). A token that is really unknown (its window ended)
costs its hello these 0.35 s."""
LOOKUPS_MAX = 32
"""Resume lookups in Redis at once; more wait their turn. A burst of reconnects (a worker
restarted, or hundreds of visitors moving to their zone's worker) would otherwise open one
pooled connection each and, past redis-py's pool of 100, fail with ``MaxConnectionsError``:
each such visitor got a fresh avatar at a spawn point (measured: 115 of 341 zone moves of 600
bots at once)."""
_HELLO = int(MsgType.HELLO)
_LANES = [msgpack.packb(lane) for lane in range(LANES)]


def lane_ids(lane: int) -> tuple[int, int]:
    """The first and last avatar id of ``lane``."""
    if not 0 <= lane < LANES:
        raise ValueError(f"lane must be 0..{LANES - 1}")
    base = lane << LANE_SHIFT
    return base + 1, base + (1 << LANE_SHIFT) - 1


def resume_key(token: str) -> str:
    """Where a resume token's state waits (a hash: the token itself is a bearer secret)."""
    return "srichan:resume:" + hashlib.sha256(token.encode()).hexdigest()[:40]


Records = tuple[Any, ...]


def encode_news(lane: int, news: CellNews, *, ask: bool) -> bytes:
    """One cell's message: ``[lane, updates, enters, leaves, said, ask roster, lengths]``.
    Update and enter records are spliced in as the world encoded them; ``lengths`` (bin, a
    byte per update record) lets the receiver take each record out of the message as it is
    (:func:`decode_news`)."""
    updates = news.updates
    return b"".join(
        (
            b"\x97",
            _LANES[lane],
            array_header(len(updates)),
            *updates,
            array_header(len(news.enters)),
            *news.enters,
            msgpack.packb(news.leaves),
            msgpack.packb(news.said, use_bin_type=True),
            b"\xc3" if ask else b"\xc2",
            msgpack.packb(bytes(map(len, updates)), use_bin_type=True),
        )
    )


def decode_news(
    payload: bytes,
) -> tuple[int, Records, list[bytes] | None, Records, Records, Records, bool]:
    """``(lane, updates, records, enters, leaves, said, ask)``, arrays as tuples, ``records``
    being the update records exactly as they are in ``payload`` (``None`` from a process
    that sends no lengths: 6 fields, before them); ``ValueError`` for anything else."""
    try:
        # tuples, not lists: a tick's thousands of records as lists cost the cyclic garbage
        # collector several times what decoding them does (measured: 0.66 against 0.14 µs a
        # record)
        value = msgpack.unpackb(payload, use_list=False)
    except Exception as exc:
        raise ValueError(f"not msgpack: {exc}") from None
    if not (isinstance(value, tuple) and len(value) in (6, 7)):
        raise ValueError("not a 6- or 7-element array")
    lane, updates, enters, leaves, said, ask = value[:6]
    if not (
        isinstance(lane, int)
        and 0 <= lane < LANES
        and all(isinstance(v, tuple) for v in (updates, enters, leaves, said))
        and isinstance(ask, bool)
    ):
        raise ValueError("bad field types")
    records: list[bytes] | None = None
    if len(value) == 7:
        lengths = value[6]
        if not isinstance(lengths, bytes) or len(lengths) != len(updates):
            raise ValueError("bad record lengths")
        records = []
        add = records.append
        start = 2 + len(array_header(len(updates)))
        for n in lengths:
            end = start + n
            add(payload[start:end])
            start = end
        # the records end where the enters begin: lengths and records agree
        if 0 in lengths or not payload.startswith(array_header(len(enters)), start):
            raise ValueError("record lengths do not match the records")
    return lane, updates, records, enters, leaves, said, ask


_EMPTY = CellNews([], [], [], [])


class PresenceRelay:
    """One process's side of the shared street: the pump's :class:`~server.ws.pump.Sharing`.

    ``client`` is a redis-py client (:func:`server.redis_client.open_client`) for the lanes and
    the resume states; the cells' news travel on the bus."""

    def __init__(
        self,
        pump: Pump,
        bus: RedisBus,
        client: Any,
        scene: str,
        resume_window_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pump = pump
        self.world: PresenceWorld = pump.world
        self.bus = bus
        self.client = client
        self.prefix = f"srichan:p:{scene[:12]}:"
        self.control = self.prefix + "ctl"
        self.resume_window_s = resume_window_s
        self.clock = clock
        self.lane: int | None = None
        self.watched: dict[int, float] = {}
        """Cells listened to, with when a local visitor last needed each."""
        self.asked: set[int] = set()
        """Cells whose roster someone asked for: restated at the next tick."""
        self.keys: dict[str, str] = {}
        """Resume key -> token, for this process's avatars whose state went to Redis."""
        self.received = self.published = self.bad = 0
        self.resumed = self.resumed_handed = self.handed = self.handover_timeouts = 0
        self.me = bus.origin.hex().encode()
        self._waiting: dict[str, asyncio.Future[bytes]] = {}
        """Resume keys this process asked another for (``want``), awaiting the ``hand``."""
        self._lookups = asyncio.Semaphore(LOOKUPS_MAX)
        self._tick = 0
        self._next_expiry = 0.0
        self._next_refresh = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lane_task: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Lease a lane (ids unique across processes), then join the street."""
        self.lane = await self._lease_lane()
        self.world.share(*lane_ids(self.lane))
        await self.bus.subscribe(self.control, self._heard_control)
        self.bus.on_reconnect.append(self._rejoin)
        self._lane_task = asyncio.create_task(self._renew_lane())

    async def close(self) -> None:
        await cancel(self._lane_task)
        for task in list(self._tasks):
            task.cancel()
        # nobody here will answer a want any more: the stored states are the avatars'
        self._write_resume_states(self.world.resume_states(), holder=False, restate=True)
        if self.lane is not None:
            with contextlib.suppress(RedisError, OSError):
                await self.client.delete(self._lane_key(self.lane))

    def _lane_key(self, lane: int) -> str:
        return f"{self.prefix}lane:{lane}"

    async def _lease_lane(self) -> int:
        me = self.bus.origin.hex()
        for lane in range(LANES):
            if await self.client.set(self._lane_key(lane), me, nx=True, px=int(LANE_TTL_S * 1e3)):
                return lane
        raise RuntimeError(f"all {LANES} avatar id lanes are taken: at most {LANES} processes")

    async def _renew_lane(self) -> None:
        assert self.lane is not None
        key, me = self._lane_key(self.lane), self.bus.origin.hex()
        while True:
            await asyncio.sleep(LANE_RENEW_S)
            try:
                held = await self.client.set(key, me, get=True, px=int(LANE_TTL_S * 1e3))
            except (RedisError, OSError):
                continue  # Redis away: keep the lane; nobody else can lease it meanwhile
            if held is not None and held.decode() != me:
                log.error("avatar id lane %d was leased by another process too", self.lane)

    # -- each tick --------------------------------------------------------------------------

    def share_news(self) -> None:
        """At each tick, right after ``world.collect()`` and before the frames: publish this
        tick's news, follow the cells local visitors see, expire the silent."""
        now = self.clock()
        self._tick += 1
        turn = self._tick % ROSTER_EVERY_TICKS
        asked, self.asked = self.asked, set()
        tick: TickNews = self.world.take_news(
            lambda cell: cell % ROSTER_EVERY_TICKS == turn or cell in asked
        )
        new_cells = [c for c in tick.watched if c not in self.watched]
        for cell in tick.watched:
            self.watched[cell] = now
        lane = self.lane or 0
        prefix = self.prefix
        messages = [
            (prefix + str(cell), encode_news(lane, item, ask=False))
            for cell, item in tick.cells.items()
        ]
        messages += [(prefix + str(c), encode_news(lane, _EMPTY, ask=True)) for c in new_cells]
        if messages:
            self.published += len(messages)
            self._spawn(self.bus.publish_many(messages))
        for cell in new_cells:
            self._spawn(self.bus.subscribe(prefix + str(cell), self._listener(cell)))
        if now >= self._next_expiry:
            self._next_expiry = now + 1.0
            self._expire(now)
        if tick.released:  # not those handed over to another process meanwhile
            known = self.world.knows_token
            released = [(t, r) for t, r in tick.released if known(t)]
            self._write_resume_states(released, restate=True)
        if now >= self._next_refresh:
            self._next_refresh = now + RESUME_REFRESH_S
            known = self.world.knows_token
            self.keys = {k: t for k, t in self.keys.items() if known(t)}
            self._write_resume_states(self.world.resume_states(), restate=True)

    def _expire(self, now: float) -> None:
        self.world.remote_expire(now - GHOST_TTL_S)
        stale = now - UNWATCH_AFTER_S
        for cell in [c for c, used in self.watched.items() if used < stale]:
            del self.watched[cell]
            self._spawn(self.bus.unsubscribe(self.prefix + str(cell)))

    # -- hearing ----------------------------------------------------------------------------

    def _listener(self, cell: int) -> Callable[[bytes], None]:
        return lambda payload: self.heard(cell, payload)

    def heard(self, cell: int, payload: bytes) -> None:
        """Another process's news of ``cell``: into the world at its next tick, out in the
        frames of that tick."""
        try:
            lane, updates, records, enters, leaves, said, ask = decode_news(payload)
        except ValueError as exc:
            self.bad += 1
            log.warning("ignoring a malformed presence message for cell %d: %s", cell, exc)
            return
        if lane == self.lane:
            return  # a process on our lane: a misconfiguration, logged at lease time
        self.received += 1
        # leaves stay tracked: the avatar may be arriving in a neighbouring cell (the world
        # decides at its tick); either way it expires once it is no longer heard of
        world = self.world
        world.remote_news(cell, updates, enters, leaves, records, self.clock())
        for kind, data in said:
            self.pump.apply(world.remote_said(cell, kind, data))
        if ask:
            self.asked.add(cell)

    def _heard_control(self, payload: bytes) -> None:
        """``resumed <key>``: a visitor resumed elsewhere; let go of the avatar here.
        ``want <key> <origin>``: the process ``origin`` has the visitor's reconnect; hand the
        avatar over if it is here. ``hand <key> <origin> <state>``: the answer to a want."""
        kind, _, rest = payload.partition(b" ")
        if kind == b"hand":
            wanted, _, rest = rest.partition(b" ")
            asker, _, state = rest.partition(b" ")
            waiting = self._waiting.get(wanted.decode(errors="replace"))
            if waiting is not None and asker == self.me and not waiting.done():
                waiting.set_result(state)
            return
        if kind not in (b"resumed", b"want"):
            return
        key, _, origin = rest.decode(errors="replace").partition(" ")
        token = self.keys.pop(key, None)
        if token is None:
            return
        if kind == b"resumed":
            self.pump.apply(self.world.release(token))
            return
        record, effects = self.world.hand_over(token)
        self.pump.apply(effects)
        if record is not None:
            self.handed += 1
            answer = b"hand %s %s %s" % (key.encode(), origin.encode(), msgpack.packb(record))
            self._spawn(self.bus.publish(self.control, answer))

    async def _rejoin(self) -> None:
        """The bus reconnected: ask every watched cell for its roster again."""
        for cell in self.watched:
            self.asked.add(cell)
            await self.bus.publish(
                self.prefix + str(cell), encode_news(self.lane or 0, _EMPTY, ask=True)
            )

    # -- resuming ---------------------------------------------------------------------------

    async def before_hello(self, data: bytes) -> None:
        """A hello whose resume token this process does not know: fetch the avatar from the
        process that holds it (or, if that one is gone, its stored state) and adopt it, so
        the hello that follows resumes it here."""
        try:
            hello = msgpack.unpackb(data)
            token = hello[5] if isinstance(hello, list) and len(hello) > 5 else None
            who = identity_key(*(hello[6:8] if len(hello) >= 8 else (None, None)))
        except Exception:
            return  # the world will refuse the malformed hello itself
        if not isinstance(token, str) or not token or self.world.knows_token(token):
            return
        key = resume_key(token)
        try:  # another identity's hello must not use up the owner's state: look first
            stored = await self._stored(key)
            if stored is None or _field(stored, 6) != who:
                return
            holder = _field(stored, 7)
            if holder == self.me.decode():
                return  # it was ours and is gone (its window ended): a stale record
            handed = await self._ask(key) if holder else None
            async with self._lookups:
                taken = await self.client.getdel(key)
        except (RedisError, OSError):
            return  # Redis away: a fresh avatar, as after a lost resume window
        state = handed if handed is not None else taken
        if state is None:
            return
        try:
            qx, qz, qh, anim, name, look, *owner = msgpack.unpackb(state)
            place = (qx, qz, qh, anim, name, tuple(look), self.clock())
            self.world.adopt(token, *place, owner=owner[0] if owner else "")
        except (ValueError, TypeError) as exc:
            log.warning("ignoring a bad resume state: %s", exc)
            return
        self.resumed += 1
        self.resumed_handed += handed is not None
        adopted = self.world.tokens.get(token)
        if adopted is not None:  # the record names this process from now on, before the welcome
            items = self._resume_items([(token, resume_state(adopted))], holder=True)
            ((_, record, ttl_ms),) = items
            try:
                async with self._lookups:
                    await self.client.set(key, record, px=ttl_ms)
            except (RedisError, OSError):
                self.bus.put(items)
        await self.bus.publish(self.control, f"resumed {key}".encode())

    async def _stored(self, key: str) -> bytes | None:
        """The stored resume state under ``key``, looked up again a few times while absent
        (:data:`LOOKUP_RETRIES_S`)."""
        for pause in (0.0, *LOOKUP_RETRIES_S):
            if pause:
                await asyncio.sleep(pause)
            async with self._lookups:
                stored: bytes | None = await self.client.get(key)
            if stored is not None:
                return stored
        return None

    async def _ask(self, key: str) -> bytes | None:
        """Ask the process holding ``key``'s avatar to hand it over; its state, or ``None``
        when no answer came within ``HANDOVER_WAIT_S``."""
        waiting: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[key] = waiting
        try:
            await self.bus.publish(self.control, b"want %s %s" % (key.encode(), self.me))
            return await asyncio.wait_for(waiting, HANDOVER_WAIT_S)
        except TimeoutError:
            self.handover_timeouts += 1
            return None
        finally:
            if self._waiting.get(key) is waiting:
                del self._waiting[key]

    def welcomed(self, session: int) -> None:
        """A hello was just answered: its avatar's record goes to Redis before the welcome
        leaves this process (see the module docstring)."""
        got = self.world.resume_state_of(session)
        if got is not None:
            self._write_resume_states([got])

    def _write_resume_states(
        self, states: list[tuple[str, list[Any]]], *, holder: bool = True, restate: bool = False
    ) -> None:
        """Keep resume states in Redis for the resume window, each naming this process as
        the holder (lost while Redis is away: then a reconnect elsewhere starts afresh, as
        the docs say). ``restate``: what this process says again of avatars it held (at a
        drop, every few seconds, at shutdown) leaves alone a state that names another
        holder. A process stalled past a handover's wait would otherwise write its old
        holding back over the state of the process that took the avatar, and the visitor's
        next reconnect there found itself named as holder of an avatar it no longer had: a
        fresh avatar at a spawn point (1 miss in 1,000 in a loaded CI run)."""
        self.bus.put(self._resume_items(states, holder), self.me.decode() if restate else None)

    def _resume_items(
        self, states: list[tuple[str, list[Any]]], holder: bool
    ) -> list[tuple[str, bytes, int]]:
        """``(key, stored state, ttl ms)`` of each ``(token, state)``, naming this process as
        the holder when ``holder``; the keys are remembered for the handover."""
        ttl_ms = int(self.resume_window_s * 1000)
        me = self.me.decode() if holder else ""
        items = []
        for token, record in states:
            key = resume_key(token)
            self.keys[key] = token
            items.append((key, msgpack.packb([*record, me]), ttl_ms))
        return items

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _field(state: bytes, index: int) -> str:
    """A text field of a stored resume state: 6 is the identity it is bound to (``""``:
    anonymous), 7 the origin of the process holding the avatar (``""``: none named, or a bad
    state)."""
    try:
        record = msgpack.unpackb(state)
    except Exception:
        return ""
    value = record[index] if isinstance(record, list) and len(record) > index else ""
    return value if isinstance(value, str) else ""
