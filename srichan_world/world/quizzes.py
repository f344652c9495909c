"""Quiz points, graded on the server: opening, attempts and cooldown, answering.

The browser never learns a correct choice before it answers. To answer, a visitor first *opens*
a quiz point; the rules check that the avatar's server-known position is inside the trigger
radius and hand out the question and choices. An answer must match an opening and uses it up:
an answer to a quiz never opened, or a replayed one, is refused and earns nothing.

A graded :class:`Answer` becomes an :class:`AnswerPlan` (:meth:`Answer.plan`) against the
attempts the store held: the attempt counted, the reward due on a first correct answer (an
:class:`~srichan_world.world.awards.Award`, reduced by earlier wrong answers, :func:`reward_due`,
and clipped by the store to the daily cap), the xAPI
statement, or the cooldown's refusal. The store applies the plan once per answer key and only
while it still holds those attempts; else it answers with the attempts it holds
(:class:`AttemptsChanged`) and the caller plans again.

Everything here is pure: time comes in as ``now``; nonces are random strings made by the caller.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from srichan_world.errors import Refusal, Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.scene.geometry import Point
from srichan_world.scene.model import QuizPoint, Scene, Text
from srichan_world.world import xapi
from srichan_world.world.awards import Award, Payout
from srichan_world.world.quests import QuestUpdate

OPENING_TTL_S = 600.0
"""An opening is answered within ten minutes, or the quiz must be opened again."""
ANSWER_SLACK_M = 2.0
"""An answer may come from this much beyond the trigger radius: avatars drift while reading."""


def replayed() -> Refused:
    """The refusal of an answer already graded (its key seen before)."""
    return Refused(ErrorCode.ANSWER_REPLAYED, "this answer was already graded")


def quiz_version(quiz: QuizPoint) -> str:
    """A hash of what is asked (question, choices, correct choice): rewritten means new."""
    content = {
        "question": quiz.question.to_json(),
        "choices": [c.to_json() for c in quiz.choices],
        "correct": quiz.correct,
    }
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class QuizEntry:
    quiz: QuizPoint
    version: str

    @property
    def key(self) -> str:
        """What awards and attempts are recorded under: the id *and* the version."""
        return f"{self.quiz.id}@{self.version}"


class QuizBook:
    """The scene's quiz points by id, each with its version."""

    def __init__(self, quiz_points: Iterable[QuizPoint]) -> None:
        self._entries = {q.id: QuizEntry(q, quiz_version(q)) for q in quiz_points}

    @classmethod
    def from_scene(cls, scene: Scene) -> QuizBook:
        return cls(scene.quiz_points)

    def get(self, quiz_id: object) -> QuizEntry | None:
        return self._entries.get(quiz_id) if isinstance(quiz_id, str) else None

    def __iter__(self) -> Iterator[QuizEntry]:
        return iter(self._entries.values())


@dataclass(frozen=True)
class AttemptState:
    """One visitor's record on one quiz version, as the store keeps it."""

    wrong: int = 0
    """Wrong answers since the last correct answer or since a cooldown ran out."""
    last_wrong_at: float = 0.0
    awarded: bool = False
    missed: int = 0
    """Wrong answers ever given to this quiz version: never forgiven (see :func:`reward_due`)."""


def reward_due(reward: int, missed: int, attempts: int) -> int:
    """What a right answer pays after ``missed`` wrong ones: each wrong answer halves it
    (rounded down), and once a visitor has missed as often as the quiz allows attempts (and
    so has been shown the explanation) it pays nothing.

    Blind guessing must not pay: with attempts fewer than choices (``scene check``), a
    guesser cannot sweep the choices in one round, and a guess that comes right late earns
    little. An honest learner who slips once still earns half.
    """
    if missed >= attempts:
        return 0
    return reward >> missed


