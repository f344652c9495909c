"""Learning on the street, decided here and stored by the I/O: quizzes, quests, the wallet.

:class:`LearningDesk` holds what one server process knows of its sessions' learning (who
entered as which visitor, open quiz questions, landmark visits) and answers each request with
a *program* (see :mod:`srichan_world.street.steps`): the rules run here, between the store
steps the program yields. A session must enter (its hello's visitor id and secret, checked by
the store) before anything else; a visitor may have several sessions (tabs): their quiz
openings last until the last one leaves, while visits are tracked per session (two tabs in two
places must not report the same landmark again and again).

Should the store be unreachable in the middle of a request, nothing is lost: an answer that was
not recorded can be sent again (the same answer has the same key, so it counts once), and
quest facts that were not stored wait for the visitor's next move. What the protocol promises
is in ``docs/protocol.md`` (*Learning rules*).

An answer or a quest fact is planned here on the state last known (the attempts read when the
quiz was opened, the quest progress read on entering and kept up to date), and the store
applies the plan (:func:`record_answer`, :func:`advance_quests`); when another tab or process
changed that state first, the store answers with what it holds and the program plans again.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from srichan_world.errors import Refusal, Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.limits import MAX_ARRAY
from srichan_world.protocol.messages import (
    BadgeEarned,
    Coupon,
    Error,
    EventAttended,
    Events,
    Leaderboard,
    LeaderboardEntry,
    Message,
    Nickname,
    QuestProgress,
    QuizQuestion,
    QuizResult,
    Wallet,
)
from srichan_world.protocol.work import WorkProof
from srichan_world.scene.geometry import Point
from srichan_world.scene.model import Event
from srichan_world.street.badges import BadgeDesk
from srichan_world.street.courses import CourseDesk
from srichan_world.street.newcomers import challenge, check_proof
from srichan_world.street.steps import (
    AdvanceQuests,
    AttendEvent,
    AuthenticateVisitor,
    Outcome,
    Program,
    ReadAttempts,
    ReadBalance,
    ReadCoupons,
    ReadLeaderboard,
    ReadQuestProgress,
    RecordAnswer,
    RegisterVisitor,
    SetNickname,
    StoreUnavailable,
)
from srichan_world.world import figures
from srichan_world.world.admission import NewIdentities
from srichan_world.world.badges.achievements import achievement_id
from srichan_world.world.coupons import CouponRecord
from srichan_world.world.events import Attended, Calendar
from srichan_world.world.figures import Usage
from srichan_world.world.leaderboard import Board, ChangeThrottle, LeaderRow
from srichan_world.world.learning import LearningContent
from srichan_world.world.periods import week_of
from srichan_world.world.quests import (
    ProgressChanged,
    QuestBook,
    QuestEntry,
    QuestFact,
    QuestState,
    QuestUpdate,
    VisitTracker,
    plan_quests,
    progress,
)
from srichan_world.world.quizzes import (
    Answer,
    AnswerOutcome,
    AttemptsChanged,
    AttemptState,
    QuizBook,
    QuizDesk,
    quiz_result,
)
from srichan_world.world.visitors import check_credentials
from srichan_world.world.work import WorkGate

BOARD_SIZE = 10
PLAN_TRIES = 32
"""Plans made again when the store holds another state: only a visitor's own requests racing
each other (tabs on several processes) make it more than once."""

Boards = tuple[tuple[LeaderRow, ...], tuple[LeaderRow, ...], str]
"""This week's rows, all-time rows, and the week they are for."""


class VisitorRecord(Protocol):
    """What the store tells of a visitor."""

    @property
    def id(self) -> str: ...

    @property
    def nickname(self) -> str | None: ...


@dataclass(frozen=True)
class Asker:
    """Who sent a request, as the server knows them: never a position the client claims."""

    session: int
    position: Point
    visitor_id: str | None
    visitor_secret: str | None
    address: str | None = None
    """The client's address as admission counts it (``None``: not known, e.g. in tools)."""


