"""Events in Redis: the operators' event records and each event's attendees in the sequencer
slot (``srichan:{g}:events``, ``…:evver``, ``…:evatt:<event id>``), the bonus in the visitor's.

Attending crosses two slots, so it follows the store's rule that the side that can refuse goes
first: a script takes the seat (refusing when the event is full, answering "already seated"
for a visitor who has one), then the visitor's slot pays the award once by its key and keeps
the statement. Should the second step be lost, the visitor's next attempt finds the seat taken
and pays the award then (an award key pays once).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import AWD, EARN, G, statement_item
from server.store.redis.learning import _pay, _require_registered
from server.store.redis.slots import View, VisitorSlots, Writes
from srichan_world.world.awards import UNPAID, Payout
from srichan_world.world.events import Attendance, Attended
from srichan_world.world.leaderboard import earning_periods

EVENTS = f"{G}:events"
EVENTS_VERSION = f"{G}:evver"

PUT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('INCR', KEYS[2])
"""

SEAT = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  return {0, redis.call('SCARD', KEYS[1])}
end
local count = redis.call('SCARD', KEYS[1])
if count >= tonumber(ARGV[2]) then
  return {-1, count}
end
redis.call('SADD', KEYS[1], ARGV[1])
return {1, count + 1}
"""


def attendees_key(event_id: str) -> str:
    return f"{G}:evatt:{event_id}"


class RedisEvents:
    """Operators' events and attendance."""

    _conn: Connection
    _slots: VisitorSlots

    @guarded
    async def put_event(self, event: dict[str, Any], now: float) -> int:
        body = json.dumps(event | {"updated_at": now}, ensure_ascii=False, sort_keys=True)
        script = self._conn.redis.register_script(PUT)
        return int(await script([EVENTS, EVENTS_VERSION], [event["id"], body]))

    @guarded
    async def stored_events(self) -> tuple[tuple[dict[str, Any], ...], int]:
        rows = await self._conn.redis.hgetall(EVENTS)
        version = await self._conn.redis.get(EVENTS_VERSION)
        events = []
        for key in sorted(rows):
            body = json.loads(rows[key])
            body.pop("updated_at", None)
            events.append(body)
        return tuple(events), int(version or 0)

    @guarded
    async def attend_event(self, attendance: Attendance) -> Attended:
        a = attendance
        script = self._conn.redis.register_script(SEAT)
        seated, count = await script([attendees_key(a.event_id)], [a.visitor_id, a.capacity])
        if int(seated) < 0:  # the script found the seats taken, as Attendance.seat says
            a.seat(int(count), already=False)
        fields = [(AWD, a.award.key)] if a.award is not None else []
        fields += [(EARN, period) for period in earning_periods(a.now)]

        def decide(view: View) -> tuple[Writes, Callable[[int], Attended]]:
            _require_registered(view)
            writes = Writes()
            payout: Payout = UNPAID if a.award is None else _pay(writes, view, a.award)
            writes.queue(f"s:{a.statement['id']}", statement_item(a.statement, a.now))
            return writes, lambda balance: Attended(int(seated) == 1, int(count), payout, balance)

        return await self._slots.update(a.visitor_id, fields, decide)

    @guarded
    async def attendees(self, event_id: str) -> int:
        return int(await self._conn.redis.scard(attendees_key(event_id)))
