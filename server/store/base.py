"""The store interface, in the words of the domain, one small protocol per area.

Every durable fact of Sri Chan World goes through a store, in these areas:

* :class:`VisitorLedger`: visitors (id, secret, nickname) and the token ledger;
* :class:`LearningRecords`: quiz attempts and awards, quest progress, leaderboards, xAPI;
* :class:`Booths`: the shops' stalls on the street, drafts and photos;
* :class:`Coupons`: what visitors buy with tokens, and the shops' checks at the counter;
* :class:`Owners`: which shop holds which slot, sign-in links and sessions;
* :class:`Audit`: the ledger recomputed, and the owners' action log;
* :class:`BadgeRecords`: Open Badges issued, their signing keys, the revocation list;
* :class:`Operators`: the city's console users, their sign-in links and sessions;
* :class:`Moderation`: visitors' reports, moderators' sanctions, the chat word list;
* :class:`CourseRecords`: lessons read and courses completed;
* :class:`EventRecords`: operators' events and who attends each;
* :class:`DialogueRecords`: the city's dialogue questions, votes, opinions and support.
* :class:`AccountLinks`: which signed-in account (issuer, subject) holds which identity;
* :class:`PersonalData`: one visitor's records out (export), erased, and the retention purge.

Operators, Moderation, AccountLinks and PersonalData live in :mod:`server.store.people`.

:class:`Store` is their union, for the app; a service or command takes the narrowest area
(or union of areas) it uses.

A store applies a plan the rules computed; it does not decide. What an answer, a quest fact or
a redemption changes is a plan object made in ``srichan_world`` (:class:`~srichan_world.world.
quizzes.AnswerPlan`, :class:`~srichan_world.world.quests.QuestPlan`, :class:`~srichan_world.
world.coupons.Redemption`) with its idempotency key. Where the outcome rests on what only the
store knows inside its atomic step, the plan carries the condition and the one function that
checks it: the attempts or progress it was planned on (else nothing is done and the store
answers with what it holds, for the rules to plan again), the day's cap in
:meth:`~srichan_world.world.awards.Award.payout`, the booth's terms and stock in
:meth:`~srichan_world.world.coupons.Redemption.sale`, the payer's funds. Each implementation
applies a plan atomically in its own way (a SQLite transaction, a Redis compare-and-set
script) and once per key.

Refusals raise :class:`~srichan_world.errors.Refused` with an ``ErrorCode``; failures of
the storage itself raise :class:`StoreError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from server.store.people import AccountLinks, Moderation, Operators, PersonalData
from srichan_world.world.awards import Award, Payout
from srichan_world.world.badges.jose import SigningKey
from srichan_world.world.badges.records import IssuedBadge
from srichan_world.world.booths import BoothConfig, BoothRecord
from srichan_world.world.coupons import CouponRecord, Redeemed, Redemption
from srichan_world.world.courses import CourseState
from srichan_world.world.dialogue import Opinion, Part, Question, Tally
from srichan_world.world.events import Attendance, Attended
from srichan_world.world.figures import Usage, UsageTotal
from srichan_world.world.leaderboard import BOARD_MAX, Board, LeaderRow
from srichan_world.world.ledger import AuditReport, Entry, Transfer
from srichan_world.world.owners import Owner, OwnerAction, OwnerSession
from srichan_world.world.pending import Standing
from srichan_world.world.quests import ProgressChanged, QuestPlan, QuestState, QuestUpdate
from srichan_world.world.quizzes import AnswerOutcome, AnswerPlan, AttemptsChanged, AttemptState

PAGE_MAX = 1000


def page(limit: int) -> int:
    """``limit`` as a page size, or ``ValueError`` outside ``1..PAGE_MAX``."""
    if not 1 <= limit <= PAGE_MAX:
        raise ValueError(f"limit must be 1..{PAGE_MAX}")
    return limit


def board_limit(limit: int) -> int:
    """``limit`` as a number of leaderboard rows, or ``ValueError`` outside ``1..BOARD_MAX``."""
    if not 1 <= limit <= BOARD_MAX:
        raise ValueError(f"limit must be 1..{BOARD_MAX}")
    return limit


def statement_cursor(after: str | None) -> int:
    """The position ``after`` names in a store's statement stream (0: from the start), or
    ``ValueError`` for a cursor no store gave out."""
    try:
        return int(after) if after is not None else 0
    except ValueError:
        raise ValueError(f"after {after!r} is not a cursor this store returned") from None


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


class VisitorLedger(Protocol):
    """Visitors and their tokens: who a visitor is, and the double-entry ledger."""

    async def register_visitor(
        self, visitor_id: str, secret: str, now: float, *, newcomer: bool = False
    ) -> Visitor:
        """Create the visitor, or return it when it exists with this secret. A visitor
        created with ``newcomer`` is kept as one (the pending rule applies to it); an
        existing visitor is never changed.

        Raises ``Refused(BAD_IDENTITY)`` for malformed credentials or when the id is taken
        with another secret.
        """
        ...

    async def standing(self, visitor_id: str) -> Standing | None:
        """What the pending rule reads: newcomer or not, registered when, distinct quizzes
        passed; ``None`` for a visitor never registered."""
        ...

    async def authenticate_visitor(self, visitor_id: str, secret: str) -> Visitor:
        """The visitor, or ``Refused(BAD_IDENTITY)`` for an unknown id or a wrong secret."""
        ...

    async def set_nickname(self, visitor_id: str, nickname: str) -> Visitor:
        """Trim and validate (``Refused(BAD_NAME)``), then store the nickname."""
        ...

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


class LearningRecords(Protocol):
    """What visitors learned: quiz attempts and awards, quests, leaderboards, xAPI."""

    async def quiz_attempts(self, visitor_id: str, quiz_key: str) -> AttemptState:
        """The visitor's attempts on one quiz version (a fresh state if none)."""
        ...

    async def record_answer(self, plan: AnswerPlan) -> AnswerOutcome | AttemptsChanged:
        """Apply the plan of a graded answer as :class:`~srichan_world.world.quizzes.AnswerPlan`
        says, atomically: the same answer key again raises ``Refused(ANSWER_REPLAYED)``; on
        attempts other than the plan's, nothing is done and the answer is what is held."""
        ...

    async def advance_quests(self, plan: QuestPlan) -> tuple[QuestUpdate, ...] | ProgressChanged:
        """Apply the plan of a quest fact as :class:`~srichan_world.world.quests.QuestPlan`
        says, atomically: the quests that changed; on progress other than the plan's, nothing is
        done and the answer is what is held."""
        ...

    async def quest_progress(self, visitor_id: str) -> dict[str, QuestState]:
        """Progress by quest key (``id@version``)."""
        ...

    async def leaderboard(self, board: Board, now: float, limit: int = 10) -> tuple[LeaderRow, ...]:
        """Top learners of the week containing ``now`` (Bangkok time) or of all time."""
        ...

    async def statements_since(
        self, since: float, *, after: str | None = None, limit: int = 100
    ) -> StatementPage:
        """xAPI statements stored at or after ``since`` (Unix seconds), in storage order."""
        ...