def _nonce() -> str:
    return secrets.token_urlsafe(16)


class LearningDesk:
    """The learning rules of one process's sessions; every request method returns a program."""

    def __init__(
        self,
        content: LearningContent,
        nonce: Callable[[], str] = _nonce,
        badges: BadgeDesk | None = None,
        courses: CourseDesk | None = None,
        work: WorkGate | None = None,
        identities: NewIdentities | None = None,
    ) -> None:
        self.cap = content.policy.daily_earn_cap
        self.work = work
        self.identities = identities
        """New identities per address, charged when a proof holds (``None``: unlimited)."""
        """Asks a proof of work before a new visitor id is registered (``None``: no proof)."""
        self.badges = badges
        """Issues a badge for each quest completed (``None``: a street without badges)."""
        self.courses = courses
        """Hears of each quest completed (``None``: a street without courses)."""
        self.desk = QuizDesk(QuizBook(content.quiz_points))
        self.quests = QuestBook(content.quests)
        self.visits = VisitTracker(content.footprints)
        self.board = ChangeThrottle()
        self.authored_events = content.events
        self.calendar = Calendar(content.events)
        self.overrides: tuple[Event, ...] = ()
        self.events_changed = False
        """True once operators changed the scene's calendar: a newcomer's manifest is then
        out of date, so the hello's replies carry the calendar."""
        self._attending: set[tuple[str, str]] = set()
        """``(visitor id, event id)`` known to hold a seat: no store step to open again."""
        self._nonce = nonce
        self._visitor_of: dict[int, str] = {}
        self._sessions_of: dict[str, set[int]] = {}
        self._unsent: dict[str, tuple[QuestFact, ...]] = {}
        """Quest facts the store could not take (unreachable), by visitor: tried again first
        on their next move, so a visit made while the store was away still counts."""
        self._progress: dict[str, dict[str, QuestState]] = {}
        """Each entered visitor's quest progress as last read or applied: what the next quest
        fact is planned on."""

    def switch(self, content: LearningContent) -> None:
        """The street was rebuilt (live reload): quiz points, quests and footprints from the
        new build, matched by id. Progress, balances and awards live in the store and stay;
        an opening of a quiz point the edit removed answers ``unknown_quiz``, one whose
        question changed ``no_open_quiz`` (open it again); new quiz points work at once."""
        self.cap = content.policy.daily_earn_cap
        self.desk.book = QuizBook(content.quiz_points)
        self.quests = QuestBook(content.quests)
        self.visits = VisitTracker(content.footprints)
        self.authored_events = content.events  # the operators' records stay on top
        self.calendar = Calendar.of(content.events, self.overrides)

    # -- sessions ---------------------------------------------------------------------------

    def leave(self, session: int) -> None:
        """The session closed; forget the visitor's openings when it was their last."""
        visitor_id = self._visitor_of.pop(session, None)
        if visitor_id is None:
            return
        self.visits.forget(str(session))
        sessions = self._sessions_of[visitor_id]
        sessions.discard(session)
        if not sessions:
            del self._sessions_of[visitor_id]
            self._unsent.pop(visitor_id, None)
            self._progress.pop(visitor_id, None)
            self.desk.forget(visitor_id)
            self._attending = {a for a in self._attending if a[0] != visitor_id}

    def set_events(self, overrides: Sequence[Event]) -> None:
        """The operators' events (from the store) on top of the scene's."""
        self.overrides = tuple(overrides)
        self.calendar = Calendar.of(self.authored_events, overrides)
        self.events_changed = bool(overrides)

    def events_message(self) -> Events:
        return Events(tuple(self.calendar.public()))

    def sessions_of(self, visitor_id: str) -> frozenset[int]:
        """The visitor's entered sessions in this process (to tell every tab of a change)."""
        return frozenset(self._sessions_of.get(visitor_id, ()))

    def entered(self, session: int) -> str | None:
        """The session's visitor id, or ``None`` before it entered."""
        return self._visitor_of.get(session)

    def _visitor(self, session: int) -> str:
        visitor_id = self._visitor_of.get(session)
        if visitor_id is None:
            raise Refused(ErrorCode.NO_IDENTITY, "enter with a visitor id and secret first")
        return visitor_id

    # -- requests (each a program) ----------------------------------------------------------

    def hello(self, asker: Asker, now: float, proven: bool = False) -> Program[Outcome]:
        """After each welcome: recognise the visitor, then their wallet and quest standing.
        A session without an identity (a bot) is presence only: it gets nothing here. An id
        the store does not know (or a wrong secret: one answer for both) gets a work
        challenge instead, unless ``proven``."""
        if asker.visitor_id is None and asker.visitor_secret is None:
            return Outcome()
        visitor: VisitorRecord
        try:
            if not asker.visitor_id or not asker.visitor_secret:
                raise Refused(ErrorCode.NO_IDENTITY, "hello needs visitor_id and visitor_secret")
            check_credentials(asker.visitor_id, asker.visitor_secret)
            if self.work is None or proven:
                visitor = yield RegisterVisitor(asker.visitor_id, asker.visitor_secret, now)
            else:
                try:
                    visitor = yield AuthenticateVisitor(asker.visitor_id, asker.visitor_secret)
                except Refused as exc:
                    if exc.code != ErrorCode.BAD_IDENTITY:
                        raise
                    return Outcome([challenge(self.work, asker.visitor_id, now)])
        except Refused as exc:
            return Outcome([refusal_message(exc.refusal, now)])
        self.leave(asker.session)
        self._visitor_of[asker.session] = visitor.id
        self._sessions_of.setdefault(visitor.id, set()).add(asker.session)
        states: dict[str, QuestState] = yield ReadQuestProgress(visitor.id)
        self._progress[visitor.id] = dict(states)
        standing = [progress(e, states.get(e.key, QuestState())) for e in self.quests]
        balance: int = yield ReadBalance(visitor.id)
        coupons: Sequence[CouponRecord] = yield ReadCoupons(visitor.id)
        wallet = Wallet(balance, wallet_coupons(coupons))
        replies: list[Message] = [wallet, *(progress_message(u) for u in standing)]
        if self.events_changed:
            replies.append(self.events_message())
        return Outcome(replies, name=visitor.nickname)

    def prove(self, asker: Asker, proof: WorkProof, now: float) -> Program[Outcome]:
        """A new identity's proof: registered and entered as at a hello when it holds."""
        try:
            check_proof(self.work, self.identities, asker.visitor_id, asker.address, proof, now)
        except Refused as exc:
            replies: list[Message] = [refusal_message(exc.refusal, now)]
            if exc.code == ErrorCode.WORK_EXPIRED and self.work and asker.visitor_id:
                replies.append(challenge(self.work, asker.visitor_id, now))
            return Outcome(replies)
        return (yield from self.hello(asker, now, proven=True))

    def open_quiz(self, asker: Asker, quiz_id: str, now: float) -> Program[Outcome]:
        attended: tuple[Attended, list[dict[str, Any]], BadgeEarned | None] | None = None
        try:
            visitor_id = self._visitor(asker.session)
            event = self.calendar.gate(quiz_id, now)
            entry = self.desk.book.get(quiz_id)
            state: AttemptState = (
                (yield ReadAttempts(visitor_id, entry.key)) if entry else AttemptState()
            )
            prompt = self.desk.open(visitor_id, quiz_id, asker.position, now, state, self._nonce())
            if event is not None:
                attended = yield from self._attend(visitor_id, event, prompt.quiz_id, now)
        except Refused as exc:
            return Outcome([refusal_message(exc.refusal, now)])
        question = QuizQuestion(
            quiz_id=prompt.quiz_id,
            question=prompt.question,
            choices=prompt.choices,
            attempts_left=prompt.attempts_left,
            reward=prompt.reward,
            already_awarded=prompt.already_awarded,
        )
        if attended is None or event is None:
            return Outcome([question], usage=[Usage(figures.QUIZ_OPEN, quiz_id)])
        seat, statements, badge = attended
        told: list[Message] = [] if badge is None else [badge]
        if seat.new:
            told.insert(
                0,
                EventAttended(
                    event_id=event.id,
                    bonus=seat.payout.paid,
                    balance=seat.balance,
                    capped=seat.payout.capped or None,
                ),
            )
        return Outcome(
            [*told, question],
            tell=[(visitor_id, m) for m in told],
            statements=statements,
            tokens=seat.payout.paid if seat.new else 0,
            usage=[Usage(figures.QUIZ_OPEN, quiz_id)],
        )

    def _attend(
        self, visitor_id: str, event: Event, quiz_id: str, now: float
    ) -> Program[tuple[Attended, list[dict[str, Any]], BadgeEarned | None] | None]:
        """Take a seat at ``event`` the first time in this process (the seat and the statement
        kept, when new), and issue its badge (once per visitor: a seat taken before, whose
        badge an outage kept back, gets it now); a refusal (full) or an outage also takes back
        the opening just made, so nobody answers at an event they could not attend."""
        if (visitor_id, event.id) in self._attending:
            return None
        plan = self.calendar.attendance(event, visitor_id, self.cap, now)
        try:
            seat: Attended = yield AttendEvent(plan)
        except (Refused, StoreUnavailable):
            self.desk.close(visitor_id, quiz_id)
            raise
        self._attending.add((visitor_id, event.id))
        if seat.payout.paid:
            self.board.mark()
        statements = [plan.statement] if seat.new else []
        badge = None
        if self.badges is not None:
            kept = len(statements)
            achievement = achievement_id("event", event.id)
            badge = yield from self.badges.grant(visitor_id, achievement, now, statements)
            if len(statements) == kept:
                badge = None  # issued before (or not now): nothing new to tell
        if not seat.new and badge is None:
            return None
        return seat, statements, badge

    def answer_quiz(self, asker: Asker, quiz_id: str, choice: int, now: float) -> Program[Outcome]:
        """Grade, record (awarding at most once), then advance the quests a right answer does.

        Should the store fail between the two steps, the answer stands and the quest step is
        done by answering again (which earns nothing twice).
        """
        try:
            visitor_id = self._visitor(asker.session)
            if isinstance(quiz_id, str):
                self.calendar.gate(quiz_id, now)
            answer = self.desk.answer(visitor_id, quiz_id, choice, asker.position, now)
        except Refused as exc:
            return Outcome([refusal_message(exc.refusal, now)])
        try:
            outcome = yield from record_answer(answer, self.cap)
        except Refused as exc:
            return Outcome([refusal_message(exc.refusal, now)])
        except StoreUnavailable:
            self.desk.reopen(answer)  # the same answer again has the same key: counted once
            raise
        done = Outcome(statements=[answer.statement], usage=answer_usage(answer))
        updates: tuple[QuestUpdate, ...] = ()
        if answer.correct:
            fact = QuestFact("quiz", answer.quiz_id)
            updates = yield from self._apply(visitor_id, (fact,), now, done, keep=True)
        if outcome.awarded:
            self.board.mark()
        result = quiz_result(answer, outcome, updates)
        balance = result.balance
        if any(u.bonus_awarded for u in result.quests):  # the answer completed a quest
            balance = yield ReadBalance(visitor_id)
        cooldown = max(0.0, result.retry_at - now) if result.retry_at is not None else 0.0
        reply = QuizResult(
            quiz_id=result.quiz_id,
            correct=result.correct,
            reward=result.awarded,
            attempts_left=result.attempts_left,
            cooldown_s=cooldown,
            balance=balance,
            explanation=result.explanation,
            capped=result.capped,
            already_awarded=result.already_awarded,
        )
        progress_messages: list[Message] = [progress_message(u) for u in result.quests]
        if self.badges is not None:
            progress_messages += yield from self.badges.earned(
                visitor_id, updates, now, done.statements
            )
        progress_messages += yield from self._courses(visitor_id, updates, now, done)
        done.replies = [reply, *progress_messages]
        done.tell = [(visitor_id, m) for m in progress_messages]
        done.tokens += result.awarded
        return done

    def moved(self, session: int, position: Point, now: float) -> Program[Outcome]:
        """A new server-known position of an entered session: touches the store only on a new
        visit; the progress goes to every session of the visitor."""
        done = Outcome()
        visitor_id = self._visitor_of.get(session)
        if visitor_id is None:
            return done
        facts = self._unsent.pop(visitor_id, ()) + self.visits.observe(str(session), position)
        updates = yield from self._apply(visitor_id, facts, now, done)
        told: list[Message] = [progress_message(u) for u in updates]
        if self.badges is not None:
            told += yield from self.badges.earned(visitor_id, updates, now, done.statements)
        told += yield from self._courses(visitor_id, updates, now, done)
        done.tell = [(visitor_id, m) for m in told]
        return done

    def _courses(
        self, visitor_id: str, updates: tuple[QuestUpdate, ...], now: float, done: Outcome
    ) -> Program[list[Message]]:
        """The courses a completed quest moved on (and completed, with their badges)."""
        if self.courses is None:
            return []
        known = self._progress.get(visitor_id, {})
        return (
            yield from self.courses.quests_completed(
                visitor_id, updates, known, now, done.statements
            )
        )

    def set_nickname(self, asker: Asker, name: str, now: float) -> Program[Outcome]:
        try:
            visitor: VisitorRecord = yield SetNickname(self._visitor(asker.session), name)
        except Refused as exc:
            return Outcome([refusal_message(exc.refusal, now)])
        self.board.mark()
        return Outcome([Nickname(visitor.nickname or "")], name=visitor.nickname)

    def wallet(self, asker: Asker, now: float) -> Program[Outcome]:
        try:
            visitor_id = self._visitor(asker.session)
        except Refused as exc:
            return Outcome([refusal_message(exc.refusal, now)])
        balance: int = yield ReadBalance(visitor_id)
        coupons: Sequence[CouponRecord] = yield ReadCoupons(visitor_id)
        return Outcome([Wallet(balance, wallet_coupons(coupons))])

    def boards(self, now: float) -> Program[Boards]:
        """This week's and the all-time top rows."""
        week = yield ReadLeaderboard(Board.WEEK, now, BOARD_SIZE)
        all_time = yield ReadLeaderboard(Board.ALL, now, BOARD_SIZE)
        return week, all_time, week_of(now)

    def leaderboard_due(self, now: float) -> bool:
        """True at most once a second after a change: time to push the boards to everyone."""
        return self.board.poll(now)

    # -- quests -----------------------------------------------------------------------------

    def _apply(
        self,
        visitor_id: str,
        facts: tuple[QuestFact, ...],
        now: float,
        done: Outcome,
        *,
        keep: bool = False,
    ) -> Program[tuple[QuestUpdate, ...]]:
        """Advance the quests by each fact in turn. Should the store be unreachable, the facts
        not yet applied wait for the visitor's next move (advancing is idempotent), and the
        error goes on (or, with ``keep``, what was done so far is returned)."""
        updates: tuple[QuestUpdate, ...] = ()
        known = self._progress.setdefault(visitor_id, {})
        for i, fact in enumerate(facts):
            affected = self.quests.affected_by(fact)
            if not affected:
                continue
            try:
                changed = yield from advance_quests(
                    visitor_id, fact, affected, known, now, self.cap, done
                )
            except StoreUnavailable:
                if visitor_id in self._sessions_of:
                    self._unsent[visitor_id] = facts[i:] + self._unsent.get(visitor_id, ())
                if keep:
                    return updates
                raise
            for update in changed:
                done.usage.append(Usage(figures.QUEST_STEP, update.quest_id, str(len(update.done))))
                done.tokens += update.bonus_awarded
                if update.just_completed:
                    self.board.mark()
            updates += changed
        return updates


