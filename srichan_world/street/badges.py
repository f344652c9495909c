"""Badges on the street: which achievements earn one, and the visitor's list. Sans-I/O.

:class:`BadgeDesk` turns a completed quest (or course: :mod:`srichan_world.street.courses`)
into an :class:`~srichan_world.street.steps.IssueBadge` step (the I/O signs and keeps it,
once per visitor and achievement) and answers ``badges_get``. Issuing never holds up what
earned it: should the store be unreachable, or the revocation list full, the quest stays
completed and its badge is issued when the visitor next asks for their badges
(:meth:`BadgeDesk.badges` issues every badge a completed quest or course is owed first), so
nothing earned is lost.

Who sees what: a visitor's list goes only to their own sessions (checked identity); the
list carries credential ids, which are the unguessable keys to download each credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from srichan_world.errors import Refused
from srichan_world.protocol.limits import MAX_ARRAY
from srichan_world.protocol.messages import Badge, BadgeEarned, Badges, Error
from srichan_world.scene.model import Text
from srichan_world.street.steps import (
    IssueBadge,
    Outcome,
    Program,
    ReadBadges,
    ReadCourseProgress,
    ReadQuestProgress,
    StoreUnavailable,
)
from srichan_world.world import xapi
from srichan_world.world.badges.achievements import Achievement, achievement_id
from srichan_world.world.badges.records import Grant, IssuedBadge
from srichan_world.world.courses import CourseState
from srichan_world.world.quests import QuestBook, QuestState, QuestUpdate


class BadgeDesk:
    """The achievements of the scene, and the programs that issue and list their badges."""

    def __init__(self, achievements: dict[str, Achievement], quests: QuestBook) -> None:
        self.achievements = achievements
        self.quests = quests

    def earned(
        self,
        visitor_id: str,
        updates: Iterable[QuestUpdate],
        now: float,
        statements: list[dict[str, Any]],
    ) -> Program[list[BadgeEarned]]:
        """Issue the badge of every quest ``updates`` just completed (its xAPI statement goes
        to ``statements``); what could not be issued now is issued on the visitor's next
        ``badges_get``."""
        earned: list[BadgeEarned] = []
        for update in updates:
            if update.just_completed:
                quest = achievement_id("quest", update.quest_id)
                badge = yield from self.grant(visitor_id, quest, now, statements)
                earned += [badge] if badge is not None else []
        return earned

    def grant(
        self, visitor_id: str, achievement: str, now: float, statements: list[dict[str, Any]]
    ) -> Program[BadgeEarned | None]:
        """Issue one badge just earned (``None``: no such achievement, or not issued now: the
        visitor's next ``badges_get`` issues it)."""
        step = self._issue(visitor_id, achievement, now)
        if step is None:
            return None
        try:
            issued: IssuedBadge = yield step
        except (StoreUnavailable, Refused):
            return None
        if issued.issued_at == now:
            statements.append(step.statement)
        return BadgeEarned(self.record(issued))

    def _issue(self, visitor_id: str, achievement: str, now: float) -> IssueBadge | None:
        """The step issuing ``achievement`` with its "earned" statement (``None``: the scene
        has no such achievement any more)."""
        found = self.achievements.get(achievement)
        if found is None:
            return None
        statement = xapi.earned_statement(visitor_id, found.id, found.name, found.description, now)
        return IssueBadge(Grant(visitor_id, found.id, found.kind, now), statement)

    def badges(self, visitor_id: str, now: float) -> Program[Outcome]:
        """The visitor's badges, newest first, after issuing any a completed quest is owed."""
        held: Sequence[IssuedBadge] = yield ReadBadges(visitor_id)
        states: dict[str, QuestState] = yield ReadQuestProgress(visitor_id)
        have = {b.achievement_id for b in held}
        completed = [
            achievement_id("quest", entry.quest.id)
            for entry in self.quests
            if states.get(entry.key, QuestState()).completed_at is not None
        ]
        if any(a.kind == "course" for a in self.achievements.values()):
            courses: dict[str, CourseState] = yield ReadCourseProgress(visitor_id)
            completed += [
                achievement_id("course", course_id)
                for course_id, state in courses.items()
                if state.completed_at is not None
            ]
        owed = [a for a in completed if a not in have]
        statements: list[dict[str, Any]] = []
        for achievement in owed:
            step = self._issue(visitor_id, achievement, now)
            if step is None:
                continue
            try:
                yield step
            except Refused as exc:
                return Outcome([Error(int(exc.refusal.code), exc.refusal.detail)])
            statements.append(step.statement)
        if owed:
            held = yield ReadBadges(visitor_id)
        listed = Badges(tuple(self.record(b) for b in held[:MAX_ARRAY]))
        return Outcome([listed], statements=statements)

    def record(self, badge: IssuedBadge) -> Badge:
        achievement = self.achievements.get(badge.achievement_id)
        name = achievement.name if achievement else Text(badge.achievement_id, badge.achievement_id)
        return Badge(
            credential_id=badge.credential_id,
            achievement=badge.achievement_id,
            kind=badge.kind,
            name=name,
            issued_at=int(badge.issued_at),
            revoked=badge.revoked_at is not None,
        )
