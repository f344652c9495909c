"""One visitor's records in Redis, read out or erased family by family; raw records purged.

The erasure (srichan_world/world/privacy.py says what it keeps and why) crosses slots, so it
is not one atomic step: it settles the cross-slot work left undone first, pays the closing
entry through the ledger's own path, then runs each family's eraser, the identity last. Each
eraser only finds what is still there, so running the erasure again after a cut finishes it
and harms nothing. The ledger's rows are renamed by one script in the sequencer's slot
(entries, the key index and the per-account index together), so an audit never sees half a
renaming.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from server.store.redis.connection import Connection, guarded
from server.store.redis.console import REPORTS, SANCTIONS
from server.store.redis.dialogue import QUESTIONS
from server.store.redis.dialogue import _keys as dialogue_keys
from server.store.redis.keys import (
    ANSWERS,
    BAL,
    CODES,
    COUPONS,
    EARN,
    ENTRIES,
    HASH,
    KEYS,
    ST,
    ST_ID,
    ST_TIME,
    VISITOR_PARTS,
    board_keys,
    booth_coupons_key,
    dumps,
    entry_body,
    index_key,
    transfer_of,
    visitor_coupons_key,
    visitor_keys,
)
from server.store.redis.slots import VisitorSlots
from server.store.redis.street import Changes, Street
from srichan_world.world import privacy
from srichan_world.world.ledger import Transfer, visitor_account

RENAME = """
for i = 1, #ARGV, 4 do
  local seq, old_key, new_key, body = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  redis.call('HDEL', KEYS[2], old_key)
  redis.call('HSET', KEYS[2], new_key, seq)
  redis.call('HSET', KEYS[1], seq, body)
  redis.call('ZADD', KEYS[4], seq, seq)
