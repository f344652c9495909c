"""Data protection (Thailand's PDPA): one visitor's data out, one visitor's data gone, and how
long raw records are kept.

A visitor's records are spread over the store's areas (identity, ledger, learning, coupons,
badges, courses, events, the dialogue, moderation, xAPI statements). Each area is a *family*
(:data:`FAMILIES`): the export reads every family, the erasure erases every family, in this
order, and a new area (an account link, say) is one more family in each store's list.

**Erasure keeps the ledger auditable.** Ledger entries are never deleted (a double-entry
ledger whose rows vanish no longer sums up): the visitor's remaining balance goes back to the
city's pool by one closing entry (key ``erase:<tombstone>``), then every entry that names the
visitor (as payer, payee or inside its idempotency key) is rewritten to name a *tombstone*
instead: ``erased-`` and 16 random hex digits, made afresh for each erasure, so nothing links
it to the old id (it is not a hash of the id: whoever holds the old id cannot find the rows).
Sums, keys' uniqueness and every balance stay as they were, so ``srichan ledger audit``
passes. Coupons stay too (a shop's records, and each promotion's issued count must match its
coupons), renamed to the tombstone; those not yet used are *voided* (they expire now).
Badges are revoked (the public revocation list must keep saying so) and lose their signed
credential. Moderation reports and sanctions keep what happened, with the tombstone for the
visitor and no name. Everything else personal is deleted. The operators' audit log is not
rewritten: it is the record of who did what, and says only the visitor id a sanction named.

Nothing here reads a clock or draws random numbers: the caller passes ``now`` and the
tombstone's random part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from srichan_world.world.ledger import Transfer, visitor_account
from srichan_world.world.signin.links import AccountLink

TOMBSTONE = re.compile(r"^erased-[0-9a-f]{16}$")
FAMILIES = (
    "identity",
    "ledger",
    "learning",
    "coupons",
    "badges",
    "courses",
    "events",
    "dialogue",
    "moderation",
    "statements",
    "account",
)
"""Every family of a visitor's records, in the order they are exported and erased."""
EXPORT_FORMAT = "srichan-visitor-export/1"
ERASED_NAME = "(ลบแล้ว · erased)"
"""What a report or a chat line shows instead of an erased visitor's name."""
ERASED_NOTICE_TH = "ข้อมูลของคุณบนถนนศรีจันทร์ถูกลบตามคำขอแล้ว การเชื่อมต่อนี้จึงสิ้นสุด"
ERASED_NOTICE_EN = "Your data on Sri Chan Road was deleted as requested, so this visit ends"
DAY_S = 86_400.0


def tombstone(random_hex: str) -> str:
    """The pseudonym an erased visitor's ledger rows and coupons carry from now on;
    ``random_hex``: 16 lowercase hex digits the caller drew (``secrets.token_hex(8)``)."""
    name = f"erased-{random_hex}"
    if not TOMBSTONE.match(name):
        raise ValueError("random_hex must be 16 lowercase hex digits")
    return name


def closing_transfer(visitor_id: str, tomb: str, balance: int, now: float) -> Transfer | None:
    """The entry that gives an erased visitor's balance back to the pool (``None`` at 0)."""
    if balance <= 0:
        return None
    return Transfer(
        f"erase:{tomb}", visitor_account(visitor_id), "pool:city", balance, "erased", now
    )


def rename_key(key: str, visitor_id: str, tomb: str) -> str:
    """A transfer or coupon key with the visitor id replaced wherever it stands in it
    (``award:<id>:quiz…`` → ``award:<tombstone>:quiz…``). Ids are 8 or more characters and
    each tombstone is new, so the renamed keys stay unique."""
    return key.replace(visitor_id, tomb)


def rename_transfer(t: Transfer, visitor_id: str, tomb: str) -> Transfer:
    """``t`` naming the tombstone wherever it named the visitor."""
    old, new = visitor_account(visitor_id), visitor_account(tomb)
    return replace(
        t,
        key=rename_key(t.key, visitor_id, tomb),
        source=new if t.source == old else t.source,
        target=new if t.target == old else t.target,
    )


