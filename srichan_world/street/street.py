"""The street: the one entry point for every session's messages. Sans-I/O.

The pump (``server/ws/pump.py``) feeds it ``connect / receive / disconnect / tick(now)`` and
carries out the effects it returns; tests drive it the same way with no sockets. Presence
(hello, moves, chat, emotes, frames) is the :class:`~srichan_world.world.presence.PresenceWorld`'s
business and stays on its fast path; every other request becomes a *program*
(:mod:`srichan_world.street.steps`) run by a handler behind this class: learning
(:class:`~srichan_world.street.learning.LearningDesk`, with its badges and courses) and booths
(:class:`~srichan_world.street.booths.BoothCounter`).

A program that needs the store returns an :class:`Apply` effect: the I/O applies that one step
and hands the result back with :meth:`Street.stored` (or :meth:`Street.failed`), which runs the
program on to its next step or its replies. Each session's requests (and the quest visits its
moves make) run one at a time in arrival order, so a session never races itself.

Degraded mode (the store unreachable, see ``server/health.py``): a request that met the outage
is answered ``error store_unavailable`` (retryable: the client sends it again with the same
idempotency key), and a ``hello`` whose identity could not be checked is entered again before
the session's next request, or when the store comes back (:meth:`Street.recovered`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from srichan_world.errors import Refused
from srichan_world.protocol.codec import encode
from srichan_world.protocol.codes import ErrorCode, MsgType
from srichan_world.protocol.dialogue_messages import DIALOGUE_CLIENT_TYPES
from srichan_world.protocol.messages import (
    BadgesGet,
    CoursesGet,
    Error,
    Hello,
    LeaderboardGet,
    LessonRead,
    Message,
    Nickname,
    QuizAnswer,
    QuizOpen,
    Redeem,
    Report,
    SceneChanged,
    SetNickname,
)
from srichan_world.protocol.usage_messages import UsageMsg
from srichan_world.protocol.work import WorkChallenge, WorkProof
from srichan_world.scene.manifest import Manifest
from srichan_world.scene.model import Event
from srichan_world.street.booths import BoothCounter
from srichan_world.street.dialogue import DialogueDesk
from srichan_world.street.inclusion import InclusionDesk
from srichan_world.street.learning import Asker, Boards, LearningDesk, board_message
from srichan_world.street.moderation import ModerationDesk
from srichan_world.street.pending import PendingDesk
from srichan_world.street.steps import Outcome, Program, Step, StoreUnavailable
from srichan_world.world import figures
from srichan_world.world.dialogue import MUNICIPALITY
from srichan_world.world.figures import Usage
from srichan_world.world.leaderboard import PUSH_INTERVAL_S
from srichan_world.world.learning import LearningContent
from srichan_world.world.presence import Dispatch, Effect, PresenceWorld, Send

HELD_WHILE_PROVING = 16
"""Requests a session may send before its new identity's proof; they run after it."""
UNAVAILABLE = "the street's records cannot be reached just now; try again in a moment"
VISIT_STEP_M = 1.0
"""A session's position is looked at again once it moved this far (visits count within 15 m)."""
BOARD_REFRESH_S = 5.0
"""Followed boards are re-read this often even without a local change: other server
processes sharing a Redis store award too."""
Thunk = Callable[[], Program[Any]]
BOARDS_JOB = 0
"""The job id of the street's own leaderboard reads (sessions are numbered from 1)."""


@dataclass(frozen=True, slots=True)
class Apply:
    """Apply ``step`` to the store, then call :meth:`Street.stored` with ``job`` and the result
    (or :meth:`Street.failed` with the store's refusal or :class:`StoreUnavailable`)."""

    job: int
    step: Step


@dataclass(frozen=True, slots=True)
class Learned:
    """xAPI statements the store kept and tokens paid: for the LRS and the metrics."""

    statements: list[dict[str, Any]]
    tokens: int
    usage: tuple[Usage, ...] = ()
    """Anonymous usage counts, for the console's figures."""


StreetEffect = Effect | Apply | Learned


