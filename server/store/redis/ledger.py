"""Visitors and the token ledger in Redis: a visitor and their balance in their own slot, the
ledger and every other account in the sequencer's (see :mod:`server.store.redis.store`)."""

from __future__ import annotations

from server.store.base import Visitor, page
from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import (
    AWD,
    BAL,
    BALANCES,
    ENTRIES,
    HASH,
    index_key,
    payer_visitor,
    transfer_of,
    visitor_keys,
)
from server.store.redis.slots import VisitorSlots
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import ledger, visitors
from srichan_world.world.ledger import Entry, Transfer
from srichan_world.world.pending import Standing, quizzes_passed

RESERVED_PREFIXES = ("award:", "redeem:")
"""Transfer keys the store makes for awards and coupons; ``transfer()`` refuses them."""


class RedisVisitorLedger:
    """Visitors and their tokens."""

    _conn: Connection
    _slots: VisitorSlots

    @guarded
    async def register_visitor(
        self, visitor_id: str, secret: str, now: float, *, newcomer: bool = False
    ) -> Visitor:
        visitors.check_credentials(visitor_id, secret)
        held = await self._conn.scripts.register(
            [visitor_keys(visitor_id)[HASH - 1]],
            [visitors.hash_secret(secret), repr(float(now)), "1" if newcomer else "0"],
        )
        if not held:
            return Visitor(visitor_id, None, now)
        visitors.require_owner(secret, held[0])
        return Visitor(visitor_id, held[1], float(held[2]))

    @guarded
    async def authenticate_visitor(self, visitor_id: str, secret: str) -> Visitor:
        visitors.check_credentials(visitor_id, secret)
        stored, nick, created = await self._conn.redis.hmget(
            visitor_keys(visitor_id)[HASH - 1], "secret", "nick", "created"
        )
        visitors.require_secret(secret, stored)
        return Visitor(visitor_id, nick, float(created))

    @guarded
    async def standing(self, visitor_id: str) -> Standing | None:
        keys = visitor_keys(visitor_id)
        async with self._conn.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys[HASH - 1], "secret", "created", "newcomer")
            pipe.hkeys(keys[AWD - 1])
            (secret, created, newcomer), awards = await pipe.execute()
        if secret is None:
            return None
        return Standing(newcomer == "1", float(created), quizzes_passed(awards))

    @guarded
    async def set_nickname(self, visitor_id: str, nickname: str) -> Visitor:
        name = visitors.normalize_nickname(nickname)
        created = await self._conn.scripts.nickname([visitor_keys(visitor_id)[HASH - 1]], [name])
        if created is None:
            raise visitors.unknown_visitor()
        return Visitor(visitor_id, name, float(created))

    @guarded
    async def transfer(self, transfer: Transfer) -> Entry:
        transfer.check()
        if transfer.key.startswith(RESERVED_PREFIXES):
            raise Refused(
                ErrorCode.KEY_CONFLICT, f"keys starting {RESERVED_PREFIXES} are the store's own"
            )
        payer = payer_visitor(transfer.source)
        if payer is None:
            return await self._slots.from_sequencer(transfer)
        return await self._slots.from_visitor(payer, transfer)

    @guarded
    async def balance(self, account: str) -> int:
        if not isinstance(account, str) or not ledger.ACCOUNT.match(account):
            return 0
        visitor_id = payer_visitor(account)
        if visitor_id is None:
            held = await self._conn.redis.hget(BALANCES, account)
        else:
            held = await self._conn.redis.get(visitor_keys(visitor_id)[BAL - 1])
        return int(held or 0)

    @guarded
    async def entries(
        self, account: str | None = None, *, after: int = 0, limit: int = 100
    ) -> tuple[Entry, ...]:
        limit = page(limit)
        keys = [ENTRIES] if account is None else [ENTRIES, index_key(account)]
        flat = await self._conn.scripts.entries(keys, [max(int(after), 0), limit])
        return tuple(Entry(int(flat[i]), transfer_of(flat[i + 1])) for i in range(0, len(flat), 2))
