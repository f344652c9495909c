"""The token ledger: double-entry transfers between accounts, and its audit.

Every movement of learning tokens is one :class:`Transfer` from one account to another, so the
sum over all accounts is zero by construction. Tokens come into being by leaving the city's
reward pool, an *issuing* account that is allowed to go negative (its balance is minus the
tokens in circulation); every other account can never go negative. Each transfer carries an
idempotency key: recording the same key twice moves tokens once.

Accounts are strings ``kind:name``: ``pool:city``, ``visitor:<visitor id>``, ``shop:<shop id>``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode

CITY_POOL = "pool:city"
ACCOUNT = re.compile(r"^(pool|visitor|shop):[A-Za-z0-9_.@-]{1,64}$")
ISSUING_KINDS = frozenset({"pool"})
KEY_MAX = 200
REASON_MAX = 200


def visitor_account(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


def shop_account(shop_id: str) -> str:
    return f"shop:{shop_id}"


def kind_of(account: str) -> str:
    return account.split(":", 1)[0]


def is_issuing(account: str) -> bool:
    """Issuing accounts are the source of tokens and the only ones allowed below zero."""
    return kind_of(account) in ISSUING_KINDS


@dataclass(frozen=True)
class Transfer:
    """A request to move ``amount`` tokens; ``key`` makes it idempotent."""

    key: str
    source: str
    target: str
    amount: int
    reason: str
    at: float

    def check(self) -> None:
        """Raise ``ValueError`` for a malformed transfer: the caller's bug, not a refusal."""
        if not isinstance(self.key, str) or not 1 <= len(self.key) <= KEY_MAX:
            raise ValueError(f"key must be 1-{KEY_MAX} characters")
        for name, account in (("source", self.source), ("target", self.target)):
            if not isinstance(account, str) or not ACCOUNT.match(account):
                raise ValueError(f"{name} {account!r} is not kind:name")
        if self.source == self.target:
            raise ValueError("source and target are the same account")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise ValueError("amount must be a positive whole number")
        if not isinstance(self.reason, str) or not 1 <= len(self.reason) <= REASON_MAX:
            raise ValueError(f"reason must be 1-{REASON_MAX} characters")

    def conflict(self) -> Refused:
        """The refusal of a key already recorded for another movement."""
        return Refused(ErrorCode.KEY_CONFLICT, f"key {self.key!r} was used for another transfer")

    def short(self) -> Refused:
        """The refusal of a payer (never an issuing account) holding less than the amount."""
        return Refused(
            ErrorCode.INSUFFICIENT_TOKENS, f"{self.source} holds less than {self.amount}"
        )

    def same_movement(self, other: Transfer) -> bool:
        """A retry repeats the movement; its time may differ."""
        return (self.source, self.target, self.amount, self.reason) == (
            other.source,
            other.target,
            other.amount,
            other.reason,
        )


@dataclass(frozen=True)
class Entry:
    """A recorded transfer; ``seq`` orders the ledger."""

    seq: int
    transfer: Transfer


def allowance(amount: int, earned_today: int, daily_cap: int) -> int:
    """How much of an award may be paid under the daily cap: the award is *clipped*.

    Clipping (rather than refusing) keeps "an award happens once" simple: the quiz or quest
    counts as awarded with whatever the day still allowed, so waiting for tomorrow cannot
    farm the same award again, and the cap truly bounds a day's earnings.
    """
    return max(0, min(amount, daily_cap - earned_today))


@dataclass(frozen=True)
class AccountAudit:
    account: str
    stored: int
    derived: int


@dataclass(frozen=True)
class AuditReport:
    """The ledger recomputed from its entries; ``problems`` is empty when every invariant holds."""

    accounts: tuple[AccountAudit, ...]
    transfers: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def table(self) -> str:
        """Balances by account kind, then every problem: what ``srichan ledger audit`` prints."""
        rows: dict[str, list[int]] = {}
        for a in self.accounts:
            count_and_sum = rows.setdefault(kind_of(a.account), [0, 0])
            count_and_sum[0] += 1
            count_and_sum[1] += a.derived
        lines = [f"{'kind':<10}{'accounts':>10}{'balance':>14}"]
        for kind in sorted(rows):
            lines.append(f"{kind:<10}{rows[kind][0]:>10}{rows[kind][1]:>14}")
        total = sum(a.derived for a in self.accounts)
        lines.append(f"{'total':<10}{len(self.accounts):>10}{total:>14}")
        lines.append(f"transfers: {self.transfers}  problems: {len(self.problems)}")
        lines.extend(f"PROBLEM {p}" for p in self.problems)
        lines.append("OK" if self.ok else "FAILED")
        return "\n".join(lines)


def audit(entries: Iterable[Entry], stored: Mapping[str, int]) -> AuditReport:
    """Recompute every balance from ``entries`` and check them against ``stored`` balances.

    Invariants: each entry is well formed, keys are unique, derived balances equal the stored
    ones, no non-issuing account is negative, and all balances sum to zero.
    """
    derived: Counter[str] = Counter()
    keys: Counter[str] = Counter()
    problems: list[str] = []
    count = 0
    for entry in entries:
        count += 1
        t = entry.transfer
        try:
            t.check()
        except ValueError as exc:
            problems.append(f"entry {entry.seq} ({t.key}): {exc}")
        keys[t.key] += 1
        derived[t.source] -= t.amount
        derived[t.target] += t.amount
    problems.extend(f"key {k!r} recorded {n} times" for k, n in keys.items() if n > 1)
    accounts = []
    for account in sorted(set(derived) | set(stored)):
        row = AccountAudit(account, stored.get(account, 0), derived.get(account, 0))
        accounts.append(row)
        if row.stored != row.derived:
            problems.append(f"{account}: stored balance {row.stored} != derived {row.derived}")
        if row.derived < 0 and not is_issuing(account):
            problems.append(f"{account}: negative balance {row.derived}")
    if sum(stored.values()) != 0:
        problems.append(f"stored balances sum to {sum(stored.values())}, not 0")
    return AuditReport(tuple(accounts), count, tuple(problems))
