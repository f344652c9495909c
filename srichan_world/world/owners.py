"""Shop owners: who may edit which booth slot, and how they sign in from a phone.

An admin gives a slot to a shop and gets a one-time sign-in link for the owner. Opening the
link on the owner's phone exchanges it (once) for a session; the session proves who the owner
is on every later request, and a per-session CSRF token proves a request came from the owner's
own page. The store keeps only hashes of links and sessions; a CSRF token is derived from the
session secret, so it needs no storage at all. Revoking a shop ends all its sessions at once.

The checks below are made by every store inside its atomic step, on what it holds then.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.booths import SLOT_ID, clean_text

SHOP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,31}$")
"""Shop ids: lower-case slugs, also the ledger account ``shop:<id>``."""
SHOP_NAME_MAX = 60
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")
"""Sign-in links and session secrets are at least 192 random bits as base64url."""
LINK_TTL_S = 7 * 86_400
SESSION_TTL_S = 30 * 86_400

_LINK_DOMAIN = b"srichan-world owner link\x00"
_SESSION_DOMAIN = b"srichan-world owner session\x00"
_CSRF_DOMAIN = b"srichan-world owner csrf"


def link_hash(token: str) -> str:
    """The stored form of a sign-in link's token."""
    return hashlib.sha256(_LINK_DOMAIN + token.encode("ascii")).hexdigest()


def session_hash(token: str) -> str:
    """The stored form of a session secret."""
    return hashlib.sha256(_SESSION_DOMAIN + token.encode("ascii")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: a keyed hash of its secret, unguessable without the cookie."""
    return hmac.new(session_token.encode("ascii"), _CSRF_DOMAIN, hashlib.sha256).hexdigest()


def csrf_matches(session_token: str, offered: str) -> bool:
    return hmac.compare_digest(csrf_token(session_token), offered)


def well_formed(token: object) -> bool:
    return isinstance(token, str) and TOKEN.match(token) is not None


@dataclass(frozen=True)
class Owner:
    shop_id: str
    name: str
    slots: tuple[str, ...]
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class OwnerSession:
    """A signed-in owner, as each request sees them."""

    shop_id: str
    name: str
    slots: tuple[str, ...]
    expires_at: float

    def owns(self, slot: str) -> bool:
        return slot in self.slots


@dataclass(frozen=True)
class OwnerAction:
    """One line of the audit log an admin reads: who did what to which slot, when."""

    seq: int
    at: float
    actor: str
    """``shop:<id>`` for an owner, ``admin`` for the admin token or the command line."""
    action: str
    slot: str | None
    detail: str

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "slot": self.slot,
            "detail": self.detail,
        }


def checked_grant(slot: str, shop_id: str, shop_name: str) -> str:
    """The cleaned shop name, or ``ValueError`` for a malformed slot, shop id or name (a
    caller's bug, checked the same way by every store before it writes)."""
    if not isinstance(slot, str) or not SLOT_ID.match(slot):
        raise ValueError(f"slot {slot!r} is not a booth slot id like B01")
    if not isinstance(shop_id, str) or not SHOP_ID.match(shop_id):
        raise ValueError(f"shop id {shop_id!r}: 3-32 of a-z 0-9 -, starting with a letter or digit")
    name = clean_text(shop_name)
    if not name or len(name) > SHOP_NAME_MAX:
        raise ValueError(f"shop name: 1-{SHOP_NAME_MAX} characters, no control codes")
    return name


def grants(slot: str, shop_id: str, holder: str | None) -> bool:
    """Whether giving ``slot`` to the shop changes who holds it (``holder``: its shop now, if
    any): not when the shop holds it already; ``SLOT_TAKEN`` when another shop does."""
    if holder not in (None, shop_id):
        raise Refused(ErrorCode.SLOT_TAKEN, f"slot {slot} belongs to shop {holder}")
    return holder is None


def require_active(shop_id: str, active: bool) -> None:
    """Links are issued to a shop that exists and is not revoked (``NOT_BOOTH_OWNER``)."""
    if not active:
        raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"no active shop {shop_id!r}")


def require_holder(slot: str, shop_id: str, holder: str | None, active: bool) -> None:
    """Only the active shop holding ``slot`` edits its booth or sees its coupons."""
    if holder != shop_id or not active:
        raise Refused(ErrorCode.NOT_BOOTH_OWNER, f"slot {slot} is not this shop's")


def require_link(expires_at: float | None, active: bool, now: float) -> None:
    """A sign-in link works once (``expires_at`` ``None``: unknown or used), until it expires,
    for a shop not revoked; else ``SIGN_IN_INVALID``."""
    if expires_at is None or expires_at <= now or not active:
        raise Refused(ErrorCode.SIGN_IN_INVALID, "this sign-in link is unknown, used or expired")


def require_session(expires_at: float | None, active: bool, now: float) -> float:
    """A session (``expires_at`` ``None``: unknown or ended) lasts until it expires or its shop
    is revoked; else ``SESSION_INVALID``. Returns when it expires."""
    if expires_at is None or expires_at <= now or not active:
        raise Refused(ErrorCode.SESSION_INVALID, "sign in again with a new link")
    return expires_at