@dataclass
class _Job:
    """A session's queue of programs, the running one first."""

    waiting: deque[tuple[Message | None, Callable[[], Program[Any]]]] = field(default_factory=deque)
    running: Program[Any] | None = None
    request: Message | None = None
    """The message the running program answers (``None``: a visit check)."""
    proving: bool = False
    """A work challenge is out: requests wait for the proof (or a new hello), in order."""


class Street:
    """One process's street: presence plus every request handler, behind four entry points."""

    def __init__(
        self,
        world: PresenceWorld,
        learning: LearningDesk | None = None,
        booths: BoothCounter | None = None,
        clock: Callable[[], float] | None = None,
        moderation: ModerationDesk | None = None,
        dialogue: DialogueDesk | None = None,
        inclusion: InclusionDesk | None = None,
        pending: PendingDesk | None = None,
    ) -> None:
        self.world = world
        self.inclusion = inclusion
        self.pending = pending
        self.dialogue = dialogue
        self.learning = learning
        self.booths = booths
        self.moderation = moderation
        self._now = 0.0
        """The presence clock at the last message (a report's context is read on it)."""
        self.followers: set[int] = set()
        """Sessions that asked for leaderboard pushes."""
        self._jobs: dict[int, _Job] = {}
        self._pending_hello: dict[int, Hello] = {}
        self._seen_at: dict[int, tuple[float, float]] = {}
        self._addresses: dict[int, str] = {}
        self._boards: Boards | None = None
        self._boards_program: Program[Boards] | None = None
        self._last_push = -math.inf
        self._next_refresh = 0.0
        self.pushes = 0
        self.people = figures.PeopleToday()  # who was counted toward which figure today

    # -- presence entry points --------------------------------------------------------------

    def connect(self, session: int, now: float, address: str | None = None) -> list[StreetEffect]:
        """A new socket; ``address``: its client address as admission counts it."""
        if address is not None:
            self._addresses[session] = address
        return list(self.world.connect(session, now))

    def receive(self, session: int, data: bytes, now: float, wall: float) -> Sequence[StreetEffect]:
        """One WebSocket message. ``now`` is the presence clock (monotonic seconds), ``wall``
        the time requests are recorded at (Unix seconds: cooldowns, days, statements)."""
        self._now = now
        effects = self.world.receive(session, data, now)
        for e in effects:  # a move's effects are few (usually none): cheap to look through
            if type(e) is Dispatch:
                return self._requests(effects, wall)
        return effects

    def disconnect(self, session: int, now: float, goodbye: bool = False) -> list[StreetEffect]:
        effects: list[StreetEffect] = list(self.world.disconnect(session, now, goodbye))
        self._jobs.pop(session, None)
        self._pending_hello.pop(session, None)
        self._addresses.pop(session, None)
        self._seen_at.pop(session, None)
        self.followers.discard(session)
        if self.learning is not None:
            self.learning.leave(session)
        return effects

    def tick(self, now: float) -> list[StreetEffect]:
        return list(self.world.tick(now))

    def switch(
        self,
        manifest: Manifest,
        public: dict[str, Any],
        content: LearningContent | None = None,
    ) -> list[StreetEffect]:
        """Live reload: move every session to a rebuilt street without a reconnect.

        ``manifest`` is the new build's manifest parsed, ``public`` the same as served
        (``/scene/manifest.json``, carrying ``content_hash``), ``content`` its learning content.
        Every welcomed session gets one ``scene_changed`` (encoded once); visitors off the
        new walkable area are moved (see :meth:`PresenceWorld.switch`); quizzes, quests and
        booths keep their state by id, and a request already running finishes on the street
        it began on."""
        notice = encode(SceneChanged(str(public["content_hash"]), public))
        effects: list[StreetEffect] = list(self.world.switch(manifest, notice))
        if self.learning is not None and content is not None:
            self.learning.switch(content)
            if self.learning.events_changed:  # the new manifest lacks the operators' changes
                effects += self._push_events()
        if self.booths is not None:
            self.booths.slots = {b.id: b.position for b in manifest.booth_slots}
        if self.dialogue is not None and content is not None:
            self.dialogue.footprints = tuple(content.footprints.get(MUNICIPALITY, ()))
        self._seen_at.clear()  # visits are looked at again against the new footprints
        return effects

    # Below, ``now`` is wall-clock time (Unix seconds), as the store records it.

    # -- the store's answers ----------------------------------------------------------------

    def stored(self, job: int, result: object, now: float) -> list[StreetEffect]:
        """The step of ``job`` was applied; ``result`` is what it returned."""
        return self._advance(job, lambda program: program.send(result), now)

    def failed(self, job: int, error: Refused | StoreUnavailable, now: float) -> list[StreetEffect]:
        """The step of ``job`` was refused by the store, or the store could not be reached."""
        return self._advance(job, lambda program: program.throw(error), now)

    def broke(self, job: int, now: float) -> list[StreetEffect]:
        """Applying the step of ``job`` failed unexpectedly (a bug, logged by the I/O): the
        program is dropped and its request answered ``internal``; the session goes on."""
        if job == BOARDS_JOB:
            self._boards_program = None
            return []
        entry = self._jobs.get(job)
        if entry is None or entry.running is None:
            return []
        entry.running.close()
        entry.running, msg = None, entry.request
        effects: list[StreetEffect] = []
        if msg is not None:
            internal = Error(ErrorCode.INTERNAL, "internal error; nothing was changed")
            effects.append(self._send(job, internal, msg))
        return effects + self._next(job, now)

    def recovered(self, now: float) -> list[StreetEffect]:
        """The store answers again: enter every session whose hello met the outage."""
        effects: list[StreetEffect] = []
        for session in list(self._pending_hello):
            job = self._jobs.setdefault(session, _Job())
            if job.running is None and not job.waiting:
                effects += self._enter_again(session, now)
        return effects

    def events_changed(self, overrides: Sequence[Event]) -> list[StreetEffect]:
        """Operators changed the calendar: the rules use it from now on, and every session
        on the street gets it (``events``), so quiz points appear and vanish without a reload."""
        if self.learning is None:
            return []
        self.learning.set_events(overrides)
        return self._push_events()

    def _push_events(self) -> list[StreetEffect]:
        assert self.learning is not None
        message = self.learning.events_message()
        data = encode(message)
        return [
            Send(session, data, message.TYPE)
            for session in sorted(self.world.sessions)
            if self.world.view(session) is not None
        ]

    # -- background: visits and leaderboard pushes ------------------------------------------

    def watch(self, now: float) -> list[StreetEffect]:
        """Look at every entered session that moved (landmark visits become quest steps) and
        re-read the leaderboards for their followers when due. Call a few times a second."""
        learning = self.learning
        if learning is None:
            return []
        effects: list[StreetEffect] = []
        for session in list(self.world.sessions):
            view = self.world.view(session)
            if view is None or learning.entered(session) is None:
                continue
            position = (view.x, view.z)
            last = self._seen_at.get(session)
            if last is not None and math.dist(last, position) < VISIT_STEP_M:
                continue
            self._seen_at[session] = position
            visitor_id = learning.entered(session)
            if self.booths is not None and visitor_id is not None:
                near = self.booths.nearby(visitor_id, position, now)
                if near:
                    effects.append(Learned([], 0, tuple(near)))
            effects += self._enqueue(
                session, None, partial(learning.moved, session, position, now), now
            )
        due = learning.leaderboard_due(now)
        reading = self._boards_program is not None
        if self.followers and not reading and (due or now >= self._next_refresh):
            self._next_refresh = now + BOARD_REFRESH_S
            self._boards_program = learning.boards(now)
            effects += self._advance(BOARDS_JOB, lambda p: p.send(None), now)
        return effects

    # -- requests ---------------------------------------------------------------------------

    def _requests(self, effects: Sequence[StreetEffect], now: float) -> list[StreetEffect]:
        out: list[StreetEffect] = []
        for e in effects:
            if type(e) is Dispatch:
                out += self._request(e.session, e.message, now)
            else:
                out.append(e)
        return out

    def _request(self, session: int, msg: Message, now: float) -> list[StreetEffect]:
        program = self._program(session, msg, now)
        if program is None:
            if isinstance(msg, Hello):
                return []  # presence only: nothing more to do after the welcome
            return [self._send(session, Error(ErrorCode.UNSUPPORTED, "not served here"), msg)]
        if isinstance(msg, Hello):  # its program is ruled where it is made
            self._pending_hello.pop(session, None)
            return self._enqueue(session, msg, program, now)
        program = self._ruled(session, msg.TYPE, program, now)
        if session in self._pending_hello:  # enter first, then this request
            self._jobs.setdefault(session, _Job()).waiting.append(
                (self._pending_hello[session], self._hello_program(session, now))
            )
            del self._pending_hello[session]
        return self._enqueue(session, msg, program, now)

    def _program(self, session: int, msg: Message, now: float) -> Callable[[], Program[Any]] | None:
        """The handler for ``msg``, as a thunk (it runs when the session's turn comes, with
        the avatar's position then)."""
        learning, booths = self.learning, self.booths
        if learning is not None:
            if isinstance(msg, Hello):
                return self._hello_program(session, now)
            if isinstance(msg, WorkProof):
                return lambda: learning.prove(self._asker(session), msg, now)
            if isinstance(msg, QuizOpen):
                return lambda: learning.open_quiz(self._asker(session), msg.quiz_id, now)
            if isinstance(msg, QuizAnswer):
                return lambda: learning.answer_quiz(
                    self._asker(session), msg.quiz_id, msg.choice, now
                )
            if isinstance(msg, SetNickname):
                return lambda: learning.set_nickname(self._asker(session), msg.name, now)
            if msg.TYPE == MsgType.WALLET_GET:
                return lambda: learning.wallet(self._asker(session), now)
            if isinstance(msg, LeaderboardGet):
                return lambda: self._leaderboard(session, msg, now)
        if booths is not None and isinstance(msg, Redeem):
            return lambda: self._redeem(booths, session, msg, now)
        if learning is not None and learning.badges is not None and isinstance(msg, BadgesGet):
            return lambda: self._badges(session, now)
        moderation = self.moderation
        if moderation is not None and isinstance(msg, Report):
            reporter = self._asker(session).visitor_id
            if learning is not None:  # the identity its hello proved, when there is a store
                reporter = learning.entered(session)
            clock = self._now
            return lambda: moderation.report(reporter, msg, clock, now)
        if learning is not None and learning.courses is not None:
            courses = learning.courses
            if isinstance(msg, LessonRead):
                return lambda: self._entered(
                    session, lambda v: courses.read(v, msg.course, msg.lesson, now)
                )
            if isinstance(msg, CoursesGet):
                return lambda: self._entered(session, lambda v: courses.standings(v, now))
        inclusion = self.inclusion
        if learning is not None and inclusion is not None and isinstance(msg, UsageMsg):
            return lambda: self._entered(session, lambda v: inclusion.usage(v, msg, now))
        dialogue = self.dialogue
        if learning is not None and dialogue is not None and msg.TYPE in DIALOGUE_CLIENT_TYPES:
            clock = self._now
            return lambda: self._entered(
                session, lambda v: self._dialogue(dialogue, session, v, msg, now, clock)
            )
        return None

    def _dialogue(
        self,
        desk: DialogueDesk,
        session: int,
        visitor_id: str,
        msg: Message,
        now: float,
        clock: float,
    ) -> Program[Outcome]:
        """A dialogue request, with the avatar's name and position as the server sees them."""
        view = self.world.view(session)
        name, position = (
            ("", (math.nan, math.nan)) if view is None else (view.name, (view.x, view.z))
        )
        return desk.handle(visitor_id, name, position, msg, now, clock)

    def _entered(
        self, session: int, program: Callable[[str], Program[Outcome]]
    ) -> Program[Outcome]:
        """``program`` for the session's visitor, checked at their hello."""
        assert self.learning is not None
        visitor_id = self.learning.entered(session)
        if visitor_id is None:
            return _refused(ErrorCode.NO_IDENTITY, "enter with your identity first")
        return program(visitor_id)

    def _badges(self, session: int, now: float) -> Program[Outcome]:
        """A visitor's own badges only: the identity was checked at their hello."""
        assert self.learning is not None and self.learning.badges is not None
        visitor_id = self.learning.entered(session)
        if visitor_id is None:
            return _refused(ErrorCode.NO_IDENTITY, "enter with your identity first")
        return self.learning.badges.badges(visitor_id, now)

    def _redeem(
        self, booths: BoothCounter, session: int, msg: Redeem, now: float
    ) -> Program[Outcome]:
        """Redeem once the session's identity was checked at its hello (decided when the
        program runs: a hello held back by an outage is entered first)."""
        if self.learning is not None and self.learning.entered(session) is None:
            return _refused(ErrorCode.NO_IDENTITY, "enter with your identity first")
        return booths.redeem(self._asker(session), msg, now)

    def _hello_program(self, session: int, now: float) -> Callable[[], Program[Any]]:
        learning = self.learning
        assert learning is not None
        hello: Thunk = lambda: learning.hello(self._asker(session), now)  # noqa: E731
        return self._ruled(session, MsgType.HELLO, hello, now)

    def _ruled(self, session: int, kind: MsgType, thunk: Thunk, now: float) -> Thunk:
        """``thunk`` under the pending rule (srichan_world/street/pending.py), if any."""
        if self.pending is None or self.learning is None:
            return thunk
        return self.pending.wrap(kind, thunk, partial(self.learning.entered, session), now)

    def _leaderboard(self, session: int, msg: LeaderboardGet, now: float) -> Program[Outcome]:
        """Anyone may look; ``you`` needs an identity. Following is per session."""
        assert self.learning is not None
        if msg.follow is False:
            self.followers.discard(session)
        else:
            self.followers.add(session)
        boards = yield from self.learning.boards(now)
        return Outcome([board_message(boards, self.learning.entered(session))])

    def _asker(self, session: int) -> Asker:
        view = self.world.view(session)
        if view is None:
            return Asker(session, (math.nan, math.nan), None, None)
        address = self._addresses.get(session)
        return Asker(session, (view.x, view.z), view.visitor_id, view.visitor_secret, address)

    def _enter_again(self, session: int, now: float) -> list[StreetEffect]:
        hello = self._pending_hello.pop(session)
        return self._enqueue(session, hello, self._hello_program(session, now), now)

    # -- running programs -------------------------------------------------------------------

    def _enqueue(
        self,
        session: int,
        msg: Message | None,
        thunk: Callable[[], Program[Any]],
        now: float,
    ) -> list[StreetEffect]:
        job = self._jobs.setdefault(session, _Job())
        job.waiting.append((msg, thunk))
        return self._next(session, now) if job.running is None else []

    def _next(self, session: int, now: float) -> list[StreetEffect]:
        """Start the session's next program, if it still has one waiting."""
        job = self._jobs.get(session)
        if job is None or not job.waiting or self.world.view(session) is None:
            return []
        if job.proving:
            return self._proof_next(session, job, now)
        msg, thunk = job.waiting.popleft()
        return self._start(session, msg, thunk(), now)

    def _proof_next(self, session: int, job: _Job, now: float) -> list[StreetEffect]:
        """While a new identity's work is out, only its proof (or a new hello) starts; up to
        ``HELD_WHILE_PROVING`` other requests wait for it, more are refused at once."""
        for i, (msg, thunk) in enumerate(job.waiting):
            if isinstance(msg, (WorkProof, Hello)):
                del job.waiting[i]
                job.proving = False
                return self._start(session, msg, thunk(), now)
        refused: list[StreetEffect] = []
        while len(job.waiting) > HELD_WHILE_PROVING:
            msg, _thunk = job.waiting.pop()
            error = Error(ErrorCode.NO_IDENTITY, "your new identity's proof of work comes first")
            refused.append(self._send(session, error, msg))
        return refused

    def _start(
        self, session: int, msg: Message | None, program: Program[Any], now: float
    ) -> list[StreetEffect]:
        job = self._jobs.setdefault(session, _Job())
        job.running, job.request = program, msg
        return self._advance(session, lambda p: p.send(None), now)

    def _advance(
        self, job_id: int, resume: Callable[[Program[Any]], Step], now: float
    ) -> list[StreetEffect]:
        if job_id == BOARDS_JOB:
            return self._advance_boards(resume, now)
        job = self._jobs.get(job_id)
        if job is None or job.running is None:
            return []  # the session left meanwhile: its program is dropped
        program, msg = job.running, job.request
        try:
            step = resume(program)
        except StopIteration as done:
            job.running = None
            return self._finish(job_id, msg, done.value, now) + self._next(job_id, now)
        except StoreUnavailable:
            job.running = None
            effects: list[StreetEffect] = []
            if isinstance(msg, Hello):
                self._pending_hello[job_id] = msg
            if msg is not None:
                effects.append(
                    self._send(job_id, Error(ErrorCode.STORE_UNAVAILABLE, UNAVAILABLE), msg)
                )
            return effects + self._next(job_id, now)
        return [Apply(job_id, step)]

    def _finish(
        self, session: int, msg: Message | None, outcome: Outcome, now: float
    ) -> list[StreetEffect]:
        effects: list[StreetEffect] = [self._send(session, m, msg) for m in outcome.replies]
        if any(isinstance(m, WorkChallenge) for m in outcome.replies):
            self._jobs[session].proving = True
        renamed = outcome.name is not None and self.world.rename(session, outcome.name)
        if renamed and not any(isinstance(m, Nickname) for m in outcome.replies):
            # entered with a stored name: the client learns it as it would from set_nickname
            effects.append(self._send(session, Nickname(outcome.name or ""), msg))
        if self.learning is not None:
            for visitor_id, message in outcome.tell:
                data = encode(message)
                for other in self.learning.sessions_of(visitor_id):
                    if other != session or msg is None:
                        effects.append(Send(other, data, message.TYPE))
        usage = tuple(outcome.usage)
        if outcome.tokens:
            usage += (Usage(figures.TOKENS_EARNED, "", "", outcome.tokens),)
        if usage:  # the visitors behind the figures' groups, once a day each
            usage += tuple(self.people.count(self._asker(session).visitor_id, usage, now))
        if outcome.statements or outcome.tokens or usage:
            effects.append(Learned(outcome.statements, outcome.tokens, usage))
        return effects

    def _advance_boards(
        self, resume: Callable[[Program[Any]], Step], now: float
    ) -> list[StreetEffect]:
        program = self._boards_program
        if program is None:
            return []
        try:
            return [Apply(BOARDS_JOB, resume(program))]
        except StopIteration as done:
            self._boards_program = None
            return self.push_boards(done.value, now)
        except (StoreUnavailable, Refused):  # a watcher round that failed: the next one retries
            self._boards_program = None
            return []

    def push_boards(self, boards: Boards, now: float) -> list[StreetEffect]:
        """Queue the boards for every follower when they changed, at most once a second (a
        follower gets its own ranks; those on neither board share one message)."""
        assert self.learning is not None
        if boards == self._boards:
            return []
        if now - self._last_push < PUSH_INTERVAL_S:
            self.learning.board.mark()  # changed too soon after the last push: next time
            return []
        self._boards, self._last_push = boards, now
        week, all_time, _label = boards
        ranked = {r.visitor_id for r in week} | {r.visitor_id for r in all_time}
        shared = encode(board_message(boards, None))
        effects: list[StreetEffect] = []
        for session in sorted(self.followers):
            visitor_id = self.learning.entered(session)
            data = encode(board_message(boards, visitor_id)) if visitor_id in ranked else shared
            effects.append(Send(session, data, MsgType.LEADERBOARD))
        self.pushes += 1
        return effects

    @staticmethod
    def _send(session: int, message: Message, request: Message | None) -> Send:
        """A reply carries the request's ``cid`` unless it names its own."""
        if request is not None and message.cid is None and request.cid is not None:
            message = replace(message, cid=request.cid)
        return Send(session, encode(message), message.TYPE)


def _refused(code: ErrorCode, detail: str) -> Program[Outcome]:
    """A request refused before any store step: a program with no steps."""
    yield from ()
    return Outcome([Error(int(code), detail)])