class Booths(Protocol):
    """The stalls on the street (see srichan_world.world.booths), their drafts and photos."""

    async def booth(self, slot: str) -> BoothRecord | None:
        """The slot's record, ``None`` if the store has never heard of it."""
        ...

    async def booths(self) -> tuple[BoothRecord, ...]:
        """Every slot the store knows, by slot id."""
        ...

    async def booth_versions(self) -> dict[str, int]:
        """Each known slot's version: cheap enough to poll for changes made elsewhere."""
        ...

    async def save_booth_draft(
        self, slot: str, shop_id: str, draft: BoothConfig, now: float
    ) -> BoothRecord:
        """Keep the owner's draft; ``Refused(NOT_BOOTH_OWNER)`` unless the shop holds the
        slot, ``Refused(BAD_BOOTH)`` if it names a photo not uploaded for the slot. Audited."""
        ...

    async def publish_booth(self, slot: str, shop_id: str, now: float) -> BoothRecord:
        """Put the draft on the street and bump the version; promotions keep their issued
        counts (one offering fewer coupons than issued is sold out). ``NOT_BOOTH_OWNER`` as
        above; ``Refused(BAD_BOOTH)`` when there is no draft. Audited."""
        ...

    async def set_booth_hidden(
        self, slot: str, hidden: bool, actor: str, now: float
    ) -> BoothRecord:
        """An admin hides a booth from the street (or shows it again); bumps the version.
        Audited with ``actor``."""
        ...

    async def put_image(
        self, slot: str, shop_id: str, image_id: str, content_type: str, data: bytes, now: float
    ) -> None:
        """Keep a re-encoded photo for the slot (same id again: a no-op), making room as
        :func:`~srichan_world.world.booths.photos_to_drop` says (``Refused(IMAGE_LIMIT)`` when
        it cannot). ``NOT_BOOTH_OWNER`` as above."""
        ...

    async def image(self, image_id: str) -> tuple[str, bytes] | None:
        """``(content type, bytes)`` of a kept photo, or ``None``."""
        ...


