"""The city's operators: who may use the console, and what each role may do.

An operator is added on the command line (``srichan admin add --role …``) and signs in once
with the link it prints, exactly as a shop owner does (srichan_world/world/owners.py: the
same link and session hashing and the same CSRF token derived from the session secret); the
sessions are kept apart (their own table and cookie) and shorter, because an operator can do
more. Every change an operator makes is written to the audit log as ``operator:<id>``.

Roles, least power first: ``analyst`` (the aggregate figures only),
``moderator`` (the report queue, sanctions, the chat word list, hiding booths), ``admin``
(all of that, plus revoking shop owners and reading the audit log).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.booths import clean_text

OPERATOR_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,31}$")
NAME_MAX = 60
SESSION_TTL_S = 12 * 3600
"""An operator signs in again after 12 hours (owners: 30 days)."""


class Role(StrEnum):
    ANALYST = "analyst"
    MODERATOR = "moderator"
    ADMIN = "admin"


class Power(StrEnum):
    """What a console route needs."""

    MODERATE = "moderate"
    """Read the report queue, warn/mute/kick/ban, hide booths, edit the chat word list."""
    AUDIT = "audit"
    """Read the audit log."""
    REVOKE_OWNER = "revoke_owner"
    FIGURES = "figures"
    """Read the aggregate figures (srichan_world/world/figures.py)."""
    DIALOGUE = "dialogue"
    """Write, edit, close and export the city's dialogue questions."""
    EVENTS = "events"
    """Create, change and cancel the street's events (docs/learning.md)."""
    PRIVACY = "privacy"
    """Export or erase one visitor's data, read and run the retention purge (docs/privacy.md)."""


POWERS: dict[Role, frozenset[Power]] = {
    Role.ANALYST: frozenset({Power.FIGURES}),
    Role.MODERATOR: frozenset({Power.MODERATE}),
    Role.ADMIN: frozenset(Power),
}


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    role: Role
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class OperatorSession:
    """A signed-in operator, as each console request sees them."""

    id: str
    name: str
    role: Role
    expires_at: float

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        return f"operator:{self.id}"

    def may(self, power: Power) -> bool:
        return power in POWERS[self.role]

    def require(self, power: Power) -> None:
        if not self.may(power):
            raise Refused(ErrorCode.OPERATOR_ROLE, f"a {self.role} may not {power}")


def checked_operator(operator_id: str, name: str, role: str) -> tuple[str, Role]:
    """The cleaned name and the role, or ``ValueError`` naming what is malformed."""
    if not isinstance(operator_id, str) or not OPERATOR_ID.match(operator_id):
        raise ValueError(f"operator id {operator_id!r}: 3-32 of a-z 0-9 -")
    try:
        parsed = Role(role)
    except ValueError:
        raise ValueError(f"role {role!r}: one of {', '.join(r.value for r in Role)}") from None
    cleaned = clean_text(name)
    if not cleaned or len(cleaned) > NAME_MAX:
        raise ValueError(f"name: 1-{NAME_MAX} characters, no control codes")
    return cleaned, parsed


def require_active(operator_id: str, active: bool) -> None:
    if not active:
        raise Refused(ErrorCode.UNKNOWN_OPERATOR, f"no active operator {operator_id!r}")


def require_link(expires_at: float | None, active: bool, now: float) -> None:
    """A link works once, until it expires, for an operator not revoked."""
    if expires_at is None or expires_at <= now or not active:
        raise Refused(ErrorCode.OPERATOR_LINK_INVALID, "this sign-in link is unknown or used")


def require_session(expires_at: float | None, active: bool, now: float) -> float:
    if expires_at is None or expires_at <= now or not active:
        raise Refused(ErrorCode.OPERATOR_SESSION_INVALID, "sign in again with a new link")
    return expires_at
