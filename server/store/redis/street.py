"""The street in Redis: shops, booths, promotions, photos' registry, sign-in links, sessions and
coupons, all in the sequencer slot ``{g}``.

A street has at most 99 booth slots and a few dozen shops, so it is small. Each operation reads
what it needs at one instant (:meth:`Street.read`), decides, and commits with a compare-and-set
on the street's revision (``srichan:{g}:street``, :meth:`Street.commit`), so it is one atomic
step as a SQLite transaction is. :meth:`Street.change` is the read-decide-commit loop.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from server.store.base import StoreError
from server.store.redis.connection import Connection
from server.store.redis.keys import (
    ACTION_SEQ,
    ACTIONS,
    BOOTH_VERSIONS,
    BOOTHS,
    LINKS,
    SESSIONS,
    SHOPS,
    STREET_KEYS,
    STREET_REV,
    KeyList,
    dumps,
    image_bytes_key,
    images_key,
    item_args,
    promotions_key,
)
from srichan_world.world import owners as owner_rules
from srichan_world.world.booths import BoothConfig, BoothRecord, Promotion, text_of
from srichan_world.world.owners import Owner

T = TypeVar("T")
STREET_TURN = "{street}"
"""The in-process turn of street commits (no visitor id has braces)."""
STREET_TRIES = 64


@dataclass
class StreetView:
    """The street as one read saw it."""

    rev: str
    shops: dict[str, dict[str, Any]]
    booths: dict[str, dict[str, Any]]
    versions: dict[str, int]
    promotions: dict[str, dict[str, dict[str, Any]]]
    images: dict[str, dict[str, dict[str, Any]]]
    links: dict[str, dict[str, Any]]
    sessions: dict[str, dict[str, Any]]
    fields: dict[tuple[str, str | None], str | None]

    def slots_of(self, shop_id: str) -> tuple[str, ...]:
        return tuple(sorted(s for s, b in self.booths.items() if b["shop_id"] == shop_id))

    def owner(self, shop_id: str) -> Owner:
        shop = self.shops[shop_id]
        return Owner(
            shop_id, shop["name"], self.slots_of(shop_id), shop["created_at"], shop["revoked_at"]
        )

    def active(self, shop_id: str) -> bool:
        """The shop exists and is not revoked."""
        shop = self.shops.get(shop_id)
        return shop is not None and shop["revoked_at"] is None

    def require_holder(self, slot: str, shop_id: str) -> None:
        booth = self.booths.get(slot)
        holder = None if booth is None else booth["shop_id"]
        owner_rules.require_holder(slot, shop_id, holder, self.active(shop_id))

    def promotion(self, slot: str, promotion_id: str) -> Promotion | None:
        """The slot's published promotion of this id with its stock (the street's terms)."""
        row = self.promotions.get(slot, {}).get(promotion_id)
        if row is None or not row["live"]:
            return None
        terms = (row["cost"], row["coupons"], row["valid_from"], row["valid_to"])
        limits = (row.get("per_visitor", 1), row.get("daily_stock", 0))
        signed_in = bool(row.get("requires_sign_in", False))
        return Promotion(promotion_id, text_of(row["title"]), *terms, *limits, signed_in)

    def record(self, slot: str) -> BoothRecord | None:
        booth = self.booths.get(slot)
        if booth is None:
            return None
        promotions = self.promotions.get(slot, {})
        return booth_record(
            slot, booth, self.versions.get(slot, 0), promotions, self.images.get(slot)
        )


def booth_record(
    slot: str,
    booth: dict[str, Any],
    version: int,
    promotions: dict[str, dict[str, Any]],
    images: dict[str, Any] | None,
) -> BoothRecord:
    draft, published = booth["draft"], booth["published"]
    return BoothRecord(
        slot=slot,
        shop_id=booth["shop_id"],
        draft=None if draft is None else BoothConfig.from_json(draft),
        published=None if published is None else BoothConfig.from_json(published),
        hidden=booth["hidden"],
        version=version,
        issued={pid: p["issued"] for pid, p in promotions.items() if p["live"]},
        updated_at=booth["updated_at"],
        photos=frozenset(images or ()),
    )


def empty_booth(shop_id: str | None, now: float, *, hidden: bool = False) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "draft": None,
        "published": None,
        "hidden": hidden,
        "updated_at": now,
    }


@dataclass
class Changes:
    """Operations for one street commit, and movements for the ledger in the same script."""

    ops: list[tuple[str, str, Any, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    drop_images: list[str] = field(default_factory=list)
    """Photo bytes to delete once the commit stands."""

    def hset(self, key: str, name: str, value: Any) -> None:
        self.ops.append(("HSET", key, name, value if isinstance(value, str) else dumps(value)))

    def hdel(self, key: str, name: str) -> None:
        self.ops.append(("HDEL", key, name, ""))

    def hincrby(self, key: str, name: str, by: int) -> None:
        self.ops.append(("HINCRBY", key, name, by))

    def delete(self, key: str) -> None:
        self.ops.append(("DEL", key, "", ""))

    def set(self, key: str, value: Any) -> None:
        self.ops.append(("SET", key, value, ""))

    def setex(self, key: str, ttl: int, value: Any) -> None:
        self.ops.append(("SETEX", key, ttl, dumps(value)))

    def note(self, actor: str, action: str, slot: str | None, detail: str, now: float) -> None:
        line = {"at": now, "actor": actor, "action": action, "slot": slot, "detail": detail}
        self.ops.append(("NOTE", ACTIONS, ACTION_SEQ, dumps(line)))

    def __bool__(self) -> bool:
        return bool(self.ops or self.items)


class Street:
    """Reads and compare-and-set commits of the street."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def read(
        self,
        *,
        slots: Iterable[str] = (),
        links: bool = False,
        sessions: bool = False,
        fields: Iterable[tuple[str, str | None]] = (),
    ) -> StreetView:
        """Shops, booths and versions always; promotions and photos of ``slots``; links and
        sessions if asked; and single fields (``(key, None)`` reads a plain key)."""
        keys = KeyList([STREET_REV])
        args: list[Any] = []
        slots, wanted = list(slots), list(fields)
        for key in (SHOPS, BOOTHS, BOOTH_VERSIONS):
            args += ["HGETALL", keys.at(key), ""]
        for slot in slots:
            args += ["HGETALL", keys.at(promotions_key(slot)), ""]
            args += ["HGETALL", keys.at(images_key(slot)), ""]
        for key, asked in ((LINKS, links), (SESSIONS, sessions)):
            if asked:
                args += ["HGETALL", keys.at(key), ""]
        for key, name in wanted:
            args += ["GET" if name is None else "HGET", keys.at(key), name or ""]
        reply = iter(await self._conn.scripts.street_read(keys.names, args))

        def table() -> dict[str, Any]:
            flat = next(reply)
            return {flat[i]: json.loads(flat[i + 1]) for i in range(0, len(flat), 2)}

        rev = str(next(reply))
        shops, booths, versions = table(), table(), table()
        promotions, images = {}, {}
        for slot in slots:
            promotions[slot], images[slot] = table(), table()
        return StreetView(
            rev=rev,
            shops=shops,
            booths=booths,
            versions={slot: int(v) for slot, v in versions.items()},
            promotions=promotions,
            images=images,
            links=table() if links else {},
            sessions=table() if sessions else {},
            fields={want: next(reply) for want in wanted},
        )

    async def commit(self, rev: str, changes: Changes) -> tuple[bool, list[Any]]:
        """Apply ``changes`` if the street is still at ``rev`` (``""``: unconditionally, for
        changes no decision rests on); returns whether it did and the movements' results."""
        keys = KeyList(STREET_KEYS)
        args: list[Any] = [rev, len(changes.ops)]
        for cmd, key, a, b in changes.ops:
            args += [cmd, keys.at(key), keys.at(a) if cmd == "NOTE" else a, b]
        args += item_args(changes.items, keys)
        ok, posted = await self._conn.scripts.street_commit(keys.names, args)
        if ok:
            for image_id in changes.drop_images:
                await self._conn.redis.delete(image_bytes_key(image_id))
        return bool(ok), posted

    async def change(
        self,
        decide: Callable[[StreetView], tuple[Changes, T]],
        first: StreetView | None = None,
        **reads: Any,
    ) -> tuple[T, list[Any]]:
        """Read, decide, commit if the street did not change meanwhile (else again). ``first``
        is a read of the same ``reads`` made just before, to decide on first."""
        async with self._conn.turns(STREET_TURN):
            for attempt in range(STREET_TRIES):
                street = first or await self.read(**reads)
                first = None
                changes, result = decide(street)
                if not changes:
                    return result, []
                ok, posted = await self.commit(street.rev, changes)
                if ok:
                    return result, posted
                await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
        raise StoreError(f"the street kept changing; gave up after {STREET_TRIES} tries")
