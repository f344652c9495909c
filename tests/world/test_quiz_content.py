"""Learning content read from a compiled scene matches the scene it was compiled from."""

from __future__ import annotations

import json

import pytest

from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, ManifestError, answers, public_manifest
from srichan_world.world.learning import LearningContent
from srichan_world.world.quests import quest_version
from srichan_world.world.quizzes import quiz_version


def compiled(text: str) -> tuple[Manifest, dict]:
    scene = load_scene_text(text)
    # Through JSON text, as the server reads the build from disk.
    manifest = Manifest.parse(json.loads(json.dumps(public_manifest(scene))))
    return manifest, json.loads(json.dumps(answers(scene)))


def test_the_compiled_scene_gives_the_same_quizzes_quests_and_policy(small_scene_text: str) -> None:
    scene = load_scene_text(small_scene_text)
    direct = LearningContent.from_scene(scene)
    built = LearningContent.from_compiled(*compiled(small_scene_text))
    assert [quiz_version(q) for q in built.quiz_points] == [
        quiz_version(q) for q in direct.quiz_points
    ]
    assert [quest_version(q) for q in built.quests] == [quest_version(q) for q in direct.quests]
    assert built.quests == direct.quests
    assert built.policy == direct.policy
    for a, b in zip(built.quiz_points, direct.quiz_points, strict=True):
        assert (a.id, a.correct, a.explanation, a.attempts, a.cooldown_s, a.reward) == (
            b.id,
            b.correct,
            b.explanation,
            b.attempts,
            b.cooldown_s,
            b.reward,
        )
        assert a.position == pytest.approx(b.position, abs=0.01)
    assert set(built.footprints) == set(direct.footprints)
    assert any(q.question.th for q in built.quiz_points)


def test_the_real_street_compiles_to_learning_content(srichan_scene_text: str) -> None:
    content = LearningContent.from_compiled(*compiled(srichan_scene_text))
    assert content.quiz_points and content.quests
    assert "treasury-museum" in content.footprints, "the highlight can be visited"


def test_a_quiz_without_its_answer_is_refused_by_name(small_scene_text: str) -> None:
    manifest, graded = compiled(small_scene_text)
    missing = manifest.quiz_points[0].id
    del graded["quiz_points"][missing]
    with pytest.raises(ValueError, match=missing):
        LearningContent.from_compiled(manifest, graded)


def test_a_manifest_without_learning_sections_is_refused(small_scene_text: str) -> None:
    manifest = json.loads(json.dumps(public_manifest(load_scene_text(small_scene_text))))
    del manifest["quests"]
    with pytest.raises(ManifestError, match="quests: missing"):
        Manifest.parse(manifest)
