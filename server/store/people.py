"""The store's areas about people rather than the street: the city's operators and their
sessions, moderation of visitors, a visitor's linked sign-in account, and everything the store
holds about one visitor (its export and erasure, Thailand's PDPA). :class:`~server.store.base.
Store` is the union of these and the street's areas."""

from __future__ import annotations

from typing import Any, Protocol

from srichan_world.world.moderation import ReportRecord, Sanction
from srichan_world.world.operators import Operator, OperatorSession
from srichan_world.world.signin.links import AccountLink


class Operators(Protocol):
    """The city's console users (srichan_world.world.operators): accounts, links, sessions.
    Each change is written to the audit log (``owner_actions``) in the same atomic step."""

    async def add_operator(self, operator_id: str, name: str, role: str, now: float) -> Operator:
        """Create the operator, or give an existing (even revoked) one this name and role and
        bring it back; ``ValueError`` for a malformed id, name or role. Audited."""
        ...

    async def issue_operator_link(
        self, operator_id: str, link_hash: str, expires_at: float, now: float
    ) -> None:
        """Keep a one-time sign-in link for an active operator, else
        ``Refused(UNKNOWN_OPERATOR)``. Audited."""
        ...

    async def operator_sign_in(
        self, link_hash: str, session_hash: str, expires_at: float, now: float
    ) -> OperatorSession:
        """Use the link once and open a session; ``Refused(OPERATOR_LINK_INVALID)`` for an
        unknown, used or expired link or a revoked operator (two at once: one wins). Audited."""
        ...

    async def operator_session(self, session_hash: str, now: float) -> OperatorSession:
        """The signed-in operator with their role now, or ``Refused(OPERATOR_SESSION_INVALID)``."""
        ...

    async def end_operator_session(self, session_hash: str) -> None: ...

    async def revoke_operator(self, operator_id: str, now: float) -> None:
        """End every session and link of the operator at once (``UNKNOWN_OPERATOR`` if none
        such). Audited."""
        ...

    async def operators(self) -> tuple[Operator, ...]:
        """Every operator ever added, revoked ones included, by id."""
        ...


class Moderation(Protocol):
    """Reports, sanctions and the chat word list (srichan_world.world.moderation)."""

    async def file_report(self, report: ReportRecord) -> int:
        """Keep a visitor's report as ``open``; returns its number (1, 2, … in filing order)."""
        ...

    async def reports(
        self, *, status: str | None = "open", after: int = 0, limit: int = 100
    ) -> tuple[ReportRecord, ...]:
        """Reports with ``seq > after`` (of ``status``, or all for ``None``), oldest first."""
        ...

    async def close_report(self, seq: int, actor: str, note_text: str, now: float) -> ReportRecord:
        """Mark a report dealt with (again: a no-op); ``Refused(UNKNOWN_REPORT)``. Audited."""
        ...

    async def add_sanction(self, sanction: Sanction) -> None:
        """Keep a moderator's action (and write it to the audit log, atomically)."""
        ...

    async def sanctions(self) -> tuple[Sanction, ...]:
        """Every sanction kept, in the order given: replayed, they give what holds now."""
        ...

    async def chat_words(self) -> tuple[str, ...]:
        """The chat word list (empty until the city sets one)."""
        ...

    async def set_chat_words(self, words: tuple[str, ...], actor: str, now: float) -> None:
        """Replace the list (already cleaned by the rules). Audited."""
        ...


class AccountLinks(Protocol):
    """One account ↔ one identity (srichan_world/world/signin/links.py decides what a sign-in
    does; the store only keeps the pairs, both ways unique)."""

    async def account_link(self, visitor_id: str) -> AccountLink | None:
        """The link of this identity, if it has one."""
        ...

    async def account_link_of(self, issuer: str, subject: str) -> AccountLink | None:
        """The link of this account, if it has one."""
        ...

    async def link_account(self, link: AccountLink) -> AccountLink:
        """Keep ``link`` unless its account is linked already: then answer that link (the
        first sign-in wins a race). ``SIGN_IN_IDENTITY_LINKED`` if the identity has a link to
        another account. The caller has checked the identity's secret."""
        ...

    async def unlink_account(self, visitor_id: str) -> bool:
        """Forget this identity's link (a deleted visitor's, say); whether there was one."""


class PersonalData(Protocol):
    """One visitor's records for the PDPA (srichan_world/world/privacy.py): the families no
    other method reads, an erasure, and the purge of raw records past their retention."""

    async def personal_records(self, visitor_id: str) -> dict[str, Any]:
        """``identity`` (id, nickname, created_at, newcomer: never the secret hash), ``learning``
        (quiz attempts, answers, awards, earnings), ``events`` (attended), ``statements``."""
        ...

    async def erase_visitor(self, visitor_id: str, tomb: str, now: float) -> dict[str, int]:
        """Erase the visitor as the privacy module says, family by family; how many records
        each family changed. Again, or for an unknown id: all zero, nothing harmed."""
        ...

    async def purge_raw(
        self, statements_before: float | None, reports_before: float | None
    ) -> dict[str, int]:
        """Delete statements stored before, and closed reports filed before, the cutoffs."""
        ...
