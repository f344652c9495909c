"""The learning content of a scene, as the rules need it: quiz points with their answers,
quests, courses, landmark footprints and the policy.

The server does not load the scene description; it holds the compiled scene: the public
manifest (what browsers download, parsed into a :class:`Manifest`) and the server-only
answers. :meth:`LearningContent.from_compiled` joins the two back into the scene's own
dataclasses, so the rules see the same :class:`QuizPoint` whether a test built it from TOML or
the server read it from a build, and a quiz's version (a hash of its text) is the same either
way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from srichan_world.scene.geometry import Polygon
from srichan_world.scene.manifest import Manifest, PublicQuiz
from srichan_world.scene.model import Course, Event, Policy, Quest, QuizPoint, Scene, Text


@dataclass(frozen=True)
class LearningContent:
    quiz_points: tuple[QuizPoint, ...]
    quests: tuple[Quest, ...]
    footprints: Mapping[str, tuple[Polygon, ...]]
    """Each landmark id with its footprint polygons: what a visit is measured against."""
    policy: Policy
    courses: tuple[Course, ...] = ()
    events: tuple[Event, ...] = ()
    """As the scene authored them (operators' changes come from the store)."""

    @classmethod
    def from_scene(cls, scene: Scene) -> LearningContent:
        return cls(
            quiz_points=scene.quiz_points,
            quests=scene.quests,
            footprints={lm.id: lm.footprints for lm in scene.landmarks},
            policy=scene.policy,
            courses=scene.courses,
            events=scene.events,
        )

    @classmethod
    def from_compiled(cls, manifest: Manifest, answers: Mapping[str, Any]) -> LearningContent:
        """Join a parsed manifest and its answers; ``ValueError`` names any quiz left
        without an answer."""
        try:
            graded = answers["quiz_points"]
            quiz_points = tuple(_quiz_point(q, graded) for q in manifest.quiz_points)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"compiled scene lacks answers: {exc!r}") from None
        return cls(
            quiz_points=quiz_points,
            quests=manifest.quests,
            footprints={lm.id: lm.footprints for lm in manifest.landmarks},
            policy=manifest.policy,
            courses=manifest.courses,
            events=manifest.events,
        )


def _text(data: Mapping[str, str]) -> Text:
    return Text(th=data["th"], en=data["en"])


def _quiz_point(quiz: PublicQuiz, graded: Mapping[str, Any]) -> QuizPoint:
    if quiz.id not in graded:
        raise ValueError(f"no answer for quiz point {quiz.id!r}")
    answer = graded[quiz.id]
    return QuizPoint(
        id=quiz.id,
        landmark=quiz.landmark,
        station=0.0,  # placement inputs; the rules use the placed position only
        offset=0.0,
        radius=quiz.radius,
        reward=quiz.reward,
        question=quiz.question,
        choices=quiz.choices,
        correct=int(answer["correct"]),
        explanation=_text(answer["explanation"]),
        attempts=quiz.attempts,
        cooldown_s=quiz.cooldown_s,
        position=quiz.position,
    )