class Coupons(Protocol):
    """What visitors buy with tokens, and the shops' checks (see srichan_world.world.coupons)."""

    async def redeem(self, redemption: Redemption, secret: str) -> Redeemed:
        """Apply the redemption plan atomically for the visitor whose ``secret`` this is (else
        ``Refused(BAD_IDENTITY)``): the same ``(visitor, key)`` again returns the first coupon
        (another slot or promotion under that key: ``KEY_CONFLICT``); else the plan's
        conditions (:meth:`~srichan_world.world.coupons.Redemption.sale`) hold on the booth
        and promotion as stored, the cost moves from the visitor to the shop
        (``INSUFFICIENT_TOKENS``), the stock goes down, the booth version goes up and the coupon
        is written with the first candidate code not yet taken. A refusal changes nothing.
        Returns the coupon with the visitor's balance and the booth after it, so nobody needs
        to read them again."""
        ...

    async def coupons_of(self, visitor_id: str) -> tuple[CouponRecord, ...]:
        """The visitor's coupons, newest first."""
        ...

    async def redemptions(
        self, slot: str, shop_id: str, *, limit: int = 100
    ) -> tuple[CouponRecord, ...]:
        """Coupons issued at the shop's slot, newest first (``NOT_BOOTH_OWNER`` as above)."""
        ...

    async def verify_coupon(self, code: str, slot: str, shop_id: str, now: float) -> CouponRecord:
        """Mark a coupon shown at the counter as used, exactly once. Refusals:
        ``NOT_BOOTH_OWNER``, ``COUPON_UNKNOWN``, ``COUPON_OTHER_SHOP`` (another slot's or
        shop's), ``COUPON_USED``, ``COUPON_EXPIRED``. Audited."""
        ...


class Owners(Protocol):
    """Which shop holds which slot, and how its owner signs in (srichan_world.world.owners)."""

    async def grant_slot(self, slot: str, shop_id: str, shop_name: str, now: float) -> Owner:
        """Give ``slot`` to the shop, creating it (or bringing a revoked shop back).

        Granting a slot the shop already holds is a no-op; a slot held by another shop raises
        ``Refused(SLOT_TAKEN)``; a malformed id or name raises ``ValueError``. Audited.
        """
        ...

    async def issue_sign_in(
        self, shop_id: str, link_hash: str, expires_at: float, now: float
    ) -> None:
        """Keep a one-time sign-in link (its hash) for an active shop, else
        ``Refused(NOT_BOOTH_OWNER)``."""
        ...

    async def sign_in(
        self, link_hash: str, session_hash: str, expires_at: float, now: float
    ) -> OwnerSession:
        """Atomically use the link (once) and open a session; an unknown, used or expired link
        or a revoked shop raises ``Refused(SIGN_IN_INVALID)``. Audited."""
        ...

    async def owner_session(self, session_hash: str, now: float) -> OwnerSession:
        """The signed-in owner with their current slots, or ``Refused(SESSION_INVALID)``."""
        ...

    async def end_session(self, session_hash: str) -> None:
        """Sign out; ending an unknown session is a no-op."""
        ...

    async def revoke_shop(self, shop_id: str, now: float) -> tuple[str, ...]:
        """End every session and link of the shop and take back its slots, clearing their
        booths (the street shows them empty). Returns the slots taken back; an unknown shop
        raises ``Refused(NOT_BOOTH_OWNER)``. The shop's ledger account stays. Audited."""
        ...

    async def owners(self) -> tuple[Owner, ...]:
        """Every shop ever granted a slot, revoked ones included."""
        ...