def answer_usage(answer: Answer) -> list[Usage]:
    """What a recorded answer adds to the quiz figures: a first answer (nothing held when the
    quiz was opened), and a first right one with the attempts it took (every wrong answer ever
    given, ``missed``, which no cooldown forgives, plus this one)."""
    usage = []
    if answer.seen == AttemptState():
        usage.append(
            Usage(figures.QUIZ_FIRST, answer.quiz_id, "right" if answer.correct else "wrong")
        )
    if answer.correct and not answer.seen.awarded:
        usage.append(Usage(figures.QUIZ_SOLVED, answer.quiz_id, "", answer.seen.missed + 1))
    return usage


def record_answer(answer: Answer, daily_cap: int) -> Program[AnswerOutcome]:
    """Plan ``answer`` on the attempts the quiz desk saw and have the store record it; when the
    store holds other attempts by now, plan again on those."""
    seen = answer.seen
    for _ in range(PLAN_TRIES):
        result: AnswerOutcome | AttemptsChanged = yield RecordAnswer(answer.plan(seen, daily_cap))
        if not isinstance(result, AttemptsChanged):
            return result
        seen = result.held
    raise StoreUnavailable(f"{answer.visitor_id}'s attempts on {answer.quiz_key} kept changing")


def advance_quests(
    visitor_id: str,
    fact: QuestFact,
    entries: Sequence[QuestEntry],
    known: dict[str, QuestState],
    now: float,
    daily_cap: int,
    done: Outcome | None = None,
) -> Program[tuple[QuestUpdate, ...]]:
    """Plan ``fact`` on the quest progress ``known`` (kept up to date in place) and have the
    store apply it; when the store holds other progress by now, plan again on that. The
    "completed" statements kept go to ``done``."""
    for _ in range(PLAN_TRIES):
        plan = plan_quests(visitor_id, fact, entries, known, now, daily_cap)
        result: tuple[QuestUpdate, ...] | ProgressChanged = yield AdvanceQuests(plan)
        if isinstance(result, ProgressChanged):
            known.update(result.held)
            continue
        for change in plan.changes:
            known[change.entry.key] = change.after
            if done is not None and change.statement is not None:
                done.statements.append(change.statement)
        return result
    raise StoreUnavailable(f"{visitor_id}'s quest progress kept changing")


