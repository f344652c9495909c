"""Quests: ordered or free sequences of steps over quiz points and landmark visits.

A step is done by a *fact*: a quiz point answered correctly, or a landmark visited (the avatar
came within :data:`VISIT_DISTANCE_M` of its footprint). In a *free* quest any step may be done
at any time; in an *ordered* quest a fact counts only when it does the next step, so doing
things out of order is simply not counted yet (a quiz can be answered again, and earns nothing
twice, so nothing is lost). A fact becomes a :class:`QuestPlan` (:func:`plan_quests`) against
the progress the store held: each quest's new state and, on completion, the bonus (an
:class:`~srichan_world.world.awards.Award`, once per quest version, clipped by the store to the
daily cap) and the "completed" statement. The store applies it only while it still holds that
progress; else it answers with the progress it holds (:class:`ProgressChanged`) and the caller
plans again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from srichan_world.protocol.limits import VISIT_DISTANCE_M
from srichan_world.scene.geometry import Point, Polygon, distance_to_polygon
from srichan_world.scene.model import Quest, Scene, Text
from srichan_world.world import xapi
from srichan_world.world.awards import Award, Payout

FACT_KINDS = ("quiz", "visit")


def quest_version(quest: Quest) -> str:
    """A hash of what the quest asks (order and steps): changed steps make a new quest."""
    content = {"order": quest.order, "steps": [[s.kind, s.target] for s in quest.steps]}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class QuestFact:
    """Something a visitor did that may complete a step."""

    kind: str  # "quiz" (answered correctly) | "visit"
    target: str  # the quiz point id or the landmark id


@dataclass(frozen=True)
class QuestState:
    """One visitor's progress on one quest version."""

    done: frozenset[int] = frozenset()
    completed_at: float | None = None


@dataclass(frozen=True)
class QuestEntry:
    quest: Quest
    version: str

    @property
    def key(self) -> str:
        return f"{self.quest.id}@{self.version}"

    def mentions(self, fact: QuestFact) -> bool:
        return any(s.kind == fact.kind and s.target == fact.target for s in self.quest.steps)


def advance(quest: Quest, state: QuestState, fact: QuestFact, now: float) -> QuestState:
    """The state after ``fact``; unchanged when the fact does no (next) step."""
    if state.completed_at is not None:
        return state
    steps = quest.steps
    if quest.order == "ordered":
        todo = [i for i in range(len(steps)) if i not in state.done]
        candidates = todo[:1]
    else:
        candidates = [i for i in range(len(steps)) if i not in state.done]
    for i in candidates:
        if steps[i].kind == fact.kind and steps[i].target == fact.target:
            done = state.done | {i}
            completed = now if len(done) == len(steps) else None
            return replace(state, done=done, completed_at=completed)
    return state


@dataclass(frozen=True)
class QuestUpdate:
    """A quest's progress as the visitor sees it."""

    quest_id: str
    title: Text
    done: tuple[int, ...]
    total: int
    completed: bool
    just_completed: bool
    bonus_awarded: int
    """Tokens paid on completion by this update (0 unless ``just_completed``)."""
    capped: bool


def progress(entry: QuestEntry, state: QuestState) -> QuestUpdate:
    """A quest's standing, for the visitor's welcome and for updates that award nothing."""
    return QuestUpdate(
        quest_id=entry.quest.id,
        title=entry.quest.title,
        done=tuple(sorted(state.done)),
        total=len(entry.quest.steps),
        completed=state.completed_at is not None,
        just_completed=False,
        bonus_awarded=0,
        capped=False,
    )


@dataclass(frozen=True)
class QuestChange:
    """One quest a fact moves on, from ``seen`` to ``after``; a completion carries the bonus
    and the statement."""

    entry: QuestEntry
    seen: QuestState
    after: QuestState
    award: Award | None
    statement: dict[str, Any] | None

    def update(self, payout: Payout) -> QuestUpdate:
        """The visitor's view of the change, once the store paid ``payout`` for the bonus."""
        update = progress(self.entry, self.after)
        if self.award is None:
            return update
        return replace(update, just_completed=True, bonus_awarded=payout.paid, capped=payout.capped)