class Audit(Protocol):
    """What an auditor reads: the ledger recomputed from its entries, the owners' log."""

    async def audit(self) -> AuditReport:
        """Recompute every balance from the entries and check the ledger's invariants."""
        ...

    async def note_action(
        self, actor: str, action: str, slot: str | None, detail: str, now: float
    ) -> None:
        """Add a line to the owner audit log (for actions that change nothing, e.g. a refused
        coupon check)."""
        ...

    async def owner_actions(self, *, after: int = 0, limit: int = 100) -> tuple[OwnerAction, ...]:
        """Audit log lines with ``seq > after``, oldest first."""
        ...


class BadgeRecords(Protocol):
    """Open Badges the city issued, its signing keys and the revocation list's bits."""

    async def signing_keys(self) -> tuple[SigningKey, ...]:
        """Every signing key ever used, oldest first; the last one signs."""
        ...

    async def add_signing_key(self, key: SigningKey) -> tuple[SigningKey, ...]:
        """Append ``key`` (a key already kept is not added twice); every key after it."""
        ...

    async def next_status_index(self) -> int:
        """A revocation-list index never handed out before (from 0 up)."""
        ...

    async def issue_badge(self, badge: IssuedBadge) -> IssuedBadge:
        """Keep ``badge`` unless the visitor already holds one for that achievement: then
        the one held (a visitor never gets two badges for one achievement)."""
        ...

    async def badges_of(self, visitor_id: str) -> tuple[IssuedBadge, ...]:
        """The visitor's badges, newest first."""
        ...

    async def badge(self, credential_id: str) -> IssuedBadge | None: ...

    async def revoke_badge(self, credential_id: str, now: float) -> IssuedBadge:
        """Mark it revoked (once: revoking again keeps the first time); refused
        ``UNKNOWN_BADGE`` for an id never issued."""
        ...

    async def revoked_indexes(self) -> tuple[int, ...]:
        """The revocation-list indexes of every revoked badge."""
        ...

    async def keep_statement(self, statement: dict[str, Any], now: float) -> None:
        """Keep an xAPI statement about a badge, once per statement id (served by
        ``statements_since`` with the others)."""
        ...


class CourseRecords(Protocol):
    """What each visitor did in the scene's courses: lessons read, courses completed."""

    async def course_progress(self, visitor_id: str) -> dict[str, CourseState]:
        """The visitor's standing by course id (courses never touched are absent)."""
        ...

    async def read_lesson(
        self,
        visitor_id: str,
        course_id: str,
        lesson_id: str,
        statement: dict[str, Any],
        now: float,
    ) -> bool:
        """Mark the lesson read and keep its xAPI statement (once per statement id): True the
        first time, False when it was read before (nothing changes)."""
        ...

    async def complete_course(
        self, visitor_id: str, course_id: str, statement: dict[str, Any], now: float
    ) -> bool:
        """Mark the course completed at ``now`` and keep its statement: True the first time,
        False when it was completed before (the first time stays)."""
        ...


