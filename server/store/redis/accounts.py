"""Account links in Redis: two hashes in one slot (``srichan:{acct}:…``), so one script keeps
them unique both ways (by account, by identity) on a server or a Cluster alike.

``…:by_account`` maps ``<issuer> <subject>`` (JSON ``[issuer, subject]``) to the link as JSON;
``…:by_visitor`` maps a visitor id to the same account key.
"""

from __future__ import annotations

import json

from server.store.redis.connection import Connection, guarded
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.signin.links import AccountLink

BY_ACCOUNT = "srichan:{acct}:by_account"
BY_VISITOR = "srichan:{acct}:by_visitor"

LINK = """
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held then return {1, held} end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return {-1, ''} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return {0, ARGV[3]}
"""

UNLINK = """
local account = redis.call('HGET', KEYS[2], ARGV[1])
if not account then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], account)
return 1
"""


def _account_key(issuer: str, subject: str) -> str:
    return json.dumps([issuer, subject], separators=(",", ":"))


def _to_json(link: AccountLink) -> str:
    return json.dumps(
        [
            link.issuer,
            link.subject,
            link.visitor_id,
            link.provider,
            link.sealed_secret,
            link.linked_at,
        ],
        separators=(",", ":"),
    )


def _from_json(raw: str | None) -> AccountLink | None:
    if raw is None:
        return None
    issuer, subject, visitor_id, provider, sealed, at = json.loads(raw)
    return AccountLink(issuer, subject, visitor_id, provider, sealed, float(at))


class RedisAccounts:
    """Which account holds which identity."""

    _conn: Connection

    @guarded
    async def account_link(self, visitor_id: str) -> AccountLink | None:
        account = await self._conn.redis.hget(BY_VISITOR, visitor_id)
        if account is None:
            return None
        return _from_json(await self._conn.redis.hget(BY_ACCOUNT, account))

    @guarded
    async def account_link_of(self, issuer: str, subject: str) -> AccountLink | None:
        return _from_json(await self._conn.redis.hget(BY_ACCOUNT, _account_key(issuer, subject)))

    @guarded
    async def link_account(self, link: AccountLink) -> AccountLink:
        script = self._conn.redis.register_script(LINK)
        account = _account_key(link.issuer, link.subject)
        status, raw = await script(
            [BY_ACCOUNT, BY_VISITOR], [account, link.visitor_id, _to_json(link)]
        )
        if int(status) < 0:
            raise Refused(
                ErrorCode.SIGN_IN_IDENTITY_LINKED, "this identity is linked to another account"
            )
        held = _from_json(raw)
        assert held is not None
        return held

    @guarded
    async def unlink_account(self, visitor_id: str) -> bool:
        script = self._conn.redis.register_script(UNLINK)
        return bool(int(await script([BY_ACCOUNT, BY_VISITOR], [visitor_id])))
