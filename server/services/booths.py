"""The booth side of one server process: owners' edits, coupon checks, the publish hook.

:class:`BoothService` joins the booth rules to the store. Each method is one request and raises
:class:`~srichan_world.errors.Refused` when it is refused (the HTTP and WebSocket layers
turn that into a status or an ``error`` reply); nothing is changed by a refused request.

Whatever changes what visitors see of a booth (a publish, a hide, a coupon taken, a revocation)
goes out through :meth:`BoothService.subscribe`: each subscriber is called at once, without
awaiting, with a :class:`BoothUpdate` carrying the ``booth_state`` message and the interest cell
of the slot, so the WebSocket layer can queue it for every session that sees that cell. Changes
made by another process (``srichan owner revoke``, a second server on Redis) are found by
polling the store's booth versions every couple of seconds.

Rate limits are token buckets per shop (edits, uploads, coupon checks) and per client address
(sign-ins), kept in this process. Visitors redeem through the street
(``srichan_world/street/booths.py``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from server.health import FailureStreak
from server.integrations.images import photo_id, process_photo
from server.store.base import Audit, Booths, Coupons, Owners, StoreError, UsageRecords
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.limits import BOOTH_RATES, Rate
from srichan_world.protocol.messages import BoothState
from srichan_world.scene.geometry import InterestGrid, Point
from srichan_world.scene.manifest import Manifest
from srichan_world.world import figures
from srichan_world.world.booths import BoothRecord, parse_booth, public_view
from srichan_world.world.coupons import (
    CouponRecord,
    normalize_code,
)
from srichan_world.world.figures import Usage, day_of
from srichan_world.world.ledger import shop_account
from srichan_world.world.owners import (
    SESSION_TTL_S,
    Owner,
    OwnerAction,
    OwnerSession,
    link_hash,
    session_hash,
    well_formed,
)
from srichan_world.world.ratelimit import TokenBucket

log = logging.getLogger(__name__)

POLL_S = 2.0
_BUCKETS_MAX = 20_000


@dataclass(frozen=True)
class SlotPlace:
    slot: str
    position: Point
    cell: tuple[int, int]


@dataclass(frozen=True)
class BoothUpdate:
    """A booth changed on the street: send ``message`` to every session that can see ``cell``
    (a session sees the 3 × 3 cells around its own, so: whose cell is a neighbour of it)."""

    slot: str
    position: Point
    cell: tuple[int, int]
    message: BoothState


Subscriber = Callable[[BoothUpdate], None]


class StreetStore(Booths, Coupons, Owners, Audit, UsageRecords, Protocol):
    """The store areas the booth service uses."""


def photo_url(image_id: str) -> str:
    return f"/booth-images/{image_id}"


class BoothService:
    """Create with the compiled manifest; :meth:`start` with the store before first use."""

    def __init__(
        self,
        manifest: Manifest,
        *,
        rates: Mapping[str, Rate] = BOOTH_RATES,
    ) -> None:
        self.grid: InterestGrid = manifest.grid
        self.slots: dict[str, SlotPlace] = {}
        for b in manifest.booth_slots:
            self.slots[b.id] = SlotPlace(b.id, b.position, self.grid.cell_of(b.position))
        self._store: StreetStore | None = None
        self._rates = dict(rates)
        self._states: dict[str, BoothState] = {}
        self._subscribers: list[Subscriber] = []
        self._buckets: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()
        """Least recently used first: a full table forgets one, never all (which would hand
        every limited client a fresh burst at once)."""
        self._near: dict[tuple[int, int], list[str]] = {}
        """Per interest cell, the slots seen from it (filled as cells are visited)."""
        self.people = figures.PeopleToday()
        """The visitors whose coupons were used, once a day per booth (the figures' groups)."""

    def switch(self, manifest: Manifest) -> None:
        """Live reload: the booth slots of the rebuilt street. States stay by slot id; a slot
        the edit removed is forgotten, a new one is read by the next :meth:`refresh`."""
        self.grid = manifest.grid
        self.slots = {
            b.id: SlotPlace(b.id, b.position, self.grid.cell_of(b.position))
            for b in manifest.booth_slots
        }
        self._states = {slot: s for slot, s in self._states.items() if slot in self.slots}
        self._near = {}

    @property
    def store(self) -> StreetStore:
        if self._store is None:
            raise RuntimeError("BoothService.start(store) was not called")
        return self._store

    async def start(self, store: StreetStore) -> None:
        """Attach the store and load every booth's current state (publishing nothing)."""
        self._store = store
        for record in await store.booths():
            if record.slot in self.slots:
                self._states[record.slot] = self._message(record)

    # -- the publish hook -------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with each :class:`BoothUpdate`; returns the unsubscribe."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def state(self, slot: str) -> BoothState | None:
        """The latest ``booth_state`` of a slot (``None``: never configured)."""
        return self._states.get(slot)

    def states_near(self, x: float, z: float) -> list[BoothState]:
        """The booths a visitor standing at ``(x, z)`` can see, in slot order."""
        cell = self.grid.cell_of((x, z))
        slots = self._near.get(cell)
        if slots is None:
            area = set(self.grid.neighbourhood(cell))
            slots = self._near[cell] = [s for s, p in sorted(self.slots.items()) if p.cell in area]
        states = self._states
        return [state for slot in slots if (state := states.get(slot)) is not None]

    async def refresh(self, slot: str | None = None) -> int:
        """Publish every booth whose stored version moved past the one last sent (all slots,
        or one); returns how many were published. Polled for other processes' changes."""
        versions = await self.store.booth_versions()
        published = 0
        for name in [slot] if slot is not None else sorted(versions):
            if name not in self.slots or name not in versions:
                continue
            known = self._states.get(name)
            if known is not None and known.version >= versions[name]:
                continue
            record = await self.store.booth(name)
            if record is not None and self.show(record):
                published += 1
        return published

    async def poll_forever(self, interval: float = POLL_S) -> None:
        streak = FailureStreak(log, "booth poll")
        while True:
            await asyncio.sleep(interval)
            try:
                await self.refresh()
            except Exception:
                streak.failed()
            else:
                streak.succeeded()

    def _message(self, record: BoothRecord) -> BoothState:
        return BoothState(record.slot, record.version, public_view(record, photo_url))

    def show(self, record: BoothRecord) -> bool:
        """Remember and send a newer state of a booth; an older one (a late reply) is ignored."""
        known = self._states.get(record.slot)
        if known is not None and known.version >= record.version:
            return False
        message = self._message(record)
        self._states[record.slot] = message
        place = self.slots[record.slot]
        update = BoothUpdate(record.slot, place.position, place.cell, message)
        for subscriber in list(self._subscribers):
            try:
                subscriber(update)
            except Exception:
                log.exception("booth subscriber failed")
        return True

    # -- rate limits ------------------------------------------------------------------------

    def allow_sign_in(self, client: str, now: float) -> None:
        """Owners' and operators' sign-ins share one limit per client address."""
        self._allow("sign_in", client, now)

    def _allow(self, kind: str, who: str, now: float) -> None:
        key = (kind, who)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _BUCKETS_MAX:
                self._buckets.popitem(last=False)
            rate = self._rates[kind]
            bucket = self._buckets[key] = TokenBucket(rate.rate, rate.burst, now)
        else:
            self._buckets.move_to_end(key)
        if not bucket.take(now):
            raise Refused(ErrorCode.RATE_LIMITED, f"too many {kind} requests; wait a little")

    # -- owners -----------------------------------------------------------------------------

    async def sign_in(self, link_token: str, client: str, now: float) -> tuple[str, OwnerSession]:
        """Exchange a one-time link for ``(session secret, session)``."""
        self._allow("sign_in", client, now)
        if not well_formed(link_token):
            raise Refused(ErrorCode.SIGN_IN_INVALID, "this sign-in link is not well formed")
        secret = secrets.token_urlsafe(32)
        owner = await self.store.sign_in(
            link_hash(link_token), session_hash(secret), now + SESSION_TTL_S, now
        )
        return secret, owner

    async def session(self, secret: str, now: float) -> OwnerSession:
        if not well_formed(secret):
            raise Refused(ErrorCode.SESSION_INVALID, "sign in again with a new link")
        return await self.store.owner_session(session_hash(secret), now)

    async def sign_out(self, secret: str) -> None:
        if well_formed(secret):
            await self.store.end_session(session_hash(secret))

    async def booth_for(self, owner: OwnerSession, slot: str) -> BoothRecord:
        self.check_owner(owner, slot)
        record = await self.store.booth(slot)
        if record is None:
            raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"slot {slot} is not this shop's")
        return record

    async def save_draft(
        self, owner: OwnerSession, slot: str, form: object, now: float
    ) -> BoothRecord:
        """Validate the form (``Invalid`` lists every bad field) and keep it as the draft."""
        self.check_owner(owner, slot)
        self._allow("edit", owner.shop_id, now)
        record = await self.booth_for(owner, slot)
        draft = parse_booth(
            form, new_id=lambda: secrets.token_hex(4), issued=record.issued, photos=record.photos
        )
        return await self.store.save_booth_draft(slot, owner.shop_id, draft, now)

    async def publish(self, owner: OwnerSession, slot: str, now: float) -> BoothRecord:
        """Put the draft on the street; every visitor near the slot gets it at once."""
        self.check_owner(owner, slot)
        self._allow("edit", owner.shop_id, now)
        record = await self.store.publish_booth(slot, owner.shop_id, now)
        self.show(record)
        return record

    async def upload_photo(self, owner: OwnerSession, slot: str, data: bytes, now: float) -> str:
        """Re-encode and keep a product photo (``BadImage`` when refused); returns its id."""
        self.check_owner(owner, slot)
        self._allow("upload", owner.shop_id, now)
        loop = asyncio.get_running_loop()
        photo = await loop.run_in_executor(None, process_photo, data)
        image_id = photo_id(slot, photo)
        await self.store.put_image(
            slot, owner.shop_id, image_id, photo.content_type, photo.data, now
        )
        return image_id

    async def redemptions(self, owner: OwnerSession, slot: str) -> tuple[CouponRecord, ...]:
        self.check_owner(owner, slot)
        return await self.store.redemptions(slot, owner.shop_id)

    async def verify(self, owner: OwnerSession, slot: str, typed: str, now: float) -> CouponRecord:
        """Check a coupon shown at the counter and mark it used; refusals are audited too."""
        self.check_owner(owner, slot)
        self._allow("verify", owner.shop_id, now)
        code = normalize_code(typed)
        try:
            if code is None:
                raise Refused(ErrorCode.COUPON_UNKNOWN, "not a coupon code")
            used = await self.store.verify_coupon(code, slot, owner.shop_id, now)
        except Refused as exc:
            shown = code or "(malformed)"
            detail = f"{shown} {exc.code.name.lower()}"
            await self.store.note_action(shop_account(owner.shop_id), "verify", slot, detail, now)
            raise
        try:  # the console's figures: a failure here costs a count, never the owner's check
            usage = [Usage(figures.COUPON_USED, slot)]
            usage += self.people.count(used.visitor_id, usage, now)
            await self.store.count_usage(day_of(now), usage)
        except StoreError:
            log.warning("a coupon use was not counted for the figures: the store failed")
        return used

    def check_owner(self, owner: OwnerSession, slot: str) -> None:
        if slot not in self.slots or not owner.owns(slot):
            raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"slot {slot} is not this shop's")

    # -- admin ------------------------------------------------------------------------------

    async def set_hidden(
        self, slot: str, hidden: bool, now: float, actor: str = "admin"
    ) -> BoothRecord:
        if slot not in self.slots:
            raise Refused(ErrorCode.UNKNOWN_BOOTH, f"the scene has no booth slot {slot}")
        record = await self.store.set_booth_hidden(slot, hidden, actor, now)
        self.show(record)
        return record

    async def audit_log(self, after: int = 0, limit: int = 100) -> tuple[OwnerAction, ...]:
        return await self.store.owner_actions(after=after, limit=limit)

    async def owners(self) -> tuple[Owner, ...]:
        return await self.store.owners()