@dataclass(frozen=True)
class AttemptPolicy:
    """``attempts`` wrong answers are allowed; then the quiz rests ``cooldown_s`` seconds after
    the last wrong answer, after which the count starts again."""

    attempts: int
    cooldown_s: float

    @classmethod
    def of(cls, quiz: QuizPoint) -> AttemptPolicy:
        return cls(quiz.attempts, quiz.cooldown_s)

    def current(self, state: AttemptState, now: float) -> AttemptState:
        """The state as it stands at ``now``: wrong answers older than the cooldown are forgiven."""
        if state.wrong and now >= state.last_wrong_at + self.cooldown_s:
            return replace(state, wrong=0)
        return state

    def left(self, state: AttemptState, now: float) -> int:
        return max(0, self.attempts - self.current(state, now).wrong)

    def check(self, state: AttemptState, now: float) -> None:
        """Refuse with ``COOLDOWN`` and ``retry_at`` while every attempt is used."""
        if self.left(state, now) > 0:
            return
        retry_at = state.last_wrong_at + self.cooldown_s
        raise Refused(ErrorCode.COOLDOWN, "every attempt is used; try again later", retry_at)

    def after(self, state: AttemptState, correct: bool, now: float) -> AttemptState:
        state = self.current(state, now)
        if correct:
            return replace(state, wrong=0)
        return replace(state, wrong=state.wrong + 1, last_wrong_at=now, missed=state.missed + 1)


@dataclass(frozen=True)
class QuizPrompt:
    """What the visitor sees on opening: question and choices, never the answer."""

    quiz_id: str
    question: Text
    choices: tuple[Text, ...]
    reward: int
    """What a right answer would pay now (:func:`reward_due`)."""
    attempts_left: int
    already_awarded: bool


@dataclass(frozen=True)
class Answer:
    """A graded answer, to be planned (:meth:`plan`) and recorded by the store."""

    key: str
    """Idempotency key, one per opening: the same opening can never be counted twice."""
    visitor_id: str
    quiz_id: str
    quiz_key: str
    choice: int
    correct: bool
    reward: int
    policy: AttemptPolicy
    explanation: Text
    statement: dict[str, Any]
    now: float
    seen: AttemptState = AttemptState()
    """The attempts read when the quiz was opened: what the store most likely still holds."""

    def plan(self, seen: AttemptState, daily_cap: int) -> AnswerPlan:
        """What this answer changes if the store holds ``seen``."""
        try:
            self.policy.check(seen, self.now)
            refusal = None
        except Refused as exc:
            refusal = exc.refusal
        award = None
        if self.correct and not seen.awarded and refusal is None:
            reason = f"quiz {self.quiz_key}"
            due = reward_due(self.reward, seen.missed, self.policy.attempts)
            award = Award(
                self.visitor_id, f"quiz:{self.quiz_key}", due, reason, self.now, daily_cap
            )
        after = self.policy.after(seen, self.correct, self.now)
        return AnswerPlan(self, seen, refusal, after, award)


@dataclass(frozen=True)
class AnswerPlan:
    """What one graded answer changes, decided against the attempts ``seen``.

    A store applies it once per ``answer.key`` (again: ``ANSWER_REPLAYED``) for a registered
    visitor (else ``BAD_IDENTITY``), atomically, and only while the visitor's attempts on the
    quiz version are still ``seen``: else it changes nothing and answers
    :class:`AttemptsChanged` with the attempts it holds, to plan again on. Then it raises the
    ``refusal`` if there is one, or writes ``after``, pays the ``award`` clipped to the day's cap
    and keeps the statement.
    """

    answer: Answer
    seen: AttemptState
    refusal: Refusal | None
    """``COOLDOWN`` while every attempt is used: what :meth:`check` raises."""
    after: AttemptState
    award: Award | None
    """The reward of the first correct answer to this quiz version, as :func:`reward_due`
    leaves it (an award of 0 still marks the quiz as awarded)."""

    def check(self) -> None:
        """Refuse as planned (the cooldown); a store calls it once it found ``seen`` held."""
        if self.refusal is not None:
            raise Refused(self.refusal.code, self.refusal.detail, self.refusal.retry_at)

    def outcome(self, payout: Payout, balance: int) -> AnswerOutcome:
        """What the visitor is told, once the store paid ``payout`` and holds ``balance``."""
        policy = self.answer.policy
        left = policy.left(self.after, self.answer.now)
        return AnswerOutcome(
            awarded=payout.paid,
            balance=balance,
            already_awarded=self.seen.awarded,
            capped=payout.capped,
            attempts_left=left,
            retry_at=self.after.last_wrong_at + policy.cooldown_s if left == 0 else None,
        )