end
redis.call('DEL', KEYS[3])
return #ARGV / 4
"""
"""KEYS entries, keys, the old account's index, the new one's; ARGV (seq, old key, new key,
new body) per entry."""
FIND = """
local found = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[3])
local out = {found[1]}
local pairs = found[2]
for i = 1, #pairs, 2 do
  if string.find(pairs[i + 1], ARGV[2], 1, true) then
    out[#out + 1] = pairs[i]
    out[#out + 1] = pairs[i + 1]
  end
end
return out
"""
"""One step of a scan of the statements (KEYS[1]) from cursor ARGV[1], ARGV[3] at a time,
returning the next cursor and the (seq, body) pairs whose body holds ARGV[2] (a plain
string): Redis reads the bodies, Python parses only those that may match, and no step holds
Redis for longer than a few hundred bodies take."""
SCAN_COUNT = 500
COURSES_PART = ":crs"
EVENT_SEATS = "srichan:{g}:evatt:*"
BADGES = "srichan:{badges}"

Eraser = Callable[["RedisPersonal", str, str, float], Awaitable[int]]


def _decoded(raw: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in sorted(raw.items()):
        try:
            out[name] = json.loads(value)
        except ValueError:
            out[name] = value
    return out


class RedisPersonal:
    """A visitor's own records out, erased; raw records purged."""

    _conn: Connection
    _slots: VisitorSlots
    _street: Street

    transfer: Callable[[Transfer], Awaitable[Any]]
    """The ledger area's (server/store/redis/ledger.py)."""
    revoke_badge: Callable[[str, float], Awaitable[Any]]
    """The badges' (server/store/redis/badges.py)."""

    @guarded
    async def personal_records(self, visitor_id: str) -> dict[str, Any]:
        redis = self._conn.redis
        keys = visitor_keys(visitor_id)
        nick, created, newcomer = await redis.hmget(keys[HASH - 1], "nick", "created", "newcomer")
        identity = (
            {}
            if created is None
            else {
                "id": visitor_id,
                "nickname": nick,
                "created_at": float(created),
                "newcomer": int(newcomer == "1"),  # the pending rule applies (pending.py)
            }
        )
        parts = dict(zip(VISITOR_PARTS, keys, strict=True))
        learning = {
            name: _decoded(await redis.hgetall(parts[part]))
            for name, part in (
                ("quiz_attempts", ":att"),
                ("answers", ":ans"),
                ("awards", ":awd"),
                ("quest_progress", ":qst"),
                ("earnings", ":earn"),
            )
        }
        attended = [
            key.removeprefix(EVENT_SEATS[:-1])
            async for key in redis.scan_iter(match=EVENT_SEATS)
            if await redis.sismember(key, visitor_id)
        ]
        statements = [body for _, body in await self._statements_of(visitor_id)]
        return {
            "identity": identity,
            "learning": learning,
            "events": {"attended": sorted(attended)},
            "statements": statements,
        }

    async def _statements_of(self, visitor_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The visitor's statements (seq, body), oldest first. Bodies are JSON with sorted
        keys and no spaces (``keys.dumps``), so the actor's account holds ``"name":"<id>"``."""
        needle = dumps({"name": visitor_id})[1:-1]
        script = self._personal_script("find", FIND)
        found, cursor = [], "0"
        while True:
            step = await script(keys=[ST], args=[cursor, needle, SCAN_COUNT])
            cursor = str(step[0])
            for i in range(1, len(step), 2):
                body = json.loads(step[i + 1])
                if body.get("actor", {}).get("account", {}).get("name") == visitor_id:
                    found.append((str(step[i]), body))
            if cursor == "0":
                break
        found.sort(key=lambda s: int(s[0]))
        return found

    @guarded
    async def erase_visitor(self, visitor_id: str, tomb: str, now: float) -> dict[str, int]:
        await self._slots.settle()
        return {name: await eraser(self, visitor_id, tomb, now) for name, eraser in ERASERS}

    async def _erase_ledger(self, vid: str, tomb: str, now: float) -> int:
        redis = self._conn.redis
        held = int(await redis.get(visitor_keys(vid)[BAL - 1]) or 0)
        closing = privacy.closing_transfer(vid, tomb, held, now)
        if closing is not None:
            await self.transfer(closing)
        old_ix = index_key(visitor_account(vid))
        seqs = await redis.zrange(old_ix, 0, -1)
        args: list[str] = []
        if seqs:
            for seq, body in zip(seqs, await redis.hmget(ENTRIES, seqs), strict=True):
                if body is None:
                    continue
                t = transfer_of(body)
                renamed = privacy.rename_transfer(t, vid, tomb)
                args += [seq, t.key, renamed.key, entry_body(renamed)]
        new_ix = index_key(visitor_account(tomb))
        script = self._personal_script("rename", RENAME)
        return int(await script(keys=[ENTRIES, KEYS, old_ix, new_ix], args=args))

    async def _erase_learning(self, vid: str, _tomb: str, _now: float) -> int:
        redis = self._conn.redis
        keys = visitor_keys(vid)
        count = 0
        for period in await redis.hkeys(keys[EARN - 1]):
            board, members, versions = board_keys(period)
            member = await redis.hget(members, vid)
            if member is not None:
                count += int(await redis.zrem(board, member))
            await redis.hdel(members, vid)
            await redis.hdel(versions, vid)
        async for key, owner in redis.hscan_iter(ANSWERS):
            if owner == vid:
                count += int(await redis.hdel(ANSWERS, key))
        for key in keys[1:]:  # all but the identity, erased last; the balance is 0 by now
            count += int(await redis.delete(key))
        return count

    async def _erase_coupons(self, vid: str, tomb: str, now: float) -> int:
        redis = self._conn.redis
        mine = visitor_coupons_key(vid)
        rids = list(await redis.hkeys(mine))
        changes = Changes()
        for rid, raw in zip(rids, await redis.hmget(COUPONS, rids) if rids else [], strict=True):
            if raw is None:
                continue
            held = json.loads(raw)
            held["visitor_id"] = tomb
            for name in ("coupon_id", "key", "transfer_key"):
                if name in held:
                    held[name] = privacy.rename_key(held[name], vid, tomb)
            if held.get("used_at") is None:
                held["expires_at"] = min(held["expires_at"], now)
            renamed = privacy.rename_key(rid, vid, tomb)
            changes.hdel(COUPONS, rid)
            changes.hset(COUPONS, renamed, dumps(held))
            changes.hset(CODES, held["code"], renamed)
            changes.hdel(booth_coupons_key(held["slot"]), rid)
            changes.hset(booth_coupons_key(held["slot"]), renamed, str(held["seq"]))
        changes.delete(mine)
        await self._street.commit("", changes)
        async for key in redis.scan_iter(match=f"srichan:{{g}}:daily:*:{vid}"):
            await redis.delete(key)
        return len(rids)

    async def _erase_badges(self, vid: str, tomb: str, now: float) -> int:
        redis = self._conn.redis
        of, cred, held = f"{BADGES}:of:{vid}", f"{BADGES}:cred", f"{BADGES}:held"
        ids = list(await redis.zrange(of, 0, -1))
        for credential_id in ids:
            await self.revoke_badge(credential_id, now)
            raw = await redis.hget(cred, credential_id)
            if raw is not None:
                body = json.loads(raw)
                await redis.hdel(held, f"{vid}\n{body['achievement_id']}")
                body |= {"visitor_id": tomb, "token": ""}
                await redis.hset(cred, credential_id, json.dumps(body, ensure_ascii=False))
        await redis.delete(of)
        return len(ids)

    async def _erase_courses(self, vid: str, _tomb: str, _now: float) -> int:
        return int(await self._conn.redis.delete(f"srichan:{{v:{vid}}}{COURSES_PART}"))

    async def _erase_events(self, vid: str, tomb: str, _now: float) -> int:
        redis = self._conn.redis
        count = 0
        async for key in redis.scan_iter(match=EVENT_SEATS):
            if await redis.srem(key, vid):
                await redis.sadd(key, tomb)
                count += 1
        return count

    async def _erase_dialogue(self, vid: str, _tomb: str, _now: float) -> int:
        redis = self._conn.redis
        count = 0
        for question_id in await redis.hkeys(QUESTIONS):
            votes, ops, by_visitor, _seq, supports = dialogue_keys(question_id)
            count += int(await redis.hdel(votes, vid))
            number = await redis.hget(by_visitor, vid)
            for member in await redis.smembers(supports):
                n, _, who = member.partition("\n")
                if who == vid or (number is not None and n == number):
                    count += int(await redis.srem(supports, member))
            if number is not None:
                count += int(await redis.hdel(ops, number))
                await redis.hdel(by_visitor, vid)
        return count

    async def _erase_moderation(self, vid: str, tomb: str, _now: float) -> int:
        redis = self._conn.redis
        count = 0
        for seq, raw in (await redis.hgetall(REPORTS)).items():
            held = json.loads(raw)
            if privacy.report_concerns(held["body"], vid):
                held["body"] = privacy.scrub_report(held["body"], vid, tomb)
                await redis.hset(REPORTS, seq, json.dumps(held, ensure_ascii=False))
                count += 1
        for i, raw in enumerate(await redis.lrange(SANCTIONS, 0, -1)):
            held = json.loads(raw)
            if held.get("target") == vid and not held.get("by_address"):
                renamed = held | {"target": tomb}
                await redis.lset(SANCTIONS, i, json.dumps(renamed, ensure_ascii=False))
                count += 1
        return count

    async def _erase_statements(self, vid: str, _tomb: str, _now: float) -> int:
        found = await self._statements_of(vid)
        await self._drop_statements([(seq, body["id"]) for seq, body in found])
        return len(found)

    async def _drop_statements(self, found: list[tuple[str, str]]) -> None:
        redis = self._conn.redis
        for seq, statement_id in found:
            await redis.hdel(ST, seq)
            await redis.zrem(ST_TIME, seq)
            await redis.hdel(ST_ID, statement_id)

    async def _erase_identity(self, vid: str, _tomb: str, _now: float) -> int:
        return int(await self._conn.redis.delete(visitor_keys(vid)[HASH - 1]))

    @guarded
    async def purge_raw(
        self, statements_before: float | None, reports_before: float | None
    ) -> dict[str, int]:
        redis = self._conn.redis
        statements = reports = 0
        if statements_before is not None:
            seqs = await redis.zrangebyscore(ST_TIME, "-inf", f"({statements_before!r}")
            for first in range(0, len(seqs), 500):
                chunk = seqs[first : first + 500]
                bodies = await redis.hmget(ST, chunk)
                ids = [json.loads(b)["id"] for b in bodies if b is not None]
                await redis.hdel(ST, *chunk)
                await redis.zrem(ST_TIME, *chunk)
                if ids:
                    await redis.hdel(ST_ID, *ids)
                statements += len(chunk)
        if reports_before is not None:
            for seq, raw in (await redis.hgetall(REPORTS)).items():
                held = json.loads(raw)
                if held["status"] == "closed" and held["body"]["at"] < reports_before:
                    reports += int(await redis.hdel(REPORTS, seq))
        return {"statements": statements, "reports": reports}

    def _personal_script(self, name: str, source: str) -> Any:
        scripts: dict[str, Any] = self.__dict__.setdefault("_personal_scripts", {})
        if name not in scripts:
            scripts[name] = self._conn.redis.register_script(source)
        return scripts[name]


ERASERS: tuple[tuple[str, Eraser], ...] = (
    ("ledger", RedisPersonal._erase_ledger),
    ("learning", RedisPersonal._erase_learning),
    ("coupons", RedisPersonal._erase_coupons),
    ("badges", RedisPersonal._erase_badges),
    ("courses", RedisPersonal._erase_courses),
    ("events", RedisPersonal._erase_events),
    ("dialogue", RedisPersonal._erase_dialogue),
    ("moderation", RedisPersonal._erase_moderation),
    ("statements", RedisPersonal._erase_statements),
    ("identity", RedisPersonal._erase_identity),
)
"""One eraser per family, in this order (the identity last, so a cut erasure is found and
finished by the next); a new family of records is one more line."""
