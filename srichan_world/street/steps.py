"""What a request asks of the store, as data: the steps a program yields and the I/O applies.

A request that needs the durable store is a *program*: a generator that yields one
:class:`Step` at a time and receives the step's result back (``program.send(result)``), or
the refusal the store raised (``program.throw(Refused(…))``), or :class:`StoreUnavailable`
when the store could not be reached. It never awaits and never touches a socket, so tests
drive it with plain values; ``server/ws/steps.py`` drives it against a real store. Its return
value is the :class:`Outcome`: the replies for the session that asked and what other
sessions of the same visitor are told.

Each step names one atomic store operation in domain words; the store does it whole or not at
all, so a program interrupted between two steps leaves nothing half done (the steps that
change anything are idempotent by their keys, and programs are written so that repeating one
repeats nothing).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from srichan_world.protocol.messages import Message
from srichan_world.world.badges.records import Grant
from srichan_world.world.booths import BoothRecord
from srichan_world.world.coupons import Redemption
from srichan_world.world.events import Attendance
from srichan_world.world.figures import Usage
from srichan_world.world.leaderboard import Board
from srichan_world.world.moderation import ReportRecord
from srichan_world.world.quests import QuestPlan
from srichan_world.world.quizzes import AnswerPlan

T = TypeVar("T")


class StoreUnavailable(Exception):
    """Thrown into a program when the store cannot be reached: retryable, nothing was done."""


@dataclass(frozen=True)
class Step:
    """One atomic store operation; subclasses say which."""


@dataclass(frozen=True)
class RegisterVisitor(Step):
    """Create the visitor, or recognise it by its secret (refused: ``BAD_IDENTITY``). One the
    street creates is a ``newcomer``: its tokens wait for the pending rule
    (:mod:`srichan_world.world.pending`)."""

    visitor_id: str
    secret: str
    now: float
    newcomer: bool = True


@dataclass(frozen=True)
class AuthenticateVisitor(Step):
    """Recognise an existing visitor by its secret (refused: ``BAD_IDENTITY``, for an
    unknown id and a wrong secret alike); creates nothing."""

    visitor_id: str
    secret: str


@dataclass(frozen=True)
class ReadQuestProgress(Step):
    visitor_id: str


@dataclass(frozen=True)
class ReadBalance(Step):
    visitor_id: str


@dataclass(frozen=True)
class ReadStanding(Step):
    """What the pending rule reads of a visitor: a ``Standing``, or ``None`` if unknown."""

    visitor_id: str


@dataclass(frozen=True)
class ReadCoupons(Step):
    visitor_id: str


@dataclass(frozen=True)
class ReadAttempts(Step):
    visitor_id: str
    quiz_key: str


@dataclass(frozen=True)
class RecordAnswer(Step):
    """Apply an answer's plan: the attempt counted, the reward paid once per quiz version,
    clipped to the daily cap (or the attempts the store holds, if not those planned on)."""

    plan: AnswerPlan


@dataclass(frozen=True)
class AdvanceQuests(Step):
    """Apply a quest fact's plan: a completed quest pays its bonus once (or the progress the
    store holds, if not that planned on)."""

    plan: QuestPlan


@dataclass(frozen=True)
class SetNickname(Step):
    visitor_id: str
    name: str


@dataclass(frozen=True)
class ReadLeaderboard(Step):
    board: Board
    now: float
    limit: int


@dataclass(frozen=True)
class Redeem(Step):
    """Buy one coupon atomically for the visitor whose ``secret`` this is (identity, stock,
    cost and balance checked inside), once per key: the coupon, the balance and the booth
    after it."""

    redemption: Redemption
    secret: str


@dataclass(frozen=True)
class ReadSignedIn(Step):
    """Whether this identity is linked to a signed-in account (a ``bool``)."""

    visitor_id: str


@dataclass(frozen=True)
class ShowBooth(Step):
    """Show a booth as the store left it to whoever sees it (its stock changed): no store
    call, the record came back with the step that changed it."""

    booth: BoothRecord


@dataclass(frozen=True)
class IssueBadge(Step):
    """Issue (sign and keep) the badge the grant names, once per visitor and achievement:
    the badge issued, or the one the visitor already held."""

    grant: Grant
    statement: dict[str, Any]
    """The xAPI "earned" statement, kept (once per id) before the badge is issued, so a badge
    issued later (after an outage) still has it."""


@dataclass(frozen=True)
class ReadBadges(Step):
    visitor_id: str


@dataclass(frozen=True)
class FileReport(Step):
    """Keep a visitor's report in the moderators' queue: its number."""

    report: ReportRecord


@dataclass(frozen=True)
class ReadCourseProgress(Step):
    visitor_id: str


@dataclass(frozen=True)
class MarkLessonRead(Step):
    """Mark the lesson read, once, keeping its "experienced" statement: True the first time."""

    visitor_id: str
    course_id: str
    lesson_id: str
    statement: dict[str, Any]
    now: float


@dataclass(frozen=True)
class CompleteCourse(Step):
    """Mark the course completed, once, keeping its "completed" statement: True the first
    time."""

    visitor_id: str
    course_id: str
    statement: dict[str, Any]
    now: float


@dataclass(frozen=True)
class AttendEvent(Step):
    """Seat the visitor at the event (capacity) and pay its bonus, once: an
    :class:`~srichan_world.world.events.Attended`."""

    attendance: Attendance


@dataclass
class Outcome:
    """What a finished request program says."""

    replies: list[Message] = field(default_factory=list)
    """For the session that asked; each gets the request's ``cid`` when it has none."""
    tell: list[tuple[str, Message]] = field(default_factory=list)
    """``(visitor id, message)`` for the visitor's other sessions (their other tabs)."""
    statements: list[dict[str, Any]] = field(default_factory=list)
    """xAPI statements the store kept, for the LRS."""
    tokens: int = 0
    """Tokens paid by this request (answers and quest bonuses), for the metrics."""
    name: str | None = None
    """The visitor's name as stored, for their avatar (one name everywhere)."""
    usage: list[Usage] = field(default_factory=list)
    """Anonymous usage counts for the console's figures (srichan_world/world/figures.py)."""


Program = Generator[Step, Any, T]
"""A pure request: yields steps, receives their results, returns a ``T``."""