@dataclass(frozen=True)
class AttemptsChanged:
    """A store's answer to an :class:`AnswerPlan` made on attempts it no longer holds (another
    tab or process answered first): nothing was done; ``held`` is what it holds now."""

    held: AttemptState


@dataclass(frozen=True)
class AnswerOutcome:
    """What the store did with an :class:`Answer`."""

    awarded: int
    """Tokens paid for this answer: 0 when wrong, already awarded, or capped to nothing."""
    balance: int
    already_awarded: bool
    capped: bool
    """The daily cap clipped the reward."""
    attempts_left: int
    retry_at: float | None
    """Set when this answer used the last attempt."""


@dataclass(frozen=True)
class _Opening:
    nonce: str
    version: str
    opened_at: float
    seen: AttemptState


class QuizDesk:
    """Which quizzes each visitor has open, per process.

    One opening per visitor and quiz; opening again replaces it, and an answer uses it up. An
    answer that finds its opening used up within the opening lifetime is a replay
    (``ANSWER_REPLAYED``); one that finds none at all never opened (``NO_OPEN_QUIZ``). Losing
    the desk (a restart) only means opening the quiz again: awards are decided by the store.
    """

    def __init__(self, book: QuizBook, opening_ttl_s: float = OPENING_TTL_S) -> None:
        self.book = book
        self.opening_ttl_s = opening_ttl_s
        self._open: dict[tuple[str, str], _Opening] = {}
        self._answered: dict[tuple[str, str], float] = {}

    def open(
        self,
        visitor_id: str,
        quiz_id: object,
        position: Point | None,
        now: float,
        state: AttemptState,
        nonce: str,
    ) -> QuizPrompt:
        """Hand out the question if the avatar stands at the quiz point and has attempts left;
        else raise :class:`Refused`.

        ``position`` is where the server last saw the avatar (``None``: not in the world);
        ``state`` comes from the store; ``nonce`` is a fresh random string from the caller
        that names this opening in the ledger and the learning record.
        """
        self._prune(now)
        entry = self.book.get(quiz_id)
        if entry is None:
            raise Refused(ErrorCode.UNKNOWN_QUIZ, f"no quiz point {str(quiz_id)[:64]!r}")
        quiz = entry.quiz
        if position is None or math.dist(position, quiz.position) > quiz.radius:
            raise Refused(ErrorCode.TOO_FAR, "walk up to the quiz point to open it")
        policy = AttemptPolicy.of(quiz)
        policy.check(state, now)
        slot = (visitor_id, quiz.id)
        self._open.pop(slot, None)
        self._answered.pop(slot, None)
        self._open[slot] = _Opening(nonce, entry.version, now, state)
        return QuizPrompt(
            quiz_id=quiz.id,
            question=quiz.question,
            choices=quiz.choices,
            reward=reward_due(quiz.reward, state.missed, policy.attempts),
            attempts_left=policy.left(state, now),
            already_awarded=state.awarded,
        )

    def answer(
        self,
        visitor_id: str,
        quiz_id: object,
        choice: object,
        position: Point | None,
        now: float,
    ) -> Answer:
        """Grade an answer against the visitor's opening, which only a graded answer uses up;
        raise :class:`Refused` for an answer that cannot be graded."""
        self._prune(now)
        entry = self.book.get(quiz_id)
        if entry is None:
            raise Refused(ErrorCode.UNKNOWN_QUIZ, f"no quiz point {str(quiz_id)[:64]!r}")
        quiz = entry.quiz
        slot = (visitor_id, quiz.id)
        held = self._open.get(slot)
        if held is None:
            if slot in self._answered:
                raise replayed()
            raise Refused(ErrorCode.NO_OPEN_QUIZ, "open the quiz before answering")
        if held.version != entry.version:
            del self._open[slot]
            raise Refused(ErrorCode.NO_OPEN_QUIZ, "the quiz has changed; open it again")
        if isinstance(choice, bool) or not isinstance(choice, int):
            raise Refused(ErrorCode.BAD_VALUE, "choice must be a whole number")
        if not 0 <= choice < len(quiz.choices):
            raise Refused(ErrorCode.BAD_VALUE, f"choice must be 0..{len(quiz.choices) - 1}")
        if position is None or math.dist(position, quiz.position) > quiz.radius + ANSWER_SLACK_M:
            raise Refused(ErrorCode.TOO_FAR, "answer at the quiz point")
        del self._open[slot]
        self._answered[slot] = now
        correct = choice == quiz.correct
        key = f"answer:{visitor_id}:{held.nonce}"
        return Answer(
            key=key,
            visitor_id=visitor_id,
            quiz_id=quiz.id,
            quiz_key=entry.key,
            choice=choice,
            correct=correct,
            reward=quiz.reward,
            policy=AttemptPolicy.of(quiz),
            explanation=quiz.explanation,
            statement=xapi.answered_statement(
                key, visitor_id, quiz, entry.version, choice, correct, now
            ),
            now=now,
            seen=held.seen,
        )

    def reopen(self, answer: Answer) -> None:
        """Undo :meth:`answer` when the store could not be reached to record it: the visitor
        may send the answer again under the same key, which the store counts at most once
        whether or not the first try reached it. A newer opening of the quiz stands."""
        slot = (answer.visitor_id, answer.quiz_id)
        if slot in self._open:
            return
        self._answered.pop(slot, None)
        nonce = answer.key.rpartition(":")[2]  # answer:<visitor>:<nonce>; nonces have no ":"
        version = answer.quiz_key.rpartition("@")[2]
        self._open[slot] = _Opening(nonce, version, answer.now, answer.seen)

    def close(self, visitor_id: str, quiz_id: str) -> None:
        """Drop one opening (what opened it was refused after all)."""
        self._open.pop((visitor_id, quiz_id), None)

    def forget(self, visitor_id: str) -> None:
        """Drop a visitor's openings (their last connection closed)."""
        for table in (self._open, self._answered):
            for slot in [s for s in table if s[0] == visitor_id]:
                del table[slot]

    @property
    def size(self) -> int:
        """Openings and answered openings remembered: bounded by the lifetime."""
        return len(self._open) + len(self._answered)

    def _prune(self, now: float) -> None:
        """Forget openings older than the lifetime, oldest first (dicts keep insertion order,
        and every entry is inserted at its time)."""
        horizon = now - self.opening_ttl_s
        while self._open:
            slot, held = next(iter(self._open.items()))
            if held.opened_at >= horizon:
                break
            del self._open[slot]
        while self._answered:
            slot, at = next(iter(self._answered.items()))
            if at >= horizon:
                break
            del self._answered[slot]


@dataclass(frozen=True)
class QuizResult:
    """What the visitor is told after answering (the wire message is built from this)."""

    quiz_id: str
    correct: bool
    explanation: Text | None
    """Given for a right answer, and for the wrong one that used the last attempt; otherwise
    withheld, since an explanation would give the answer to the next attempt."""
    awarded: int
    balance: int
    capped: bool
    already_awarded: bool
    attempts_left: int
    retry_at: float | None
    quests: tuple[QuestUpdate, ...]
    """Progress of the quests this answer advanced."""


def quiz_result(
    answer: Answer, outcome: AnswerOutcome, quests: tuple[QuestUpdate, ...] = ()
) -> QuizResult:
    explain = answer.correct or outcome.attempts_left == 0
    return QuizResult(
        quiz_id=answer.quiz_id,
        correct=answer.correct,
        explanation=answer.explanation if explain else None,
        awarded=outcome.awarded,
        balance=outcome.balance,
        capped=outcome.capped,
        already_awarded=outcome.already_awarded,
        attempts_left=outcome.attempts_left,
        retry_at=outcome.retry_at,
        quests=quests,
    )
