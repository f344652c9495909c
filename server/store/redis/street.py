"""The street on Redis: shops and their owners, booths, photos and coupons.

All of it lives in the sequencer slot ``{g}``: a street has at most 99 booth slots and a few
dozen shops, so it is small. Each operation reads what it needs at one instant, decides in
Python with the rules of ``srichan_world.world.booths``/``owners``, and commits with a
compare-and-set on the street's revision (``srichan:{g}:street``), so it is one atomic step as a
SQLite transaction is. A photo's bytes live in a slot of their own (``{img:<id>}``) and are
registered in ``{g}``: the registration decides, the bytes follow it.

A redemption is the one street operation that crosses slots: the visitor pays in their slot,
the booth sells in ``{g}``. As for transfers, the side that can refuse with an idempotency key
goes first: the visitor's debit (a short balance refuses; nothing else is written), queued in
their outbox with a fresh *attempt* id. The street then decides once per redemption and
attempt, atomically: either the coupon is issued (stock, booth version, code, the ledger entry
and the shop's credit, all in one script) or the refusal is recorded, after which the debit is
given back. A recorded refusal is final for its attempt, so a late replay of that attempt can
never issue a coupon for a debit already given back; trying again is a new attempt. The booth's
rules are checked twice, before the debit (so most refusals touch nothing) and in the decision.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from redis.client import NEVER_DECODE

from server.store.base import IMAGE_PRUNE_AGE_S, IMAGES_PER_SLOT, PAGE_MAX, StoreError
from server.store.redis.keys import (
    ACTION_SEQ,
    ACTIONS,
    BAL,
    BOOTH_VERSIONS,
    BOOTHS,
    CODES,
    COUPON_SEQ,
    COUPONS,
    HASH,
    IMAGE_SLOTS,
    KEYS,
    LEGS,
    LINKS,
    OUT,
    SESSIONS,
    SHOPS,
    STREET_KEYS,
    STREET_REV,
    KeyList,
    Scripts,
    Turns,
    booth_coupons_key,
    dumps,
    guarded,
    image_bytes_key,
    images_key,
    item_args,
    movement,
    page,
    promotions_key,
    refusal_key,
    visitor_coupons_key,
    visitor_keys,
)
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.model import Text
from srichan_world.world.booths import BoothConfig, BoothRecord, Promotion
from srichan_world.world.coupons import CouponRecord, Redemption, check_redemption
from srichan_world.world.ledger import Transfer, shop_account, visitor_account
from srichan_world.world.owners import Owner, OwnerAction, OwnerSession, checked_grant

T = TypeVar("T")

STREET_TURN = "{street}"
"""The in-process turn of street commits (no visitor id has braces)."""
STREET_TRIES = 64
REFUSAL_TTL_S = 86_400
"""How long a refused redemption attempt is remembered: far beyond any replay of it."""
COUPON_FIELDS = (
    "coupon_id",
    "code",
    "visitor_id",
    "shop_id",
    "slot",
    "promotion_id",
    "cost",
    "issued_at",
    "expires_at",
    "used_at",
)


def _coupon_json(coupon: CouponRecord, seq: int, transfer_key: str) -> str:
    body = {name: getattr(coupon, name) for name in COUPON_FIELDS}
    return dumps(body | {"title": coupon.title.to_json(), "seq": seq, "transfer_key": transfer_key})


def _coupon(raw: str) -> CouponRecord:
    return _coupon_of(json.loads(raw))


def _coupon_of(held: dict[str, Any]) -> CouponRecord:
    title = held["title"]
    return CouponRecord(
        **{name: held[name] for name in COUPON_FIELDS}, title=Text(title["th"], title["en"])
    )


def _newest_first(raws: Iterable[str | None]) -> list[tuple[CouponRecord, str]]:
    """Coupons newest first (by issue time, then by order of issue), with transfer keys."""
    held = [json.loads(r) for r in raws if r is not None]
    held.sort(key=lambda c: (c["issued_at"], c["seq"]), reverse=True)
    return [(_coupon_of(c), c["transfer_key"]) for c in held]


def _redemption_id(visitor_id: str, key: str) -> str:
    return f"{visitor_id}:{key}"


@dataclass
class _Street:
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

    def require_holder(self, slot: str, shop_id: str) -> None:
        booth = self.booths.get(slot)
        shop = self.shops.get(shop_id)
        if booth is None or booth["shop_id"] != shop_id or not shop or shop["revoked_at"]:
            raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"slot {slot} is not this shop's")

    def record(self, slot: str) -> BoothRecord | None:
        booth = self.booths.get(slot)
        if booth is None:
            return None
        promotions = self.promotions.get(slot, {})
        return _record(slot, booth, self.versions.get(slot, 0), promotions, self.images.get(slot))


def _record(
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


def _empty_booth(shop_id: str | None, now: float, *, hidden: bool = False) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "draft": None,
        "published": None,
        "hidden": hidden,
        "updated_at": now,
    }


@dataclass
class _Changes:
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


class StreetMethods:
    """The booth, owner and coupon half of :class:`~server.store.redis.store.RedisStore`."""

    _client: Any
    _redis: Any
    _scripts: Scripts
    _turns: Turns

    # -- reading and committing the street ---------------------------------------------------

    async def _read_street(
        self,
        *,
        slots: Iterable[str] = (),
        links: bool = False,
        sessions: bool = False,
        fields: Iterable[tuple[str, str | None]] = (),
    ) -> _Street:
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
        reply = iter(await self._scripts.street_read(keys.names, args))

        def table() -> dict[str, Any]:
            flat = next(reply)
            return {flat[i]: json.loads(flat[i + 1]) for i in range(0, len(flat), 2)}

        rev = str(next(reply))
        shops, booths, versions = table(), table(), table()
        promotions, images = {}, {}
        for slot in slots:
            promotions[slot], images[slot] = table(), table()
        return _Street(
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

    async def _commit_street(self, rev: str, changes: _Changes) -> tuple[bool, list[Any]]:
        """Apply ``changes`` if the street is still at ``rev`` (``""``: unconditionally, for
        changes no decision rests on); returns whether it did and the movements' results."""
        keys = KeyList(STREET_KEYS)
        args: list[Any] = [rev, len(changes.ops)]
        for cmd, key, a, b in changes.ops:
            args += [cmd, keys.at(key), keys.at(a) if cmd == "NOTE" else a, b]
        args += item_args(changes.items, keys)
        ok, posted = await self._scripts.street_commit(keys.names, args)
        if ok:
            for image_id in changes.drop_images:
                await self._redis.delete(image_bytes_key(image_id))
        return bool(ok), posted

    async def _change_street(
        self, decide: Callable[[_Street], tuple[_Changes, T]], **reads: Any
    ) -> tuple[T, list[Any]]:
        """Read, decide, commit if the street did not change meanwhile (else again)."""
        async with self._turns(STREET_TURN):
            for attempt in range(STREET_TRIES):
                street = await self._read_street(**reads)
                changes, result = decide(street)
                if not changes:
                    return result, []
                ok, posted = await self._commit_street(street.rev, changes)
                if ok:
                    return result, posted
                await asyncio.sleep(random.uniform(0, 0.001 * (attempt + 1)))
        raise StoreError(f"the street kept changing; gave up after {STREET_TRIES} tries")

    # -- shops and owners ----------------------------------------------------------------------

    @guarded
    async def grant_slot(self, slot: str, shop_id: str, shop_name: str, now: float) -> Owner:
        name = checked_grant(slot, shop_id, shop_name)

        def decide(street: _Street) -> tuple[_Changes, Owner]:
            booth = street.booths.get(slot)
            holder = None if booth is None else booth["shop_id"]
            if holder not in (None, shop_id):
                raise Refused(ErrorCode.SLOT_TAKEN, f"slot {slot} belongs to shop {holder}")
            changes = _Changes()
            shop = street.shops.get(shop_id)
            created = now if shop is None else shop["created_at"]
            changes.hset(SHOPS, shop_id, {"name": name, "created_at": created, "revoked_at": None})
            if booth is None:
                changes.hset(BOOTHS, slot, _empty_booth(shop_id, now))
                changes.hset(BOOTH_VERSIONS, slot, "0")
            elif holder is None:
                changes.hset(BOOTHS, slot, booth | {"shop_id": shop_id, "updated_at": now})
            if holder is None:
                changes.note("admin", "grant", slot, f"{shop_id} {name}", now)
            slots = tuple(sorted({*street.slots_of(shop_id), slot}))
            return changes, Owner(shop_id, name, slots, created, None)

        return (await self._change_street(decide))[0]

    @guarded
    async def issue_sign_in(
        self, shop_id: str, link_hash: str, expires_at: float, now: float
    ) -> None:
        def decide(street: _Street) -> tuple[_Changes, None]:
            shop = street.shops.get(shop_id)
            if shop is None or shop["revoked_at"] is not None:
                raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"no active shop {shop_id!r}")
            changes = _Changes()
            link = {"shop_id": shop_id, "created_at": now, "expires_at": expires_at}
            changes.hset(LINKS, link_hash, link)
            changes.note("admin", "sign_in_link", None, shop_id, now)
            return changes, None

        await self._change_street(decide)

    @guarded
    async def sign_in(
        self, link_hash: str, session_hash: str, expires_at: float, now: float
    ) -> OwnerSession:
        def decide(street: _Street) -> tuple[_Changes, OwnerSession]:
            link = street.links.get(link_hash)
            shop = None if link is None else street.shops.get(link["shop_id"])
            if link is None or link["expires_at"] <= now or not shop or shop["revoked_at"]:
                raise Refused(
                    ErrorCode.SIGN_IN_INVALID, "this sign-in link is unknown, used or expired"
                )
            changes = _Changes()
            changes.hdel(LINKS, link_hash)
            for key, table in ((LINKS, street.links), (SESSIONS, street.sessions)):
                for held_hash, held in table.items():
                    if held["expires_at"] <= now and held_hash != link_hash:
                        changes.hdel(key, held_hash)
            shop_id = link["shop_id"]
            session = {"shop_id": shop_id, "created_at": now, "expires_at": expires_at}
            changes.hset(SESSIONS, session_hash, session)
            changes.note(shop_account(shop_id), "sign_in", None, "", now)
            slots = street.slots_of(shop_id)
            return changes, OwnerSession(shop_id, shop["name"], slots, expires_at)

        return (await self._change_street(decide, links=True, sessions=True))[0]

    @guarded
    async def owner_session(self, session_hash: str, now: float) -> OwnerSession:
        street = await self._read_street(fields=[(SESSIONS, session_hash)])
        raw = street.fields[(SESSIONS, session_hash)]
        session = None if raw is None else json.loads(raw)
        shop = None if session is None else street.shops.get(session["shop_id"])
        if session is None or not shop or shop["revoked_at"] or session["expires_at"] <= now:
            raise Refused(ErrorCode.SESSION_INVALID, "sign in again with a new link")
        shop_id = session["shop_id"]
        return OwnerSession(shop_id, shop["name"], street.slots_of(shop_id), session["expires_at"])

    @guarded
    async def end_session(self, session_hash: str) -> None:
        await self._redis.hdel(SESSIONS, session_hash)

    @guarded
    async def revoke_shop(self, shop_id: str, now: float) -> tuple[str, ...]:
        slots = (await self._read_street()).slots_of(shop_id)

        def decide(street: _Street) -> tuple[_Changes, tuple[str, ...]]:
            shop = street.shops.get(shop_id)
            if shop is None:
                raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"no shop {shop_id!r}")
            if street.slots_of(shop_id) != slots:
                raise _Reread
            changes = _Changes()
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
                changes.hset(BOOTHS, slot, _empty_booth(None, now))
                changes.hincrby(BOOTH_VERSIONS, slot, 1)
            if shop["revoked_at"] is None:
                changes.hset(SHOPS, shop_id, shop | {"revoked_at": now})
                detail = f"{shop_id} {' '.join(slots)}".strip()
                changes.note("admin", "revoke", None, detail, now)
            return changes, slots

        while True:
            try:
                return (await self._change_street(decide, slots=slots, links=True, sessions=True))[
                    0
                ]
            except _Reread:
                slots = (await self._read_street()).slots_of(shop_id)

    @guarded
    async def owners(self) -> tuple[Owner, ...]:
        street = await self._read_street()
        return tuple(street.owner(shop_id) for shop_id in sorted(street.shops))

    @guarded
    async def note_action(
        self, actor: str, action: str, slot: str | None, detail: str, now: float
    ) -> None:
        changes = _Changes()
        changes.note(actor, action, slot, detail, now)
        await self._commit_street("", changes)

    @guarded
    async def owner_actions(self, *, after: int = 0, limit: int = 100) -> tuple[OwnerAction, ...]:
        limit = page(limit)
        first = max(int(after), 0) + 1
        seqs = list(range(first, first + limit))
        actions = []
        for seq, raw in zip(seqs, await self._redis.hmget(ACTIONS, seqs), strict=True):
            if raw is None:
                break
            line = json.loads(raw)
            actions.append(
                OwnerAction(
                    seq, line["at"], line["actor"], line["action"], line["slot"], line["detail"]
                )
            )
        return tuple(actions)

    # -- booths ----------------------------------------------------------------------------------

    @guarded
    async def booth(self, slot: str) -> BoothRecord | None:
        return (await self._read_street(slots=[slot])).record(slot)

    @guarded
    async def booths(self) -> tuple[BoothRecord, ...]:
        slots = sorted((await self._read_street()).booths)
        street = await self._read_street(slots=slots)
        return tuple(b for slot in slots if (b := street.record(slot)) is not None)

    @guarded
    async def booth_versions(self) -> dict[str, int]:
        return {slot: int(v) for slot, v in (await self._redis.hgetall(BOOTH_VERSIONS)).items()}

    @guarded
    async def save_booth_draft(
        self, slot: str, shop_id: str, draft: BoothConfig, now: float
    ) -> BoothRecord:
        def decide(street: _Street) -> tuple[_Changes, BoothRecord]:
            street.require_holder(slot, shop_id)
            missing = sorted(draft.photos() - set(street.images[slot]))
            if missing:
                raise Refused(ErrorCode.BAD_BOOTH, f"photos not uploaded for {slot}: {missing}")
            booth = street.booths[slot] | {"draft": draft.to_json(), "updated_at": now}
            changes = _Changes()
            changes.hset(BOOTHS, slot, booth)
            changes.note(shop_account(shop_id), "save_draft", slot, "", now)
            version = street.versions.get(slot, 0)
            promotions, images = street.promotions[slot], street.images[slot]
            return changes, _record(slot, booth, version, promotions, images)

        return (await self._change_street(decide, slots=[slot]))[0]

    @guarded
    async def publish_booth(self, slot: str, shop_id: str, now: float) -> BoothRecord:
        def decide(street: _Street) -> tuple[_Changes, BoothRecord]:
            street.require_holder(slot, shop_id)
            booth = street.booths[slot]
            if booth["draft"] is None:
                raise Refused(ErrorCode.BAD_BOOTH, "save a draft before publishing")
            config = BoothConfig.from_json(booth["draft"])
            promotions = {pid: p | {"live": False} for pid, p in street.promotions[slot].items()}
            for p in config.promotions:
                issued = promotions[p.id]["issued"] if p.id in promotions else 0
                promotions[p.id] = {
                    "title": p.title.to_json(),
                    "cost": p.cost,
                    "coupons": max(p.coupons, issued),
                    "issued": issued,
                    "valid_from": p.valid_from,
                    "valid_to": p.valid_to,
                    "live": True,
                }
            changes = _Changes()
            for pid, promotion in promotions.items():
                changes.hset(promotions_key(slot), pid, promotion)
            booth = booth | {"published": booth["draft"], "updated_at": now}
            changes.hset(BOOTHS, slot, booth)
            changes.hincrby(BOOTH_VERSIONS, slot, 1)
            changes.note(shop_account(shop_id), "publish", slot, "", now)
            version = street.versions.get(slot, 0) + 1
            return changes, _record(slot, booth, version, promotions, street.images[slot])

        return (await self._change_street(decide, slots=[slot]))[0]

    @guarded
    async def set_booth_hidden(
        self, slot: str, hidden: bool, actor: str, now: float
    ) -> BoothRecord:
        def decide(street: _Street) -> tuple[_Changes, BoothRecord]:
            booth = street.booths.get(slot)
            version = street.versions.get(slot, 0)
            changes = _Changes()
            if booth is None:
                booth, version = _empty_booth(None, now, hidden=hidden), 1
                changes.hset(BOOTHS, slot, booth)
                changes.hset(BOOTH_VERSIONS, slot, "1")
            elif booth["hidden"] != hidden:
                booth, version = booth | {"hidden": hidden, "updated_at": now}, version + 1
                changes.hset(BOOTHS, slot, booth)
                changes.hincrby(BOOTH_VERSIONS, slot, 1)
            if changes:
                changes.note(actor, "hide" if hidden else "show", slot, "", now)
            return changes, _record(
                slot, booth, version, street.promotions[slot], street.images[slot]
            )

        return (await self._change_street(decide, slots=[slot]))[0]

    @guarded
    async def put_image(
        self, slot: str, shop_id: str, image_id: str, content_type: str, data: bytes, now: float
    ) -> None:
        def decide(street: _Street) -> tuple[_Changes, bool]:
            street.require_holder(slot, shop_id)
            changes = _Changes()
            if street.fields[(IMAGE_SLOTS, image_id)] is not None:
                return changes, False
            images = street.images[slot]
            if len(images) >= IMAGES_PER_SLOT:
                used: set[str] = set()
                for body in (street.booths[slot]["draft"], street.booths[slot]["published"]):
                    if body is not None:
                        used |= BoothConfig.from_json(body).photos()
                old = sorted(
                    (row["created_at"], held)
                    for held, row in images.items()
                    if row["created_at"] <= now - IMAGE_PRUNE_AGE_S and held not in used
                )
                need = len(images) - IMAGES_PER_SLOT + 1
                if len(old) < need:
                    raise Refused(
                        ErrorCode.IMAGE_LIMIT,
                        f"{slot} keeps at most {IMAGES_PER_SLOT} photos; save, then try later",
                    )
                for _, held in old[:need]:
                    changes.hdel(images_key(slot), held)
                    changes.hdel(IMAGE_SLOTS, held)
                    changes.drop_images.append(held)
            row = {"content_type": content_type, "created_at": now}
            changes.hset(images_key(slot), image_id, row)
            changes.hset(IMAGE_SLOTS, image_id, slot)
            changes.note(shop_account(shop_id), "upload", slot, image_id, now)
            return changes, True

        added, _ = await self._change_street(decide, slots=[slot], fields=[(IMAGE_SLOTS, image_id)])
        # The registration decided; the bytes follow (the same id is the same bytes, so
        # writing them again repairs a photo whose bytes were cut off after registering).
        await self._redis.set(image_bytes_key(image_id), data, nx=not added)

    @guarded
    async def image(self, image_id: str) -> tuple[str, bytes] | None:
        slot = await self._redis.hget(IMAGE_SLOTS, image_id)
        if slot is None:
            return None
        row = await self._redis.hget(images_key(slot), image_id)
        data = await self._redis.execute_command(
            "GET", image_bytes_key(image_id), **{NEVER_DECODE: True}
        )
        if row is None or data is None:
            return None
        return json.loads(row)["content_type"], bytes(data)

    # -- coupons -------------------------------------------------------------------------------

    @guarded
    async def redeem(self, redemption: Redemption) -> CouponRecord:
        r = redemption
        check_redemption(r)
        rid = _redemption_id(r.visitor_id, r.key)
        async with self._turns(r.visitor_id):
            registered, street = await asyncio.gather(
                self._redis.hexists(visitor_keys(r.visitor_id)[HASH - 1], "secret"),
                self._read_street(slots=[r.slot], fields=[(COUPONS, rid)]),
            )
            held = street.fields[(COUPONS, rid)]
            if held is not None:
                return _same_redemption(_coupon(held), r)
            if not registered:
                raise Refused(ErrorCode.BAD_IDENTITY, "unknown visitor")
            cost, shop_id = _sale(street, r)
            payment = Transfer(
                r.transfer_key,
                visitor_account(r.visitor_id),
                shop_account(shop_id),
                cost,
                f"coupon {r.slot}/{r.promotion_id}",
                r.now,
            )
            leg = f"dr:{payment.key}"
            item_id = f"c:{rid}"
            item = {
                "kind": "C",
                "attempt": uuid.uuid4().hex,
                "redemption": _redemption_json(r),
                "movement": movement(payment, debit_here=False, leg=leg),
            }
            keys = visitor_keys(r.visitor_id)
            status, detail = await self._scripts.debit(
                [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
                [leg, f"cr:{payment.key}", cost, item_id, dumps(item)],
            )
            if status == "short":
                raise Refused(ErrorCode.INSUFFICIENT_TOKENS, f"this coupon costs {cost} tokens")
            if status == "conflict":
                raise Refused(ErrorCode.KEY_CONFLICT, f"key {r.key!r} was used for a transfer")
            if status == "done":
                held = await self._redis.hget(COUPONS, rid)
                if held is None:
                    raise StoreError(f"redemption {rid} was paid but its coupon is missing")
                return _same_redemption(_coupon(held), r)
            if status == "pending" and detail:
                item = json.loads(detail)
                queued = item["redemption"]
                if (queued["slot"], queued["promotion_id"]) != (r.slot, r.promotion_id):
                    raise Refused(ErrorCode.KEY_CONFLICT, f"key {r.key!r} bought another coupon")
            return await self._confirm(r.visitor_id, item_id, item)

    async def _confirm(self, visitor_id: str, item_id: str, item: dict[str, Any]) -> CouponRecord:
        """The street's decision on a paid redemption attempt, once; then give the debit back
        (refused) or mark it done (issued). Also how ``settle`` finishes one cut off."""
        queued = item["redemption"]
        r = Redemption(**(queued | {"codes": tuple(queued["codes"])}))
        rid = _redemption_id(r.visitor_id, r.key)
        attempt = item["attempt"]
        payment = item["movement"]
        cost = payment["amount"]
        decided = refusal_key(rid, attempt)

        def decide(street: _Street) -> tuple[_Changes, tuple[str, Any]]:
            changes = _Changes()
            held = street.fields[(COUPONS, rid)]
            if held is not None:
                return changes, ("issued", _coupon(held))
            refused = street.fields[(decided, None)]
            if refused is not None:
                return changes, ("refused", json.loads(refused))
            try:
                _sale(street, r, paid=cost)
            except Refused as refusal:
                why = refusal.refusal
                reason = {"code": int(why.code), "detail": why.detail, "retry_at": why.retry_at}
                changes.setex(decided, REFUSAL_TTL_S, reason)
                return changes, ("refused", reason)
            code = next((c for c in r.codes if street.fields[(CODES, c)] is None), None)
            if code is None:
                reason = {"code": None, "detail": "every candidate coupon code is taken"}
                changes.setex(decided, REFUSAL_TTL_S, reason)
                return changes, ("refused", reason)
            shop_id = street.booths[r.slot]["shop_id"]
            promotion = street.promotions[r.slot][r.promotion_id]
            seq = int(street.fields[(COUPON_SEQ, None)] or 0) + 1
            title = promotion["title"]
            coupon = CouponRecord(
                coupon_id=r.coupon_id,
                code=code,
                visitor_id=r.visitor_id,
                shop_id=shop_id,
                slot=r.slot,
                promotion_id=r.promotion_id,
                title=Text(title["th"], title["en"]),
                cost=cost,
                issued_at=r.now,
                expires_at=r.expires_at,
            )
            changes.hset(COUPONS, rid, _coupon_json(coupon, seq, r.transfer_key))
            changes.hset(CODES, code, rid)
            changes.set(COUPON_SEQ, seq)
            changes.hset(visitor_coupons_key(r.visitor_id), rid, str(seq))
            changes.hset(booth_coupons_key(r.slot), rid, str(seq))
            sold = promotion | {"issued": promotion["issued"] + 1}
            changes.hset(promotions_key(r.slot), r.promotion_id, sold)
            changes.hincrby(BOOTH_VERSIONS, r.slot, 1)
            changes.items.append(payment)
            return changes, ("issued", coupon)

        reads = [(COUPONS, rid), (decided, None), (COUPON_SEQ, None)]
        reads += [(CODES, c) for c in r.codes]
        (outcome, detail), posted = await self._change_street(decide, slots=[r.slot], fields=reads)
        keys = visitor_keys(visitor_id)
        if outcome == "refused":
            await self._scripts.refund(
                [keys[BAL - 1], keys[LEGS - 1], keys[OUT - 1]],
                [payment["leg"], cost, item_id, dumps(item)],
            )
            if detail["code"] is None:
                raise StoreError(f"{detail['detail']}; offer fresh ones")
            raise Refused(ErrorCode(detail["code"]), detail["detail"], detail.get("retry_at"))
        seq = posted[0][1] if posted else await self._redis.hget(KEYS, payment["key"])
        await self._scripts.ack(
            [keys[LEGS - 1], keys[OUT - 1]], [1, payment["leg"], str(seq), item_id]
        )
        return detail

    @guarded
    async def coupons_of(self, visitor_id: str) -> tuple[CouponRecord, ...]:
        rids = list(await self._redis.hkeys(visitor_coupons_key(visitor_id)))
        raws = await self._redis.hmget(COUPONS, rids) if rids else []
        return tuple(c for c, _ in _newest_first(raws)[:PAGE_MAX])

    @guarded
    async def redemptions(
        self, slot: str, shop_id: str, *, limit: int = 100
    ) -> tuple[CouponRecord, ...]:
        limit = page(limit)
        street = await self._read_street()
        street.require_holder(slot, shop_id)
        rids = list(await self._redis.hkeys(booth_coupons_key(slot)))
        raws = await self._redis.hmget(COUPONS, rids) if rids else []
        mine = [c for c, _ in _newest_first(raws) if c.shop_id == shop_id]
        return tuple(mine[:limit])

    @guarded
    async def verify_coupon(self, code: str, slot: str, shop_id: str, now: float) -> CouponRecord:
        rid = await self._redis.hget(CODES, code) if isinstance(code, str) else None
        reads = [] if rid is None else [(COUPONS, rid)]

        def decide(street: _Street) -> tuple[_Changes, CouponRecord]:
            street.require_holder(slot, shop_id)
            held = None if rid is None else street.fields[(COUPONS, rid)]
            if held is None:
                raise Refused(ErrorCode.COUPON_UNKNOWN, "no coupon has this code")
            coupon = _coupon(held)
            coupon.check_verifiable(slot, shop_id, now)
            changes = _Changes()
            changes.hset(COUPONS, rid, json.loads(held) | {"used_at": now})  # type: ignore[arg-type]
            changes.note(shop_account(shop_id), "verify", slot, f"{code} ok", now)
            return changes, replace(coupon, used_at=now)

        return (await self._change_street(decide, fields=reads))[0]

    # -- audit ---------------------------------------------------------------------------------

    async def _coupon_problems(self, transfers: dict[str, Transfer]) -> list[str]:
        """Each coupon was paid for: its transfer went from its visitor to its shop at its
        cost; and a promotion never counts more coupons issued than exist."""
        problems = []
        coupons = _newest_first((await self._redis.hgetall(COUPONS)).values())
        for coupon, transfer_key in coupons:
            t = transfers.get(transfer_key)
            if (
                t is None
                or t.amount != coupon.cost
                or t.source != visitor_account(coupon.visitor_id)
                or t.target != shop_account(coupon.shop_id)
            ):
                problems.append(f"coupon {coupon.code} has no matching transfer")
        street = await self._read_street()
        street = await self._read_street(slots=sorted(street.booths))
        for slot, promotions in street.promotions.items():
            shop_id = street.booths[slot]["shop_id"]
            for pid, promotion in promotions.items():
                counted = sum(
                    1
                    for c, _ in coupons
                    if (c.slot, c.promotion_id, c.shop_id) == (slot, pid, shop_id)
                )
                if promotion["issued"] != counted:
                    problems.append(
                        f"promotion {slot}/{pid} says {promotion['issued']} issued "
                        f"but {counted} coupons exist"
                    )
        return problems


class _Reread(Exception):
    """The shop's slots changed between two reads: read again."""


def _redemption_json(r: Redemption) -> dict[str, Any]:
    return {
        "key": r.key,
        "visitor_id": r.visitor_id,
        "slot": r.slot,
        "promotion_id": r.promotion_id,
        "expected_cost": r.expected_cost,
        "coupon_id": r.coupon_id,
        "codes": list(r.codes),
        "now": r.now,
        "expires_at": r.expires_at,
    }


def _same_redemption(coupon: CouponRecord, r: Redemption) -> CouponRecord:
    """The first coupon bought under this key, or ``KEY_CONFLICT`` if it bought another."""
    if (coupon.slot, coupon.promotion_id) != (r.slot, r.promotion_id):
        raise Refused(ErrorCode.KEY_CONFLICT, f"key {r.key!r} bought another coupon")
    return coupon


def _sale(street: _Street, r: Redemption, *, paid: int | None = None) -> tuple[int, str]:
    """The booth's rules for selling one coupon now: ``(cost, shop id)`` or ``Refused``.
    ``paid`` is what the visitor's debit took; a different current cost is a change."""
    record = street.record(r.slot)
    if record is None or record.on_street is None or record.shop_id is None:
        raise Refused(ErrorCode.UNKNOWN_BOOTH, f"no booth open at {r.slot}")
    row = street.promotions.get(r.slot, {}).get(r.promotion_id)
    if row is None or not row["live"]:
        raise Refused(ErrorCode.UNKNOWN_PROMOTION, f"{r.slot} has no {r.promotion_id!r}")
    title = row["title"]
    promotion = Promotion(
        r.promotion_id,
        Text(title["th"], title["en"]),
        row["cost"],
        row["coupons"],
        row["valid_from"],
        row["valid_to"],
    )
    window = promotion.window_refusal(r.now)
    if window == "not_started":
        raise Refused(ErrorCode.PROMOTION_NOT_STARTED, "not yet", retry_at=promotion.valid_from)
    if window == "ended":
        raise Refused(ErrorCode.PROMOTION_ENDED, "this promotion is over")
    for seen in (r.expected_cost, paid):
        if seen is not None and seen != promotion.cost:
            raise Refused(ErrorCode.PROMOTION_CHANGED, f"it now costs {promotion.cost} tokens")
    if record.left(promotion) <= 0:
        raise Refused(ErrorCode.SOLD_OUT, "no coupons left")
    return promotion.cost, record.shop_id
