"""The store interface, in the words of the domain.

Every durable fact of Sri Chan World goes through one :class:`Store`: visitors, quiz attempts
and awards, quest progress, the token ledger, leaderboards and xAPI statements. Operations that
must not be split (an award is "not yet awarded? within the cap? pay, mark, record" at once) are
single methods, so each implementation makes them atomic in its own way (a SQLite transaction,
a Redis transaction) and the rules stay in ``srichan_world``: implementations call the same pure
functions (``AttemptPolicy``, ``quests.advance``, ``ledger.allowance``) inside their atomic step.

Refusals raise :class:`~srichan_world.world.refusals.Refused` with an ``ErrorCode``; failures of
the storage itself raise :class:`StoreError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from srichan_world.world.leaderboard import Board, LeaderRow
from srichan_world.world.ledger import AuditReport, Entry, Transfer
from srichan_world.world.quests import QuestEntry, QuestFact, QuestState, QuestUpdate
from srichan_world.world.quizzes import Answer, AnswerOutcome, AttemptState

PAGE_MAX = 1000


class StoreError(Exception):
    """The storage failed or cannot be used (closed, unreadable, schema from a newer program)."""


@dataclass(frozen=True)
class Visitor:
    id: str
    nickname: str | None
    created_at: float


@dataclass(frozen=True)
class StatementPage:
    statements: tuple[dict[str, Any], ...]
    next: str | None
    """Pass as ``after`` for the following page; ``None`` when there is nothing more yet."""


class Store(Protocol):
    """What the world needs from durable storage. All methods are safe to call concurrently."""

    async def close(self) -> None:
        """Finish pending work and release the storage; later calls raise ``StoreError``."""
        ...

    # Visitors
    async def register_visitor(self, visitor_id: str, secret: str, now: float) -> Visitor:
        """Create the visitor, or return it when it exists with this secret.

        Raises ``Refused(BAD_IDENTITY)`` for malformed credentials or when the id is taken
        with another secret.
        """
        ...

    async def authenticate_visitor(self, visitor_id: str, secret: str) -> Visitor:
        """The visitor, or ``Refused(BAD_IDENTITY)`` for an unknown id or a wrong secret."""
        ...

    async def set_nickname(self, visitor_id: str, nickname: str) -> Visitor:
        """Trim and validate (``Refused(BAD_NAME)``), then store the nickname."""
        ...

    # Quizzes
    async def quiz_attempts(self, visitor_id: str, quiz_key: str) -> AttemptState:
        """The visitor's attempts on one quiz version (a fresh state if none)."""
        ...

    async def record_answer(self, answer: Answer, daily_cap: int) -> AnswerOutcome:
        """Atomically: refuse a known answer key (``ANSWER_REPLAYED``) or a quiz in cooldown
        (``COOLDOWN``); count the attempt; on the first correct answer to this quiz
        version pay the reward clipped to the daily cap from the city pool; keep the xAPI
        statement. Raises ``Refused(BAD_IDENTITY)`` for an unregistered visitor."""
        ...

    # Quests
    async def advance_quests(
        self,
        visitor_id: str,
        fact: QuestFact,
        quests: Sequence[QuestEntry],
        now: float,
        daily_cap: int,
    ) -> tuple[QuestUpdate, ...]:
        """Atomically apply ``fact`` to each quest; a quest completed by it pays its bonus (once
        per quest version, clipped to the daily cap) and records a "completed" statement.
        Returns the quests that changed."""
        ...

    async def quest_progress(self, visitor_id: str) -> dict[str, QuestState]:
        """Progress by quest key (``id@version``)."""
        ...

    # Ledger
    async def transfer(self, transfer: Transfer) -> Entry:
        """Move tokens once per key. The same key again returns the first entry; the same key
        for another movement raises ``Refused(KEY_CONFLICT)``; a payer short of funds
        raises ``Refused(INSUFFICIENT_TOKENS)``; a malformed transfer raises ``ValueError``."""
        ...

    async def balance(self, account: str) -> int: ...

    async def entries(
        self, account: str | None = None, *, after: int = 0, limit: int = 100
    ) -> tuple[Entry, ...]:
        """Ledger entries with ``seq > after`` (touching ``account`` if given), oldest first."""
        ...

    async def audit(self) -> AuditReport:
        """Recompute every balance from the entries and check the ledger's invariants."""
        ...

    # Leaderboards and learning records
    async def leaderboard(self, board: Board, now: float, limit: int = 10) -> tuple[LeaderRow, ...]:
        """Top learners of the week containing ``now`` (Bangkok time) or of all time."""
        ...

    async def statements_since(
        self, since: float, *, after: str | None = None, limit: int = 100
    ) -> StatementPage:
        """xAPI statements stored at or after ``since`` (Unix seconds), in storage order."""
        ...
