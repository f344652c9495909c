"""The learning content of a scene, as the rules need it: quiz points with their answers,
quests, landmark footprints and the policy.

The server does not load the scene description; it holds the compiled scene: the public
manifest (what browsers download) and the server-only answers. :meth:`LearningContent.
from_compiled` joins the two back into the scene's own dataclasses, so the rules see the same
:class:`QuizPoint` whether a test built it from TOML or the server read it from a build, and a
quiz's version (a hash of its text) is the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from srichan_world.scene.geometry import Polygon
from srichan_world.scene.model import Policy, Quest, QuestStep, QuizPoint, Scene, Text


@dataclass(frozen=True)
class LearningContent:
    quiz_points: tuple[QuizPoint, ...]
    quests: tuple[Quest, ...]
    footprints: Mapping[str, tuple[Polygon, ...]]
    """Each landmark id with its footprint polygons: what a visit is measured against."""
    policy: Policy

    @classmethod
    def from_scene(cls, scene: Scene) -> LearningContent:
        return cls(
            quiz_points=scene.quiz_points,
            quests=scene.quests,
            footprints={lm.id: lm.footprints for lm in scene.landmarks},
            policy=scene.policy,
        )

    @classmethod
    def from_compiled(
        cls, manifest: Mapping[str, Any], answers: Mapping[str, Any]
    ) -> LearningContent:
        """Join a compiled manifest and its answers; ``ValueError`` names anything missing."""
        try:
            graded = answers["quiz_points"]
            policy = manifest["policy"]
            quiz_points = tuple(_quiz_point(q, graded) for q in manifest["quiz_points"])
            quests = tuple(_quest(q) for q in manifest["quests"])
            footprints = {
                lm["id"]: tuple(tuple((float(x), float(z)) for x, z in f) for f in lm["footprints"])
                for lm in manifest["landmarks"]
            }
            return cls(
                quiz_points=quiz_points,
                quests=quests,
                footprints=footprints,
                policy=Policy(
                    quiz_attempts=int(policy["quiz_attempts"]),
                    quiz_cooldown_s=float(policy["quiz_cooldown_s"]),
                    daily_earn_cap=int(policy["daily_earn_cap"]),
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"compiled scene lacks learning content: {exc!r}") from None


def _text(data: Mapping[str, str]) -> Text:
    return Text(th=data["th"], en=data["en"])


def _quiz_point(data: Mapping[str, Any], graded: Mapping[str, Any]) -> QuizPoint:
    quiz_id = data["id"]
    if quiz_id not in graded:
        raise ValueError(f"no answer for quiz point {quiz_id!r}")
    answer = graded[quiz_id]
    x, z = data["position"]
    return QuizPoint(
        id=quiz_id,
        landmark=data["landmark"],
        station=0.0,  # placement inputs; the rules use the placed position only
        offset=0.0,
        radius=float(data["radius"]),
        reward=int(data["reward"]),
        question=_text(data["question"]),
        choices=tuple(_text(c) for c in data["choices"]),
        correct=int(answer["correct"]),
        explanation=_text(answer["explanation"]),
        attempts=int(data["attempts"]),
        cooldown_s=float(data["cooldown_s"]),
        position=(float(x), float(z)),
    )


def _quest(data: Mapping[str, Any]) -> Quest:
    steps = []
    for step in data["steps"]:
        ((kind, target),) = step.items()
        steps.append(QuestStep(kind, target))
    return Quest(
        id=data["id"],
        title=_text(data["title"]),
        description=_text(data["description"]),
        order=data["order"],
        bonus=int(data["bonus"]),
        steps=tuple(steps),
    )
