"""The pending rule on the street: a newcomer is told what is left before its tokens can be
spent, and a redeem with pending tokens is refused before the store's atomic step.

:class:`PendingDesk` wraps the programs of the requests that can change or show what is left
(the hello and the work proof, whose wallet comes first; a quiz answer; ``wallet_get``): after
they ran, it reads the visitor's standing (one store read) and adds a ``tokens_pending`` reply
for a newcomer, also told to the visitor's other sessions. A visitor who is not a newcomer is
told nothing. The rule itself is :mod:`srichan_world.world.pending`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from srichan_world.errors import Refused
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.messages import Message, QuizResult, Wallet
from srichan_world.protocol.work import TokensPending
from srichan_world.street.learning import refusal_message
from srichan_world.street.steps import Outcome, Program, ReadStanding, StoreUnavailable
from srichan_world.world.pending import PendingRule, Standing


class PendingDesk:
    def __init__(self, rule: PendingRule) -> None:
        self.rule = rule

    def message(self, standing: Standing | None, now: float) -> TokensPending | None:
        """What to tell a newcomer (``None`` for anyone else)."""
        if standing is None or not standing.newcomer or self.rule.off:
            return None
        hold = self.rule.hold(standing, now)
        return TokensPending(hold.quizzes_left, hold.wait_s, self.rule.quizzes, self.rule.minutes)

    def after(
        self, program: Program[Any], visitor_of: Callable[[], str | None], now: float
    ) -> Program[Any]:
        """Run ``program``; when its replies show a wallet or a right answer, add what is
        left for the session's visitor (``visitor_of`` is asked after it ran: a hello enters
        the visitor)."""
        outcome = yield from program
        if self.rule.off or not isinstance(outcome, Outcome) or not _shows_tokens(outcome):
            return outcome
        visitor_id = visitor_of()
        if visitor_id is None:
            return outcome
        try:
            standing: Standing | None = yield ReadStanding(visitor_id)
        except StoreUnavailable:  # what the program did stands; the next wallet tells the hold
            return outcome
        told = self.message(standing, now)
        if told is not None:
            outcome.replies.append(told)
            outcome.tell.append((visitor_id, told))
        return outcome

    def before(
        self, redeem: Callable[[], Program[Any]], visitor_of: Callable[[], str | None], now: float
    ) -> Program[Any]:
        """Refuse (``tokens_pending``) a newcomer's redeem while its tokens are pending; else
        run ``redeem`` (which refuses a session that has not entered). Reading first is safe:
        the rule never turns back."""
        visitor_id = visitor_of()
        if not self.rule.off and visitor_id is not None:
            standing: Standing | None = yield ReadStanding(visitor_id)
            try:
                self.rule.check(standing, now)
            except Refused as exc:
                return Outcome([refusal_message(exc.refusal, now)])
        return (yield from redeem())

    def wrap(
        self,
        kind: MsgType,
        thunk: Callable[[], Program[Any]],
        visitor_of: Callable[[], str | None],
        now: float,
    ) -> Callable[[], Program[Any]]:
        """``thunk`` (the program of a request of type ``kind``) with the rule around it, for
        the requests it concerns."""
        if kind == MsgType.REDEEM:
            return lambda: self.before(thunk, visitor_of, now)
        if kind in AFTER:
            return lambda: self.after(thunk(), visitor_of, now)
        return thunk


AFTER = frozenset({MsgType.HELLO, MsgType.WORK_PROOF, MsgType.QUIZ_ANSWER, MsgType.WALLET_GET})
"""Requests whose replies can show what is left: a wallet, a right answer."""


def _shows_tokens(outcome: Outcome) -> bool:
    replies: list[Message] = outcome.replies
    return any(isinstance(m, Wallet) or (isinstance(m, QuizResult) and m.correct) for m in replies)
