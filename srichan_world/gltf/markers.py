"""Game data riding on empty glTF nodes, the way OMI_spawn_point and Mozilla Hubs do it.

Every quiz point, booth slot, spawn point and landmark becomes a node without a mesh at its
place on the street, carrying its public data in ``extras.srichan`` (three.js: ``userData``).
Spawn points also carry the ``OMI_spawn_point`` extension. What a visitor must not see before
answering — a quiz's correct choice and its explanation — is never written here.

A quiz marker carries where and how the quiz triggers (landmark, radius, reward, attempts,
cooldown), not its question and choices: those reach the browser in the manifest and from the
server when the visitor steps in, so repeating them here only made every visitor download the
Thai and English quiz text twice (a seventh of the gzipped GLB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from srichan_world.gltf.landmarks import frame
from srichan_world.gltf.solids import placement
from srichan_world.scene.model import BoothSlot, Landmark, QuizPoint, Scene, SpawnPoint

NAMESPACE = "srichan"
SPAWN_EXTENSION = "OMI_spawn_point"


@dataclass(frozen=True)
class Marker:
    name: str
    matrix: np.ndarray
    """``(4, 4)`` placement; a yaw ``a`` turns the node's +Z (glTF "forward") to heading
    ``a - 90``, so a spawn point's +Z looks where its ``heading`` says."""
    extras: dict[str, Any]


def markers(scene: Scene) -> list[Marker]:
    """All marker nodes, grouped by type, each group in scene order."""
    return [
        *(_landmark(lm) for lm in scene.landmarks),
        *(_quiz(q) for q in scene.quiz_points),
        *(_booth(b) for b in scene.booth_slots),
        *(_spawn(s) for s in scene.spawn_points),
    ]


def scene_extras(scene: Scene) -> dict[str, Any]:
    return {NAMESPACE: {"type": "scene", "id": scene.id, "title": scene.title.to_json()}}


def _facing(x: float, z: float, heading: float) -> np.ndarray:
    return placement(x, z, heading + 90.0)


def _landmark(lm: Landmark) -> Marker:
    data = {
        "type": "landmark",
        "id": lm.id,
        "kind": lm.kind,
        "name": lm.name.to_json(),
        "highlight": lm.highlight,
        "height": lm.height,
    }
    return Marker(f"landmark_{lm.id}", frame(lm), {NAMESPACE: data})


def _quiz(q: QuizPoint) -> Marker:
    data = {
        "type": "quiz_point",
        "id": q.id,
        "landmark": q.landmark,
        "radius": q.radius,
        "reward": q.reward,
        "attempts": q.attempts,
        "cooldown_s": q.cooldown_s,
    }
    return Marker(f"quiz_{q.id}", placement(q.position[0], q.position[1], 0.0), {NAMESPACE: data})


def _booth(b: BoothSlot) -> Marker:
    data = {
        "type": "booth_slot",
        "id": b.id,
        "width": b.width,
        "depth": b.depth,
        "facing": b.facing,
    }
    return Marker(f"booth_{b.id}", _facing(*b.position, b.facing), {NAMESPACE: data})


def _spawn(s: SpawnPoint) -> Marker:
    extras = {
        NAMESPACE: {"type": "spawn_point", "id": s.id, "heading": s.heading},
        "gltf_extensions": {SPAWN_EXTENSION: {"title": s.id}},
    }
    return Marker(f"spawn_{s.id}", _facing(*s.position, s.heading), extras)
