"""What the store keeps of a badge, and what the rules ask it to issue."""

from __future__ import annotations

from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.badges.status import LIST_BITS


@dataclass(frozen=True)
class Grant:
    """Issue the badge for ``achievement_id`` to the visitor, once: asked by the rules when a
    quest (later a course, an event) is completed."""

    visitor_id: str
    achievement_id: str
    kind: str
    now: float


@dataclass(frozen=True)
class IssuedBadge:
    credential_id: str
    """32 hex digits of the credential's ``urn:uuid`` id; also the key to download it."""
    visitor_id: str
    achievement_id: str
    kind: str
    issued_at: float
    status_index: int
    token: str
    """The compact JWS, as issued."""
    revoked_at: float | None = None


def checked_index(index: int) -> int:
    """A fresh status index, refused when the revocation list is full."""
    if not 0 <= index < LIST_BITS:
        raise Refused(ErrorCode.STATUS_LIST_FULL, "the revocation list is full; add a list")
    return index
