"""The dialogue space on the street: reading the city's questions, voting, writing and
supporting opinions, reporting one. Sans-I/O.

:class:`DialogueDesk` answers the dialogue requests with programs (see
:mod:`srichan_world.street.steps`); the rules are in :mod:`srichan_world.world.dialogue`. Each
program reads the questions from the store (the operators change them from the console, on
any process), so nothing here needs telling of a change. Taking part needs the visitor's
identity (checked at their hello) and their avatar within ``DIALOGUE_REACH_M`` of the
Municipality's footprint, as the server last saw it; a muted visitor may vote but not write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode, ReportReason, ReportTarget
from srichan_world.protocol.dialogue_messages import (
    Dialogue,
    DialogueGet,
    DialogueOpinion,
    DialogueReport,
    DialogueSupport,
    DialogueThanks,
    DialogueVote,
    OpinionRow,
    QuestionCard,
)
from srichan_world.protocol.limits import DIALOGUE_REACH_M
from srichan_world.protocol.messages import Error, Message, Reported
from srichan_world.scene.geometry import Point, Polygon, distance_to_polygon
from srichan_world.street.dialogue_steps import (
    CastVote,
    PayAward,
    PostOpinion,
    ReadPart,
    ReadQuestions,
    ReadTally,
    SupportOpinion,
)
from srichan_world.street.steps import FileReport, Outcome, Program, ReadBalance
from srichan_world.world import dialogue, xapi
from srichan_world.world.awards import Payout
from srichan_world.world.dialogue import Opinion, Part, Question, Tally
from srichan_world.world.moderation import Guard, ReportRecord


class DialogueDesk:
    """The Municipality's dialogue: ``footprints`` measure the reach, ``guard`` holds the
    mutes and the city's word list, ``daily_cap`` is the learning awards' cap."""

    def __init__(self, footprints: Sequence[Polygon], guard: Guard, daily_cap: int) -> None:
        self.footprints = tuple(footprints)
        self.guard = guard
        self.daily_cap = daily_cap

    def near(self, position: Point) -> bool:
        return any(distance_to_polygon(position, p) <= DIALOGUE_REACH_M for p in self.footprints)

    def handle(
        self, visitor_id: str, name: str, position: Point, msg: Message, now: float, clock: float
    ) -> Program[Outcome]:
        """The program for one dialogue request of an entered visitor (``now``: wall clock;
        ``clock``: the presence clock)."""
        if isinstance(msg, DialogueGet):
            return self.read(visitor_id, msg.question, now)
        if isinstance(msg, DialogueVote):
            return self.vote(visitor_id, position, msg.question, msg.option, now)
        if isinstance(msg, DialogueOpinion):
            return self.opinion(visitor_id, name, position, msg.question, msg.text, now, clock)
        if isinstance(msg, DialogueSupport):
            return self.support(visitor_id, position, msg.question, msg.opinion, now)
        assert isinstance(msg, DialogueReport), msg
        return self.report(visitor_id, msg.question, msg.opinion, msg.reason, msg.note, now)

    # -- programs ----------------------------------------------------------------------------

    def read(self, visitor_id: str, question_id: str | None, now: float) -> Program[Outcome]:
        """The questions (one, or all) as this visitor sees them; reading needs no reach."""
        questions: tuple[Question, ...] = yield ReadQuestions()
        if question_id is not None:
            questions = tuple(q for q in questions if q.id == question_id)
            if not questions:
                return _error(ErrorCode.UNKNOWN_QUESTION, f"no question {question_id}")
        cards = []
        for q in sorted(questions, key=lambda q: (_ORDER[q.state(now)], q.closes_at, q.id)):
            cards.append((yield from self._card(q, visitor_id, now)))
        return Outcome([Dialogue(tuple(cards))])

    def vote(
        self, visitor_id: str, position: Point, question_id: str, option: int, now: float
    ) -> Program[Outcome]:
        try:
            q = yield from self._question(question_id, position)
            dialogue.check_vote(q, option, now)
        except Refused as exc:
            return _refused(exc)
        statement = xapi.responded_statement(visitor_id, q.id, q.title, q.options[option], now)
        first: bool = yield CastVote(q.id, visitor_id, option, statement, now)
        return (yield from self._answer(q, visitor_id, now, first, [statement] if first else []))

    def opinion(
        self,
        visitor_id: str,
        name: str,
        position: Point,
        question_id: str,
        text: str,
        now: float,
        clock: float,
    ) -> Program[Outcome]:
        """``clock``: the presence clock, which mutes are kept on."""
        left = self.guard.sanctions.muted_for(visitor_id, clock)
        if left > 0:
            return _error(ErrorCode.MUTED, "muted by the moderators: you cannot write just now")
        try:
            q = yield from self._question(question_id, position)
            cleaned = dialogue.clean_opinion(q, text, self.guard.filter, now)
        except Refused as exc:
            return _refused(exc)
        statement = xapi.commented_statement(visitor_id, q.id, q.title, cleaned, now)
        kept: Opinion | None = yield PostOpinion(
            Opinion(q.id, 0, visitor_id, name, cleaned, now), statement
        )
        if kept is None:
            return _error(ErrorCode.OPINION_EXISTS, "you already wrote your opinion here")
        return (yield from self._answer(q, visitor_id, now, True, [statement]))

    def support(
        self, visitor_id: str, position: Point, question_id: str, number: int, now: float
    ) -> Program[Outcome]:
        try:
            q = yield from self._question(question_id, position)
            tally: Tally = yield ReadTally(q.id)
            dialogue.check_support(q, tally, number, visitor_id, now)
        except Refused as exc:
            return _refused(exc)
        yield SupportOpinion(q.id, number, visitor_id)
        card = yield from self._card(q, visitor_id, now)
        return Outcome([Dialogue((card,))])

    def report(
        self, reporter: str, question_id: str, number: int, reason: int, note: str | None, at: float
    ) -> Program[Outcome]:
        """File an opinion in the moderators' queue (from anywhere: reporting harm should
        cost nothing), quoting it and naming its writer."""
        if reason not in set(ReportReason):
            return _error(ErrorCode.BAD_REPORT, "unknown reason")
        try:
            q = yield from self._question(question_id, None)
            tally: Tally = yield ReadTally(q.id)
            found = dialogue.find_opinion(tally, number)
        except Refused as exc:
            return _refused(exc)
        record = ReportRecord(
            int(ReportTarget.OPINION),
            reason,
            reporter,
            at,
            visitor_id=found.visitor_id,
            name=found.name,
            slot=f"{q.id}#{number}",
            said=found.text,
            note=note,
        )
        seq = yield FileReport(record)
        return Outcome([Reported(seq)])

    # -- parts -------------------------------------------------------------------------------

    def _question(self, question_id: str, position: Point | None) -> Program[Question]:
        """The question, or ``Refused``; with a ``position``, the visitor must be in reach."""
        if position is not None and not self.near(position):
            raise Refused(ErrorCode.DIALOGUE_TOO_FAR, "come to the Municipality to take part")
        questions: tuple[Question, ...] = yield ReadQuestions()
        for q in questions:
            if q.id == question_id:
                return q
        raise Refused(ErrorCode.UNKNOWN_QUESTION, f"no question {question_id}")

    def _answer(
        self,
        q: Question,
        visitor_id: str,
        now: float,
        first: bool,
        statements: list[dict[str, object]],
    ) -> Program[Outcome]:
        """The card after taking part; the reward (once per question) the first time."""
        done = Outcome(statements=list(statements))
        if first:
            award = dialogue.participation_award(q, visitor_id, now, self.daily_cap)
            payout: Payout = yield PayAward(award)
            if payout.paid or payout.capped:
                balance: int = yield ReadBalance(visitor_id)
                done.replies.append(DialogueThanks(q.id, payout.paid, balance))
                done.tokens = payout.paid
        card = yield from self._card(q, visitor_id, now)
        done.replies.insert(0, Dialogue((card,)))
        return done

    def _card(self, q: Question, visitor_id: str, now: float) -> Program[QuestionCard]:
        part: Part = yield ReadPart(q.id, visitor_id)
        card = QuestionCard(
            q.id,
            q.title,
            q.description,
            q.options,
            q.opinions,
            int(q.opens_at),
            int(q.closes_at),
            q.state(now),
            q.reward,
            part.vote,
            part.opinion,
        )
        if not dialogue.results_visible(q, part, now):
            return card
        tally: Tally = yield ReadTally(q.id)
        rows = tuple(
            OpinionRow(
                o.number,
                o.name,
                o.text,
                o.supports,
                o.visitor_id == visitor_id,
                o.number in part.supported,
            )
            for o in tally.shown()
        )
        return replace(card, votes=tally.counts(q), shown=rows)


_ORDER = {dialogue.OPEN: 0, dialogue.UPCOMING: 1, dialogue.CLOSED: 2}


def _error(code: ErrorCode, detail: str) -> Outcome:
    return Outcome([Error(int(code), detail)])


def _refused(exc: Refused) -> Outcome:
    return Outcome([Error(exc.code, exc.refusal.detail)])