class EventRecords(Protocol):
    """The operators' events (in their public form, see srichan_world.world.events) and who
    attends each event."""

    async def put_event(self, event: dict[str, Any], now: float) -> int:
        """Keep an operator's event under ``event["id"]``, replacing the one kept before;
        returns the calendar's version after it (it grows with every change)."""
        ...

    async def stored_events(self) -> tuple[tuple[dict[str, Any], ...], int]:
        """Every kept event (by id) and the calendar's version (0 before any change)."""
        ...

    async def attend_event(self, attendance: Attendance) -> Attended:
        """Apply the plan atomically and once per ``(event, visitor)``: a seat unless
        :meth:`~srichan_world.world.events.Attendance.seat` refuses (``EVENT_FULL``), the award
        paid once and clipped to the day's cap, the statement kept. A visitor already seated
        gets ``new`` False (the award is still paid, should an earlier call have stopped short
        of it). Returns the attendees and the visitor's balance after it."""
        ...

    async def attendees(self, event_id: str) -> int: ...


class UsageRecords(Protocol):
    """Anonymous per-day usage counters for the console's figures (no visitor ids)."""

    async def count_usage(self, day: str, usage: Sequence[Usage]) -> None:
        """Add each usage to ``day``'s counter for its (kind, subject, detail): one more,
        and its value to the total."""
        ...

    async def usage_totals(self, first: str, last: str) -> tuple[UsageTotal, ...]:
        """The counters from day ``first`` to day ``last`` (``YYYY-MM-DD``, both included),
        summed per (kind, subject, detail) and in that order."""
        ...

    async def usage_by_day(
        self, first: str, last: str, kinds: Sequence[str]
    ) -> tuple[tuple[str, UsageTotal], ...]:
        """The counters of ``kinds`` from day ``first`` to day ``last``, each with its day,
        in the order (day, kind, subject, detail)."""
        ...

    async def outstanding_tokens(self) -> int:
        """Tokens visitors hold now, all together: minus the balances of every account that is
        not a visitor's (the pool's is minus the tokens in circulation, the shops' are what
        they took in). Reads the few non-visitor accounts only, never every visitor."""


class DialogueRecords(Protocol):
    """The dialogue space (srichan_world.world.dialogue): the rules decided; this keeps."""

    async def put_question(self, question: Question) -> None:
        """Create the question, or replace the one with its id."""
        ...

    async def questions(self) -> tuple[Question, ...]:
        """Every question kept, by id."""
        ...

    async def dialogue_tally(self, question_id: str) -> Tally:
        """Votes per option and every opinion with its support count."""
        ...

    async def dialogue_part(self, question_id: str, visitor_id: str) -> Part:
        """What the visitor did in the question."""
        ...

    async def cast_vote(
        self, question_id: str, visitor_id: str, option: int, statement: dict[str, Any], now: float
    ) -> bool:
        """Keep the visitor's one vote (a later vote replaces it): True the first time, when
        the statement is kept too (once per statement id). However many arrive at once, the
        visitor holds one vote."""
        ...

    async def post_opinion(self, opinion: Opinion, statement: dict[str, Any]) -> Opinion | None:
        """Keep the visitor's one opinion under the next number of its question (its
        ``number`` is ignored) with its statement: the opinion kept, or ``None`` when the
        visitor already has one (nothing changes)."""
        ...

    async def support_opinion(self, question_id: str, number: int, visitor_id: str) -> bool:
        """Count the visitor's support once: True the first time."""
        ...

    async def hide_opinion(self, question_id: str, number: int, hidden: bool) -> Opinion:
        """A moderator hides (or shows again) an opinion; ``Refused(UNKNOWN_OPINION)``."""
        ...

    async def pay_award(self, award: Award) -> Payout:
        """Pay an award once per visitor and key, clipped to the day's cap (the learning
        awards' rule); paying the same key again pays nothing."""
        ...


class Store(
    VisitorLedger,
    LearningRecords,
    Booths,
    Coupons,
    Owners,
    Audit,
    BadgeRecords,
    Operators,
    Moderation,
    CourseRecords,
    EventRecords,
    UsageRecords,
    DialogueRecords,
    AccountLinks,
    PersonalData,
    Protocol,
):
    """Every area at once: what the app opens. All methods are safe to call concurrently."""

    async def close(self) -> None:
        """Finish pending work and release the storage; later calls raise ``StoreError``."""
        ...