def names_visitor(t: Transfer, visitor_id: str) -> bool:
    account = visitor_account(visitor_id)
    return account in (t.source, t.target) or visitor_id in t.key


def report_concerns(stored: dict[str, Any], visitor_id: str) -> bool:
    """Whether a stored report (``ReportRecord.stored()``) was filed by or names the visitor,
    or quotes them in its chat context."""
    return (
        stored.get("reporter") == visitor_id
        or stored.get("visitor_id") == visitor_id
        or any(line.get("visitor_id") == visitor_id for line in stored.get("context") or ())
    )


def scrub_report(stored: dict[str, Any], visitor_id: str, tomb: str) -> dict[str, Any]:
    """The report with the visitor replaced by the tombstone and their name, words and note
    removed where they are theirs; what others said and what happened stay."""
    out = dict(stored)
    if out.get("reporter") == visitor_id:
        out["reporter"] = tomb
        out["note"] = None
    if out.get("visitor_id") == visitor_id:
        out["visitor_id"] = tomb
        out["name"] = ERASED_NAME
    out["context"] = [
        line | {"visitor_id": tomb, "name": ERASED_NAME, "text": ""}
        if line.get("visitor_id") == visitor_id
        else line
        for line in stored.get("context") or ()
    ]
    return out


@dataclass(frozen=True)
class Retention:
    """How long raw per-visitor records are kept (days); aggregates (the figures' daily
    counters) are kept regardless. ``0`` keeps a kind for ever."""

    statements_days: int = 365
    """xAPI statements: the raw learning events (an LRS forwarder has long had them)."""
    reports_days: int = 180
    """Closed moderation reports, with the chat lines quoted as their context."""

    def problems(self) -> list[str]:
        out = []
        for name in ("statements_days", "reports_days"):
            value = getattr(self, name)
            if not (value == 0 or 7 <= value <= 3650):
                out.append(f"retention {name}: {value} must be 0 (keep) or 7..3650 days")
        return out

    def cutoffs(self, now: float) -> tuple[float | None, float | None]:
        """Unix seconds before which statements and closed reports go (``None``: kept)."""
        return (
            None if not self.statements_days else now - self.statements_days * DAY_S,
            None if not self.reports_days else now - self.reports_days * DAY_S,
        )

    def to_json(self) -> dict[str, int]:
        return {"statements_days": self.statements_days, "reports_days": self.reports_days}


def link_export(link: AccountLink) -> dict[str, Any]:
    """A sign-in link as the visitor gets it back: which account, never the sealed secret
    (a credential, not data about them)."""
    return {
        "provider": link.provider,
        "issuer": link.issuer,
        "subject": link.subject,
        "linked_at": link.linked_at,
    }


def empty_export(visitor_id: str, now: float) -> dict[str, Any]:
    """The skeleton of an export: every family present, empty."""
    return {
        "format": EXPORT_FORMAT,
        "visitor_id": visitor_id,
        "exported_at": now,
        "found": False,
        **{family: {} for family in FAMILIES},
    }


def summary(document: dict[str, Any]) -> dict[str, int]:
    """How many records each family of an export holds (the identity: 1 or 0)."""
    out = {}
    for family in FAMILIES:
        value = document.get(family)
        if family == "identity":
            out[family] = int(bool(value))
        elif isinstance(value, list):
            out[family] = len(value)
        elif isinstance(value, dict):
            out[family] = sum(len(v) for v in value.values() if isinstance(v, list | dict))
        else:
            out[family] = 0
    return out


def holds_anything(document: dict[str, Any]) -> bool:
    """Whether an export found anything at all about the visitor."""
    return any(_non_empty(document.get(family)) for family in FAMILIES)


def _non_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_non_empty(v) for v in value.values())
    if isinstance(value, list | tuple):
        return bool(value)
    return value not in (None, 0, "", False)
