"""Open Badges in Redis, all in the one hash slot ``{badges}`` (badges are few and written
once; one slot keeps each step a single atomic script on a server or a cluster).

Keys: ``srichan:{badges}:keys`` (list of signing keys as JSON, oldest first), ``:seq``
(revocation-list indexes handed out), ``:cred`` (credential id → badge JSON), ``:held``
(visitor id + achievement id → credential id), ``:of:<visitor id>`` (sorted set of the
visitor's credential ids by issue time), ``:revoked`` (set of revoked status indexes).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import statement_item
from server.store.redis.slots import VisitorSlots
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.badges.jose import SigningKey
from srichan_world.world.badges.records import IssuedBadge, checked_index

B = "srichan:{badges}"
KEYS, SEQ, CRED, HELD, REVOKED = (
    f"{B}:{part}" for part in ("keys", "seq", "cred", "held", "revoked")
)

ADD_KEY = """
for _, held in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  if cjson.decode(held)['kid'] == ARGV[1] then return redis.call('LRANGE', KEYS[1], 0, -1) end
end
redis.call('RPUSH', KEYS[1], ARGV[2])
return redis.call('LRANGE', KEYS[1], 0, -1)
"""
ISSUE = """
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then return redis.call('HGET', KEYS[2], held) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
return ARGV[3]
"""
REVOKE = """
local body = redis.call('HGET', KEYS[1], ARGV[1])
if not body then return false end
local badge = cjson.decode(body)
if badge['revoked_at'] == cjson.null or badge['revoked_at'] == nil then
  badge['revoked_at'] = ARGV[2]
  body = cjson.encode(badge)
  redis.call('HSET', KEYS[1], ARGV[1], body)
end
redis.call('SADD', KEYS[2], badge['status_index'])
return body
"""


def _of(visitor_id: str) -> str:
    return f"{B}:of:{visitor_id}"


def _encode(badge: IssuedBadge) -> str:
    fields = asdict(badge)
    fields["issued_at"] = repr(badge.issued_at)  # floats as Python wrote them (Lua rounds)
    return json.dumps(fields)


def _decode(body: str) -> IssuedBadge:
    fields: dict[str, Any] = json.loads(body)
    revoked = fields.get("revoked_at")
    fields["issued_at"] = float(fields["issued_at"])
    fields["revoked_at"] = None if revoked in (None, "") else float(revoked)
    return IssuedBadge(**fields)


def _key(body: str) -> SigningKey:
    return SigningKey(**json.loads(body))


class RedisBadges:
    """Badges, signing keys and the revocation list's bits."""

    _conn: Connection
    _slots: VisitorSlots

    def _script(self, name: str, source: str) -> Any:
        scripts: dict[str, Any] = self.__dict__.setdefault("_badge_scripts", {})
        if name not in scripts:
            scripts[name] = self._conn.redis.register_script(source)
        return scripts[name]

    @guarded
    async def signing_keys(self) -> tuple[SigningKey, ...]:
        return tuple(_key(b) for b in await self._conn.redis.lrange(KEYS, 0, -1))

    @guarded
    async def add_signing_key(self, key: SigningKey) -> tuple[SigningKey, ...]:
        body = json.dumps(asdict(key))
        held = await self._script("add_key", ADD_KEY)(keys=[KEYS], args=[key.kid, body])
        return tuple(_key(b) for b in held)

    @guarded
    async def next_status_index(self) -> int:
        return checked_index(int(await self._conn.redis.incr(SEQ)) - 1)

    @guarded
    async def issue_badge(self, badge: IssuedBadge) -> IssuedBadge:
        held = f"{badge.visitor_id}\n{badge.achievement_id}"
        body = await self._script("issue", ISSUE)(
            keys=[HELD, CRED, _of(badge.visitor_id)],
            args=[held, badge.credential_id, _encode(badge), repr(badge.issued_at)],
        )
        return _decode(body)

    @guarded
    async def badges_of(self, visitor_id: str) -> tuple[IssuedBadge, ...]:
        redis = self._conn.redis
        ids = await redis.zrange(_of(visitor_id), 0, -1, desc=True)
        if not ids:
            return ()
        bodies = await redis.hmget(CRED, ids)
        return tuple(_decode(b) for b in bodies if b is not None)

    @guarded
    async def badge(self, credential_id: str) -> IssuedBadge | None:
        body = await self._conn.redis.hget(CRED, credential_id)
        return None if body is None else _decode(body)

    @guarded
    async def revoke_badge(self, credential_id: str, now: float) -> IssuedBadge:
        body = await self._script("revoke", REVOKE)(
            keys=[CRED, REVOKED], args=[credential_id, repr(now)]
        )
        if body is None:
            raise Refused(ErrorCode.UNKNOWN_BADGE, f"no badge {credential_id!r}")
        return _decode(body)

    @guarded
    async def revoked_indexes(self) -> tuple[int, ...]:
        return tuple(sorted(int(i) for i in await self._conn.redis.smembers(REVOKED)))

    @guarded
    async def keep_statement(self, statement: dict[str, Any], now: float) -> None:
        await self._slots.post([statement_item(statement, now)])
