"""What the compiled scene tells the world: the public manifest and the server-only answers.

The manifest is what browsers download, so it must never carry a quiz's correct choice; the
answers go in a separate document that only the server reads. Both are plain JSON values, so
the server and the browser need no scene code to use them.
"""

from __future__ import annotations

from typing import Any

from srichan_world.scene.geometry import InterestGrid, Walkable
from srichan_world.scene.model import Scene

MANIFEST_FORMAT = 1


def _r(value: float) -> float:
    """Centimetre precision is plenty for a manifest and keeps the JSON stable."""
    return round(value, 2) + 0.0


def _pt(p: tuple[float, float]) -> list[float]:
    return [_r(p[0]), _r(p[1])]


def public_manifest(scene: Scene) -> dict[str, Any]:
    """Everything a client may know about the scene; ``content_hash`` and ``glb`` are added by
    the compiler once the GLB exists."""
    return {
        "format": MANIFEST_FORMAT,
        "scene_id": scene.id,
        "title": scene.title.to_json(),
        "street": {
            "centreline": [_pt(p) for p in scene.street.centreline.points],
            "length": _r(scene.street.centreline.length),
            "lanes": scene.street.lanes,
            "lane_width": scene.street.lane_width,
            "sidewalk_width": scene.street.sidewalk_width,
            "walkable_half_width": scene.street.walkable_half_width,
        },
        "policy": {
            "quiz_attempts": scene.policy.quiz_attempts,
            "quiz_cooldown_s": scene.policy.quiz_cooldown_s,
            "daily_earn_cap": scene.policy.daily_earn_cap,
        },
        "walkable": {
            "corridor": [_pt(p) for p in scene.walkable.corridor],
            "obstacles": [[_pt(p) for p in o] for o in scene.walkable.obstacles],
        },
        "interest_grid": {
            "origin": _pt(scene.grid.origin),
            "cell": scene.grid.cell,
            "cols": scene.grid.cols,
            "rows": scene.grid.rows,
        },
        "landmarks": [
            {
                "id": lm.id,
                "kind": lm.kind,
                "name": lm.name.to_json(),
                "description": lm.description.to_json(),
                "station": lm.station,
                "side": lm.side,
                "position": _pt(lm.position),
                "heading": _r(lm.heading),
                "height": lm.height,
                "storeys": lm.storeys,
                "highlight": lm.highlight,
                "footprints": [[_pt(p) for p in f] for f in lm.footprints],
            }
            for lm in scene.landmarks
        ],
        "quiz_points": [
            {
                "id": q.id,
                "landmark": q.landmark,
                "position": _pt(q.position),
                "radius": q.radius,
                "reward": q.reward,
                "attempts": q.attempts,
                "cooldown_s": q.cooldown_s,
                "question": q.question.to_json(),
                "choices": [c.to_json() for c in q.choices],
            }
            for q in scene.quiz_points
        ],
        "quests": [
            {
                "id": quest.id,
                "title": quest.title.to_json(),
                "description": quest.description.to_json(),
                "order": quest.order,
                "bonus": quest.bonus,
                "steps": [{step.kind: step.target} for step in quest.steps],
            }
            for quest in scene.quests
        ],
        "booth_slots": [
            {
                "id": b.id,
                "position": _pt(b.position),
                "facing": b.facing,
                "width": b.width,
                "depth": b.depth,
            }
            for b in scene.booth_slots
        ],
        "spawn_points": [
            {"id": s.id, "position": _pt(s.position), "heading": s.heading}
            for s in scene.spawn_points
        ],
    }


def answers(scene: Scene) -> dict[str, Any]:
    """Server-only grading data: the correct choice and the explanation of every quiz point."""
    return {
        "format": MANIFEST_FORMAT,
        "scene_id": scene.id,
        "quiz_points": {
            q.id: {"correct": q.correct, "explanation": q.explanation.to_json()}
            for q in scene.quiz_points
        },
    }


def walkable_of(manifest: dict[str, Any]) -> Walkable:
    """Rebuild the walkable area from a manifest (the server's view of the street)."""
    return Walkable.from_json(manifest["walkable"])


def grid_of(manifest: dict[str, Any]) -> InterestGrid:
    return InterestGrid.from_json(manifest["interest_grid"])