@dataclass(frozen=True)
class QuestPlan:
    """What one fact changes in a visitor's quests, decided against the progress ``seen`` of
    every quest the fact concerns (those it moves on and those it leaves as they are).

    A store applies it for a registered visitor (else ``BAD_IDENTITY``), atomically, and only
    while it holds ``seen``: else it changes nothing and answers :class:`ProgressChanged` with
    what it holds, to plan again on. It writes each change's ``after``, pays each bonus clipped
    to the day's cap, and keeps each statement.
    """

    visitor_id: str
    now: float
    seen: Mapping[str, QuestState]
    """By quest key."""
    changes: tuple[QuestChange, ...]

    def updates(self, payouts: Sequence[Payout]) -> tuple[QuestUpdate, ...]:
        """The changes as the visitor sees them, with what the store paid for each in order."""
        return tuple(c.update(p) for c, p in zip(self.changes, payouts, strict=True))


def plan_quests(
    visitor_id: str,
    fact: QuestFact,
    entries: Iterable[QuestEntry],
    states: Mapping[str, QuestState],
    now: float,
    daily_cap: int,
) -> QuestPlan:
    """What ``fact`` changes in the quests ``entries``, from their ``states`` held by key."""
    concerned = {e.key: e for e in entries}
    seen_all = {key: states.get(key, QuestState()) for key in concerned}
    changes = []
    for entry in concerned.values():
        seen = seen_all[entry.key]
        after = advance(entry.quest, seen, fact, now)
        if after == seen:
            continue
        award = statement = None
        if after.completed_at is not None:
            quest = entry.quest
            award = Award(
                visitor_id,
                f"quest:{entry.key}",
                quest.bonus,
                f"quest {entry.key}",
                now,
                daily_cap,
                1,
            )
            key = f"quest:{visitor_id}:{entry.key}"
            statement = xapi.completed_statement(key, visitor_id, quest, entry.version, now)
        changes.append(QuestChange(entry, seen, after, award, statement))
    return QuestPlan(visitor_id, now, seen_all, tuple(changes))


@dataclass(frozen=True)
class ProgressChanged:
    """A store's answer to a :class:`QuestPlan` made on progress it no longer holds: nothing
    was done; ``held`` is the progress it holds now of the plan's quests, by key."""

    held: dict[str, QuestState]


class QuestBook:
    """The scene's quests, each with its version."""

    def __init__(self, quests: Iterable[Quest]) -> None:
        self._entries = tuple(QuestEntry(q, quest_version(q)) for q in quests)

    @classmethod
    def from_scene(cls, scene: Scene) -> QuestBook:
        return cls(scene.quests)

    def affected_by(self, fact: QuestFact) -> tuple[QuestEntry, ...]:
        return tuple(e for e in self._entries if e.mentions(fact))

    def __iter__(self) -> Iterator[QuestEntry]:
        return iter(self._entries)


class VisitTracker:
    """Turns avatar positions into visit facts: one each time an avatar *comes* near a landmark.

    Edge-triggered, so standing still near a landmark reports it once, while walking away and
    back reports it again (which an ordered quest may need).
    """

    def __init__(
        self, footprints: Mapping[str, Sequence[Polygon]], distance: float = VISIT_DISTANCE_M
    ) -> None:
        """``footprints``: each landmark id with its footprint polygons."""
        self.distance = distance
        # each footprint with its bounding box grown by the distance: a point outside the box
        # cannot be near, and most points on a long street are outside all but one or two
        self._boxes = tuple(
            (lm, polygon, _grown_box(polygon, distance))
            for lm, polys in footprints.items()
            for polygon in polys
        )
        self._near: dict[str, frozenset[str]] = {}

    def observe(self, visitor_id: str, position: Point) -> tuple[QuestFact, ...]:
        """New visit facts for ``visitor_id`` now standing at ``position``."""
        x, z = position
        near = frozenset(
            lm
            for lm, polygon, (x0, z0, x1, z1) in self._boxes
            if x0 <= x <= x1
            and z0 <= z <= z1
            and distance_to_polygon(position, polygon) <= self.distance
        )
        before = self._near.get(visitor_id, frozenset())
        self._near[visitor_id] = near
        return tuple(QuestFact("visit", lm_id) for lm_id in sorted(near - before))

    def forget(self, visitor_id: str) -> None:
        self._near.pop(visitor_id, None)


def _grown_box(polygon: Polygon, margin: float) -> tuple[float, float, float, float]:
    xs = [x for x, _ in polygon]
    zs = [z for _, z in polygon]
    return (min(xs) - margin, min(zs) - margin, max(xs) + margin, max(zs) + margin)
