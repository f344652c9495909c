"""Booths in Redis: drafts, the street copy and versions, promotions, and photos (registered
in the sequencer slot, their bytes in a slot of their own: the registration decides, the
bytes follow)."""

from __future__ import annotations

import json

from redis.client import NEVER_DECODE

from server.store.redis.connection import Connection, guarded
from server.store.redis.keys import (
    BOOTH_VERSIONS,
    BOOTHS,
    IMAGE_SLOTS,
    image_bytes_key,
    images_key,
    promotions_key,
)
from server.store.redis.street import Changes, Street, StreetView, booth_record, empty_booth
from srichan_world.world.booths import (
    BoothConfig,
    BoothRecord,
    photos_in_use,
    photos_to_drop,
    require_photos,
    to_publish,
)
from srichan_world.world.ledger import shop_account


class RedisBooths:
    """The stalls on the street."""

    _conn: Connection
    _street: Street

    @guarded
    async def booth(self, slot: str) -> BoothRecord | None:
        return (await self._street.read(slots=[slot])).record(slot)

    @guarded
    async def booths(self) -> tuple[BoothRecord, ...]:
        slots = sorted((await self._street.read()).booths)
        street = await self._street.read(slots=slots)
        return tuple(b for slot in slots if (b := street.record(slot)) is not None)

    @guarded
    async def booth_versions(self) -> dict[str, int]:
        return {
            slot: int(v) for slot, v in (await self._conn.redis.hgetall(BOOTH_VERSIONS)).items()
        }

    @guarded
    async def save_booth_draft(
        self, slot: str, shop_id: str, draft: BoothConfig, now: float
    ) -> BoothRecord:
        def decide(street: StreetView) -> tuple[Changes, BoothRecord]:
            street.require_holder(slot, shop_id)
            require_photos(slot, draft, street.images[slot])
            booth = street.booths[slot] | {"draft": draft.to_json(), "updated_at": now}
            changes = Changes()
            changes.hset(BOOTHS, slot, booth)
            changes.note(shop_account(shop_id), "save_draft", slot, "", now)
            version = street.versions.get(slot, 0)
            promotions, images = street.promotions[slot], street.images[slot]
            return changes, booth_record(slot, booth, version, promotions, images)

        return (await self._street.change(decide, slots=[slot]))[0]

    @guarded
    async def publish_booth(self, slot: str, shop_id: str, now: float) -> BoothRecord:
        def decide(street: StreetView) -> tuple[Changes, BoothRecord]:
            street.require_holder(slot, shop_id)
            booth = street.booths[slot]
            draft = booth["draft"]
            config = to_publish(None if draft is None else BoothConfig.from_json(draft))
            promotions = {pid: p | {"live": False} for pid, p in street.promotions[slot].items()}
            for p in config.promotions:
                issued = promotions[p.id]["issued"] if p.id in promotions else 0
                promotions[p.id] = {
                    "title": p.title.to_json(),
                    "cost": p.cost,
                    "coupons": p.stock(issued),
                    "issued": issued,
                    "valid_from": p.valid_from,
                    "valid_to": p.valid_to,
                    "per_visitor": p.per_visitor,
                    "daily_stock": p.daily_stock,
                    "requires_sign_in": p.requires_sign_in,
                    "live": True,
                }
            changes = Changes()
            for pid, promotion in promotions.items():
                changes.hset(promotions_key(slot), pid, promotion)
            booth = booth | {"published": booth["draft"], "updated_at": now}
            changes.hset(BOOTHS, slot, booth)
            changes.hincrby(BOOTH_VERSIONS, slot, 1)
            changes.note(shop_account(shop_id), "publish", slot, "", now)
            version = street.versions.get(slot, 0) + 1
            return changes, booth_record(slot, booth, version, promotions, street.images[slot])

        return (await self._street.change(decide, slots=[slot]))[0]

    @guarded
    async def set_booth_hidden(
        self, slot: str, hidden: bool, actor: str, now: float
    ) -> BoothRecord:
        def decide(street: StreetView) -> tuple[Changes, BoothRecord]:
            booth = street.booths.get(slot)
            version = street.versions.get(slot, 0)
            changes = Changes()
            if booth is None:
                booth, version = empty_booth(None, now, hidden=hidden), 1
                changes.hset(BOOTHS, slot, booth)
                changes.hset(BOOTH_VERSIONS, slot, "1")
            elif booth["hidden"] != hidden:
                booth, version = booth | {"hidden": hidden, "updated_at": now}, version + 1
                changes.hset(BOOTHS, slot, booth)
                changes.hincrby(BOOTH_VERSIONS, slot, 1)
            if changes:
                changes.note(actor, "hide" if hidden else "show", slot, "", now)
            return changes, booth_record(
                slot, booth, version, street.promotions[slot], street.images[slot]
            )

        return (await self._street.change(decide, slots=[slot]))[0]

    @guarded
    async def put_image(
        self, slot: str, shop_id: str, image_id: str, content_type: str, data: bytes, now: float
    ) -> None:
        def decide(street: StreetView) -> tuple[Changes, bool]:
            street.require_holder(slot, shop_id)
            changes = Changes()
            if street.fields[(IMAGE_SLOTS, image_id)] is not None:
                return changes, False
            booth = street.booths[slot]
            shown = (
                None if b is None else BoothConfig.from_json(b)
                for b in (booth["draft"], booth["published"])
            )
            kept = {held: row["created_at"] for held, row in street.images[slot].items()}
            for held in photos_to_drop(slot, kept, photos_in_use(*shown), now):
                changes.hdel(images_key(slot), held)
                changes.hdel(IMAGE_SLOTS, held)
                changes.drop_images.append(held)
            row = {"content_type": content_type, "created_at": now}
            changes.hset(images_key(slot), image_id, row)
            changes.hset(IMAGE_SLOTS, image_id, slot)
            changes.note(shop_account(shop_id), "upload", slot, image_id, now)
            return changes, True

        added, _ = await self._street.change(decide, slots=[slot], fields=[(IMAGE_SLOTS, image_id)])
        # The registration decided; the bytes follow (the same id is the same bytes, so
        # writing them again repairs a photo whose bytes were cut off after registering).
        await self._conn.redis.set(image_bytes_key(image_id), data, nx=not added)

    @guarded
    async def image(self, image_id: str) -> tuple[str, bytes] | None:
        slot = await self._conn.redis.hget(IMAGE_SLOTS, image_id)
        if slot is None:
            return None
        row = await self._conn.redis.hget(images_key(slot), image_id)
        data = await self._conn.redis.execute_command(
            "GET", image_bytes_key(image_id), **{NEVER_DECODE: True}
        )
        if row is None or data is None:
            return None
        return json.loads(row)["content_type"], bytes(data)
