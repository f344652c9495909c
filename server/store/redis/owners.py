"""Shops and their owners in Redis: who holds which slot, sign-in links and sessions."""

from __future__ import annotations

import json

from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import (
    BOOTH_VERSIONS,
    BOOTHS,
    IMAGE_SLOTS,
    LINKS,
    SESSIONS,
    SHOPS,
    images_key,
    promotions_key,
)
from server.store.redis.street import Changes, Street, StreetView, empty_booth
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import owners as rules
from srichan_world.world.ledger import shop_account
from srichan_world.world.owners import Owner, OwnerSession


class RedisOwners:
    """Which shop holds which slot, and how its owner signs in."""

    _conn: Connection
    _street: Street

    @guarded
    async def grant_slot(self, slot: str, shop_id: str, shop_name: str, now: float) -> Owner:
        name = rules.checked_grant(slot, shop_id, shop_name)

        def decide(street: StreetView) -> tuple[Changes, Owner]:
            booth = street.booths.get(slot)
            takes = rules.grants(slot, shop_id, None if booth is None else booth["shop_id"])
            changes = Changes()
            shop = street.shops.get(shop_id)
            created = now if shop is None else shop["created_at"]
            changes.hset(SHOPS, shop_id, {"name": name, "created_at": created, "revoked_at": None})
            if booth is None:
                changes.hset(BOOTHS, slot, empty_booth(shop_id, now))
                changes.hset(BOOTH_VERSIONS, slot, "0")
            elif takes:
                changes.hset(BOOTHS, slot, booth | {"shop_id": shop_id, "updated_at": now})
            if takes:
                changes.note("admin", "grant", slot, f"{shop_id} {name}", now)
            slots = tuple(sorted({*street.slots_of(shop_id), slot}))
            return changes, Owner(shop_id, name, slots, created, None)

        return (await self._street.change(decide))[0]

    @guarded
    async def issue_sign_in(
        self, shop_id: str, link_hash: str, expires_at: float, now: float
    ) -> None:
        def decide(street: StreetView) -> tuple[Changes, None]:
            rules.require_active(shop_id, street.active(shop_id))
            changes = Changes()
            link = {"shop_id": shop_id, "created_at": now, "expires_at": expires_at}
            changes.hset(LINKS, link_hash, link)
            changes.note("admin", "sign_in_link", None, shop_id, now)
            return changes, None

        await self._street.change(decide)

    @guarded
    async def sign_in(
        self, link_hash: str, session_hash: str, expires_at: float, now: float
    ) -> OwnerSession:
        def decide(street: StreetView) -> tuple[Changes, OwnerSession]:
            link = street.links.get(link_hash)
            active = link is not None and street.active(link["shop_id"])
            rules.require_link(None if link is None else link["expires_at"], active, now)
            assert link is not None, "require_link refuses a missing link"
            changes = Changes()
            changes.hdel(LINKS, link_hash)
            for key, table in ((LINKS, street.links), (SESSIONS, street.sessions)):
                for held_hash, held in table.items():
                    if held["expires_at"] <= now and held_hash != link_hash:
                        changes.hdel(key, held_hash)
            shop_id = link["shop_id"]
            session = {"shop_id": shop_id, "created_at": now, "expires_at": expires_at}
            changes.hset(SESSIONS, session_hash, session)
            changes.note(shop_account(shop_id), "sign_in", None, "", now)
            name = street.shops[shop_id]["name"]
            return changes, OwnerSession(shop_id, name, street.slots_of(shop_id), expires_at)

        return (await self._street.change(decide, links=True, sessions=True))[0]

    @guarded
    async def owner_session(self, session_hash: str, now: float) -> OwnerSession:
        street = await self._street.read(fields=[(SESSIONS, session_hash)])
        raw = street.fields[(SESSIONS, session_hash)]
        session = None if raw is None else json.loads(raw)
        shop_id, expires_at = (session["shop_id"], session["expires_at"]) if session else ("", None)
        until = rules.require_session(expires_at, street.active(shop_id), now)
        name = street.shops[shop_id]["name"]
        return OwnerSession(shop_id, name, street.slots_of(shop_id), until)

    @guarded
    async def end_session(self, session_hash: str) -> None:
        await self._conn.redis.hdel(SESSIONS, session_hash)

    @guarded
    async def revoke_shop(self, shop_id: str, now: float) -> tuple[str, ...]:
        slots = (await self._street.read()).slots_of(shop_id)

        def decide(street: StreetView) -> tuple[Changes, tuple[str, ...]]:
            shop = street.shops.get(shop_id)
            if shop is None:
                raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"no shop {shop_id!r}")
            if street.slots_of(shop_id) != slots:
                raise _Reread
            changes = Changes()
            for key, table in ((LINKS, street.links), (SESSIONS, street.sessions)):
                for held_hash, held in table.items():
                    if held["shop_id"] == shop_id:
                        changes.hdel(key, held_hash)
            for slot in slots:
                changes.delete(promotions_key(slot))
                changes.delete(images_key(slot))
                for image_id in street.images[slot]:
                    changes.hdel(IMAGE_SLOTS, image_id)
                    changes.drop_images.append(image_id)
                changes.hset(BOOTHS, slot, empty_booth(None, now))
                changes.hincrby(BOOTH_VERSIONS, slot, 1)
            if shop["revoked_at"] is None:
                changes.hset(SHOPS, shop_id, shop | {"revoked_at": now})
                detail = f"{shop_id} {' '.join(slots)}".strip()
                changes.note("admin", "revoke", None, detail, now)
            return changes, slots

        while True:
            try:
                return (await self._street.change(decide, slots=slots, links=True, sessions=True))[
                    0
                ]
            except _Reread:
                slots = (await self._street.read()).slots_of(shop_id)

    @guarded
    async def owners(self) -> tuple[Owner, ...]:
        street = await self._street.read()
        return tuple(street.owner(shop_id) for shop_id in sorted(street.shops))


class _Reread(Exception):
    """The shop's slots changed between two reads: read again."""
