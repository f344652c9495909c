"""Marker nodes survive, in the lean GLB (after gltfpack) and in the fallback, with their data,
Thai text intact; the fallback round-trips through a real glTF reader (trimesh); no GLB ever
carries a quiz's answer or explanation."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pytest
import trimesh

from srichan_world.gltf.compile import BuildResult
from srichan_world.gltf.stats import glb_json
from srichan_world.scene.model import Scene


def reload(glb: bytes) -> trimesh.Scene:
    return trimesh.load(io.BytesIO(glb), file_type="glb")


def node_data(glb: bytes) -> dict[str, dict[str, Any]]:
    """``{node name: {"metadata": extras (+ "gltf_extensions"), "matrix": world (4, 4)}}`` for
    every named node, read from the glTF JSON as a browser would (any GLB, compressed or not)."""
    doc = glb_json(glb)
    nodes = doc["nodes"]
    out: dict[str, dict[str, Any]] = {}

    def walk(index: int, parent: np.ndarray) -> None:
        node = nodes[index]
        local = trimesh.transformations.quaternion_matrix(
            np.roll(node.get("rotation", [0, 0, 0, 1]), 1)
        )
        local[:3, :3] *= node.get("scale", [1, 1, 1])
        local[:3, 3] = node.get("translation", [0, 0, 0])
        world = parent @ local
        if "name" in node:
            metadata = dict(node.get("extras", {}))
            if "extensions" in node:
                metadata["gltf_extensions"] = node["extensions"]
            out[node["name"]] = {"metadata": metadata, "matrix": world}
        for child in node.get("children", []):
            walk(child, world)

    for root in doc["scenes"][doc.get("scene", 0)]["nodes"]:
        walk(root, np.eye(4))
    return out


def by_type(nodes: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    out = {}
    for data in nodes.values():
        payload = data.get("metadata", {}).get("srichan", {})
        if payload.get("type") == kind:
            out[payload["id"]] = {**data, "srichan": payload}
    return out


@pytest.fixture(scope="module", params=["glb", "fallback"])
def mini_nodes(mini_build: BuildResult, request) -> dict[str, dict[str, Any]]:
    return node_data(getattr(mini_build, request.param))


def test_the_fallback_round_trips_through_trimesh(mini_build: BuildResult) -> None:
    edges = reload(mini_build.fallback).graph.transforms.edge_data
    ours = node_data(mini_build.fallback)
    for (_, child), data in edges.items():
        if "metadata" in data and "srichan" in data["metadata"]:
            assert data["metadata"]["srichan"] == ours[child]["metadata"]["srichan"]
            assert data["matrix"] == pytest.approx(ours[child]["matrix"], abs=1e-6)


def test_every_quiz_point_is_a_node_with_its_public_data(
    mini_scene: Scene, mini_nodes: dict[str, dict[str, Any]]
) -> None:
    quiz = by_type(mini_nodes, "quiz_point")
    assert set(quiz) == {q.id for q in mini_scene.quiz_points}
    for q in mini_scene.quiz_points:
        data = quiz[q.id]["srichan"]
        assert data["landmark"] == q.landmark
        assert data["radius"] == q.radius and data["reward"] == q.reward
        assert (data["attempts"], data["cooldown_s"]) == (q.attempts, q.cooldown_s)
        # the texts travel once, in the manifest (markers.py explains why)
        assert "question" not in data and "choices" not in data
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


@pytest.mark.parametrize("which", ["glb", "fallback"])
def test_marker_nodes_have_no_mesh_and_spawn_extension_is_declared(
    mini_build: BuildResult, which: str
) -> None:
    doc = glb_json(getattr(mini_build, which))
    markers = [n for n in doc["nodes"] if "srichan" in n.get("extras", {})]
    assert markers and all("mesh" not in n for n in markers)
    assert "OMI_spawn_point" in doc["extensionsUsed"]
    assert "OMI_spawn_point" not in doc.get("extensionsRequired", []), (
        "a viewer that ignores spawn points must still load"
    )
    if which == "fallback":
        assert doc["extensionsUsed"] == ["KHR_materials_unlit", "OMI_spawn_point"]
        assert "extensionsRequired" not in doc, "the fallback needs no extension"
    spawns = [n for n in doc["nodes"] if "OMI_spawn_point" in n.get("extensions", {})]
    assert len(spawns) == 2


@pytest.mark.parametrize("which", ["glb", "fallback"])
def test_scene_extras_carry_id_and_thai_title(mini_build: BuildResult, which: str) -> None:
    doc = glb_json(getattr(mini_build, which))
    assert doc["scenes"][0]["extras"]["srichan"] == {
        "type": "scene",
        "id": "mini-street",
        "title": {"th": "ถนนจำลอง", "en": "Mini street"},
    }
    if which == "fallback":
        assert reload(mini_build.fallback).metadata["srichan"]["id"] == "mini-street"


@pytest.mark.parametrize("which", ["mini", "srichan"])
@pytest.mark.parametrize("kind", ["glb", "fallback"])
def test_no_answer_or_explanation_anywhere_in_the_glb(which: str, kind: str, request) -> None:
    scene: Scene = request.getfixturevalue(f"{which}_scene")
    glb: bytes = getattr(request.getfixturevalue(f"{which}_build"), kind)
    text = json.dumps(glb_json(glb), ensure_ascii=False)
    for key in ("correct", "explanation"):
        assert f'"{key}"'.encode() not in glb
        assert f'"{key}"' not in text
    for q in scene.quiz_points:
        for secret in (q.explanation.th, q.explanation.en):
            assert secret not in text
            assert secret.encode("utf-8") not in glb


def test_srichan_thai_text_round_trips(srichan_scene: Scene, srichan_build: BuildResult) -> None:
    nodes = node_data(srichan_build.glb)
    quiz = by_type(nodes, "quiz_point")
    assert len(quiz) == len(srichan_scene.quiz_points)
    for q in srichan_scene.quiz_points:
        assert quiz[q.id]["srichan"]["landmark"] == q.landmark
    names = {k: v["srichan"]["name"]["th"] for k, v in by_type(nodes, "landmark").items()}
    assert names["treasury-museum"] == "พิพิธภัณฑ์ธนารักษ์"
