"""Marker nodes survive a round trip through a real glTF reader with their data, Thai text
intact, and the GLB never carries a quiz's answer or explanation."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
import trimesh

from srichan_world.gltf.compile import BuildResult
from srichan_world.gltf.stats import glb_json
from srichan_world.scene.model import Scene


def reload(glb: bytes) -> trimesh.Scene:
    return trimesh.load(io.BytesIO(glb), file_type="glb")


def node_data(scene: trimesh.Scene) -> dict[str, dict[str, Any]]:
    """``{node name: {"extras": …, "matrix": …}}`` for every node hanging off the root."""
    edges = scene.graph.transforms.edge_data
    return {child: data for (_, child), data in edges.items()}


def by_type(nodes: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    out = {}
    for data in nodes.values():
        payload = data.get("metadata", {}).get("srichan", {})
        if payload.get("type") == kind:
            out[payload["id"]] = {**data, "srichan": payload}
    return out


@pytest.fixture(scope="module")
def mini_nodes(mini_build: BuildResult) -> dict[str, dict[str, Any]]:
    return node_data(reload(mini_build.glb))


def test_every_quiz_point_is_a_node_with_its_public_data(
    mini_scene: Scene, mini_nodes: dict[str, dict[str, Any]]
) -> None:
    quiz = by_type(mini_nodes, "quiz_point")
    assert set(quiz) == {q.id for q in mini_scene.quiz_points}
    for q in mini_scene.quiz_points:
        data = quiz[q.id]["srichan"]
        assert data["landmark"] == q.landmark
        assert data["radius"] == q.radius and data["reward"] == q.reward
        assert data["question"] == {"th": q.question.th, "en": q.question.en}
        assert data["choices"] == [{"th": c.th, "en": c.en} for c in q.choices]
        assert data["question"]["th"].startswith("คำถามที่")
        x, _, z = quiz[q.id]["matrix"][:3, 3]
        assert (x, z) == pytest.approx(q.position, abs=1e-3)
        assert "correct" not in data and "explanation" not in data


def test_booth_slots_landmarks_and_spawns_are_nodes(
    mini_scene: Scene, mini_nodes: dict[str, dict[str, Any]]
) -> None:
    booths = by_type(mini_nodes, "booth_slot")
    assert set(booths) == {b.id for b in mini_scene.booth_slots}
    for b in mini_scene.booth_slots:
        assert booths[b.id]["srichan"]["width"] == b.width
        assert tuple(booths[b.id]["matrix"][[0, 2], 3]) == pytest.approx(b.position, abs=1e-3)

    landmarks = by_type(mini_nodes, "landmark")
    assert set(landmarks) == {lm.id for lm in mini_scene.landmarks}
    museum = landmarks["treasury-museum"]["srichan"]
    assert museum["kind"] == "museum" and museum["highlight"] is True
    assert museum["name"] == {"th": "พิพิธภัณฑ์ธนารักษ์", "en": "Treasury Museum"}

    spawns = by_type(mini_nodes, "spawn_point")
    assert set(spawns) == {s.id for s in mini_scene.spawn_points}
    for s in mini_scene.spawn_points:
        node = spawns[s.id]
        assert node["metadata"]["gltf_extensions"] == {"OMI_spawn_point": {"title": s.id}}
        # glTF "forward" is +Z: the spawn node's +Z must point along the spawn heading.
        forward = node["matrix"][:3, :3] @ [0.0, 0.0, 1.0]
        h = math.radians(s.heading)
        assert forward == pytest.approx([math.cos(h), 0.0, -math.sin(h)], abs=1e-6)


def test_marker_nodes_have_no_mesh_and_spawn_extension_is_declared(
    mini_build: BuildResult,
) -> None:
    doc = glb_json(mini_build.glb)
    markers = [n for n in doc["nodes"] if "srichan" in n.get("extras", {})]
    assert markers and all("mesh" not in n for n in markers)
    assert doc["extensionsUsed"] == ["OMI_spawn_point"]
    assert "extensionsRequired" not in doc, "a viewer that ignores spawn points must still load"
    spawns = [n for n in doc["nodes"] if "OMI_spawn_point" in n.get("extensions", {})]
    assert len(spawns) == 2


def test_scene_extras_carry_id_and_thai_title(mini_scene: Scene, mini_build: BuildResult) -> None:
    reloaded = reload(mini_build.glb)
    assert reloaded.metadata["srichan"] == {
        "type": "scene",
        "id": "mini-street",
        "title": {"th": "ถนนจำลอง", "en": "Mini street"},
    }


@pytest.mark.parametrize("which", ["mini", "srichan"])
def test_no_answer_or_explanation_anywhere_in_the_glb(which: str, request) -> None:
    scene: Scene = request.getfixturevalue(f"{which}_scene")
    glb: bytes = request.getfixturevalue(f"{which}_build").glb
    text = json.dumps(glb_json(glb), ensure_ascii=False)
    for key in ("correct", "explanation"):
        assert f'"{key}"'.encode() not in glb
        assert f'"{key}"' not in text
    for q in scene.quiz_points:
        for secret in (q.explanation.th, q.explanation.en):
            assert secret not in text
            assert secret.encode("utf-8") not in glb


def test_srichan_thai_text_round_trips(srichan_scene: Scene, srichan_build: BuildResult) -> None:
    nodes = node_data(reload(srichan_build.glb))
    quiz = by_type(nodes, "quiz_point")
    assert len(quiz) == len(srichan_scene.quiz_points)
    for q in srichan_scene.quiz_points:
        assert quiz[q.id]["srichan"]["question"]["th"] == q.question.th
    names = {k: v["srichan"]["name"]["th"] for k, v in by_type(nodes, "landmark").items()}
    assert names["treasury-museum"] == "พิพิธภัณฑ์ธนารักษ์"