# -- messages -----------------------------------------------------------------------------------


def refusal_message(refusal: Refusal, now: float) -> Error:
    detail = refusal.detail
    if refusal.retry_at is not None:
        detail += f" (retry in {max(0, math.ceil(refusal.retry_at - now))} s)"
    return Error(int(refusal.code), detail)


def progress_message(update: QuestUpdate) -> QuestProgress:
    return QuestProgress(
        quest_id=update.quest_id,
        done=len(update.done),
        total=update.total,
        completed=update.completed,
        bonus=update.bonus_awarded,
        steps=update.done,
        capped=update.capped,
    )


def board_message(boards: Boards, visitor_id: str | None) -> Leaderboard:
    """The boards as one visitor sees them (``you``: their rank, if on a board)."""
    week, all_time, label = boards
    return Leaderboard(
        entries=_entries(week),
        you=_rank(week, visitor_id),
        all_time=_entries(all_time),
        you_all_time=_rank(all_time, visitor_id),
        week=label,
    )


def _entries(rows: Sequence[LeaderRow]) -> tuple[LeaderboardEntry, ...]:
    return tuple(LeaderboardEntry(r.rank, r.name, r.tokens, r.quests) for r in rows)


def _rank(rows: Sequence[LeaderRow], visitor_id: str | None) -> int | None:
    return next((r.rank for r in rows if r.visitor_id == visitor_id), None)


def wallet_coupons(records: Sequence[CouponRecord]) -> tuple[Coupon, ...]:
    return tuple(r.to_message() for r in records[:MAX_ARRAY])
