"""The store steps of the dialogue space (see :mod:`srichan_world.street.steps`): each names
one atomic operation of :class:`~server.store.base.DialogueRecords`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from srichan_world.street.steps import Step
from srichan_world.world.awards import Award
from srichan_world.world.dialogue import Opinion


@dataclass(frozen=True)
class ReadQuestions(Step):
    """Every question kept: the operators change them at any time, on any process."""


@dataclass(frozen=True)
class ReadTally(Step):
    question_id: str


@dataclass(frozen=True)
class ReadPart(Step):
    question_id: str
    visitor_id: str


@dataclass(frozen=True)
class CastVote(Step):
    """Keep the visitor's one vote (a later one replaces it): True the first time."""

    question_id: str
    visitor_id: str
    option: int
    statement: dict[str, Any]
    now: float


@dataclass(frozen=True)
class PostOpinion(Step):
    """Keep the visitor's one opinion, numbered: the opinion, or ``None`` if they have one."""

    opinion: Opinion
    statement: dict[str, Any]


@dataclass(frozen=True)
class SupportOpinion(Step):
    """Count the visitor's support once: True the first time."""

    question_id: str
    number: int
    visitor_id: str


@dataclass(frozen=True)
class PayAward(Step):
    """Pay a reward once per key, within the day's cap: the payout."""

    award: Award
