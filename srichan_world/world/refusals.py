"""Why a learning request was refused, in the codes of the shared protocol table.

A refused request is not a broken session: the visitor gets a :class:`Refusal` (code, detail,
perhaps when to retry), nothing is recorded or awarded, and the session carries on. Codes come
from :class:`srichan_world.protocol.codes.ErrorCode`; the few the learning rules need that the
table does not list yet are in :class:`PendingCode`, numbered where the table has room (a test
checks that they stay clear of it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from srichan_world.protocol.codes import ErrorCode


class PendingCode(IntEnum):
    """Learning codes still to be added to the shared table (learning range 40–59)."""

    ANSWER_REPLAYED = 48
    """The quiz's open was already answered: a replayed or duplicated answer earns nothing."""
    KEY_CONFLICT = 49
    """A ledger idempotency key was reused for a different movement."""


Code = ErrorCode | PendingCode


@dataclass(frozen=True)
class Refusal:
    """A refused request: why, and when it may succeed (``retry_at``, Unix seconds)."""

    code: Code
    detail: str
    retry_at: float | None = None


class Refused(Exception):
    """Raised where a refusal must unwind a call (the store); carries the :class:`Refusal`."""

    def __init__(self, code: Code, detail: str, retry_at: float | None = None) -> None:
        super().__init__(f"{code.name}: {detail}")
        self.refusal = Refusal(code, detail, retry_at)

    @property
    def code(self) -> Code:
        return self.refusal.code
