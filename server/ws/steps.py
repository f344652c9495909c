"""Applies the store steps the street's programs yield (srichan_world/street/steps.py).

This is the whole of the I/O a WebSocket request does: one store call per step, in the order
the program asks. A refusal the store raises (``Refused``) and an unreachable store
(``StoreError``) both go back to the program, which decides what they mean.
"""

from __future__ import annotations

from collections.abc import Callable

from server.services.badges import BadgeIssuer
from server.services.booths import BoothService
from server.store import Store, StoreError
from srichan_world.errors import Refused
from srichan_world.street.dialogue_steps import (
    CastVote,
    PayAward,
    PostOpinion,
    ReadPart,
    ReadQuestions,
    ReadTally,
    SupportOpinion,
)
from srichan_world.street.steps import (
    AdvanceQuests,
    AttendEvent,
    AuthenticateVisitor,
    CompleteCourse,
    FileReport,
    IssueBadge,
    MarkLessonRead,
    Program,
    ReadAttempts,
    ReadBadges,
    ReadBalance,
    ReadCoupons,
    ReadCourseProgress,
    ReadLeaderboard,
    ReadQuestProgress,
    ReadSignedIn,
    ReadStanding,
    RecordAnswer,
    Redeem,
    RegisterVisitor,
    SetNickname,
    ShowBooth,
    Step,
    StoreUnavailable,
    T,
)
from srichan_world.world.ledger import visitor_account


class StoreSteps:
    """Each step as one call on the store (or, for a booth refresh, the booth service; for a
    badge, the issuer, which signs it before the store keeps it)."""

    def __init__(
        self,
        store: Store,
        booths: BoothService | None = None,
        badges: BadgeIssuer | None = None,
        on_redeemed: Callable[[str, float, str], None] | None = None,
    ) -> None:
        self.store = store
        self.on_redeemed = on_redeemed
        """Told ``(slot, time, visitor id)`` of each coupon the store sold (operators' burst
        signal)."""
        self.booths = booths
        self.badges = badges

    async def apply(self, step: Step) -> object:
        store = self.store
        match step:
            case RegisterVisitor(visitor_id, secret, now, newcomer):
                return await store.register_visitor(visitor_id, secret, now, newcomer=newcomer)
            case ReadStanding(visitor_id):
                return await store.standing(visitor_id)
            case AuthenticateVisitor(visitor_id, secret):
                return await store.authenticate_visitor(visitor_id, secret)
            case ReadQuestProgress(visitor_id):
                return await store.quest_progress(visitor_id)
            case ReadBalance(visitor_id):
                return await store.balance(visitor_account(visitor_id))
            case ReadCoupons(visitor_id):
                return await store.coupons_of(visitor_id)
            case ReadAttempts(visitor_id, quiz_key):
                return await store.quiz_attempts(visitor_id, quiz_key)
            case RecordAnswer(plan):
                return await store.record_answer(plan)
            case AdvanceQuests(plan):
                return await store.advance_quests(plan)
            case SetNickname(visitor_id, name):
                return await store.set_nickname(visitor_id, name)
            case ReadLeaderboard(board, now, limit):
                return await store.leaderboard(board, now, limit)
            case Redeem(redemption, secret):
                sold = await store.redeem(redemption, secret)
                if self.on_redeemed is not None:
                    self.on_redeemed(redemption.slot, redemption.now, redemption.visitor_id)
                return sold
            case ReadSignedIn(visitor_id):
                return await store.account_link(visitor_id) is not None
            case FileReport(report):
                return await store.file_report(report)
            case AttendEvent(attendance):
                return await store.attend_event(attendance)
            case ShowBooth(booth) if self.booths is not None:
                return self.booths.show(booth)
            case IssueBadge(grant, statement) if self.badges is not None:
                await store.keep_statement(statement, grant.now)
                return await self.badges.issue(grant)
            case ReadBadges(visitor_id):
                return await store.badges_of(visitor_id)
            case ReadCourseProgress(visitor_id):
                return await store.course_progress(visitor_id)
            case MarkLessonRead(visitor_id, course_id, lesson_id, statement, now):
                return await store.read_lesson(visitor_id, course_id, lesson_id, statement, now)
            case CompleteCourse(visitor_id, course_id, statement, now):
                return await store.complete_course(visitor_id, course_id, statement, now)
            case ReadQuestions():
                return await store.questions()
            case ReadTally(question_id):
                return await store.dialogue_tally(question_id)
            case ReadPart(question_id, visitor_id):
                return await store.dialogue_part(question_id, visitor_id)
            case CastVote(question_id, visitor_id, option, statement, now):
                return await store.cast_vote(question_id, visitor_id, option, statement, now)
            case PostOpinion(opinion, statement):
                return await store.post_opinion(opinion, statement)
            case SupportOpinion(question_id, number, visitor_id):
                return await store.support_opinion(question_id, number, visitor_id)
            case PayAward(award):
                return await store.pay_award(award)
        raise TypeError(f"no store operation for {type(step).__name__}")

    async def run(self, program: Program[T]) -> T:
        """Drive a whole program here, step after step: for tools and tests that need the
        rules and the store together without a socket (the pump interleaves programs)."""
        try:
            step = program.send(None)
            while True:
                try:
                    result = await self.apply(step)
                except Refused as exc:
                    step = program.throw(exc)
                except StoreError as exc:
                    step = program.throw(StoreUnavailable(str(exc)))
                else:
                    step = program.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]  # the program's declared T
