"""JSON Schema of the scene format, so authors' editors complete and check the TOML.

The loader stays the authority (it also checks geometry and references, which a schema cannot);
a test keeps the two in step by validating the shipped scene and the loader's key sets.
"""

from __future__ import annotations

from typing import Any

from srichan_world.scene.model import LANDMARK_KINDS, MARKINGS, QUEST_ORDERS

SCHEMA_ID = "https://srichan.world/schema/scene-1.json"


def _text(max_len: int) -> dict[str, Any]:
    s = {"type": "string", "minLength": 1, "maxLength": max_len}
    return {
        "type": "object",
        "description": "Visitor-facing text, Thai first and English second.",
        "properties": {"th": s, "en": s},
        "required": ["th", "en"],
        "additionalProperties": False,
    }


def _num(
    lo: float | None = None, hi: float | None = None, exclusive: bool = False
) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "number"}
    if lo is not None:
        s["exclusiveMinimum" if exclusive else "minimum"] = lo
    if hi is not None:
        s["maximum"] = hi
    return s


def _int(lo: int, hi: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": lo, "maximum": hi}


def _obj(props: dict[str, Any], required: list[str], description: str = "") -> dict[str, Any]:
    s = {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    if description:
        s["description"] = description
    return s


SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,47}$"}
COLOR = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}
POINT = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}


def scene_schema() -> dict[str, Any]:
    landmark = _obj(
        {
            "id": SLUG,
            "kind": {"enum": list(LANDMARK_KINDS)},
            "name": _text(80),
            "description": _text(400),
            "station": _num(0),
            "side": {"enum": ["north", "south", "across"]},
            "setback": _num(0, 500),
            "width": _num(1, 300),
            "depth": _num(1, 300),
            "height": _num(3, 300),
            "storeys": _int(1, 80),
            "highlight": {"type": "boolean"},
            "colors": _obj({"primary": COLOR, "secondary": COLOR, "roof": COLOR}, []),
            "model": {
                "type": "string",
                "pattern": "\\.(glb|gltf|GLB|GLTF)$",
                "description": "An artist's glTF/GLB relative to the scene file, fitted to the "
                "footprint; absent: the procedural builder for the kind.",
            },
            "model_up": {"enum": ["y", "z"]},
        },
        [
            "id",
            "kind",
            "name",
            "description",
            "station",
            "side",
            "width",
            "depth",
            "height",
            "colors",
        ],
        "A landmark, in order along the road.",
    )
    quiz = _obj(
        {
            "id": SLUG,
            "landmark": SLUG,
            "station": _num(0),
            "offset": _num(),
            "radius": _num(1, 15),
            "reward": _int(1, 1000),
            "question": _text(400),
            "choices": {"type": "array", "items": _text(160), "minItems": 3, "maxItems": 4},
            "correct": _int(0, 3),
            "explanation": _text(600),
            "attempts": _int(1, 100),
            "cooldown_s": _num(0, 86400),
        },
        [
            "id",
            "landmark",
            "station",
            "offset",
            "radius",
            "reward",
            "question",
            "choices",
            "correct",
            "explanation",
        ],
        "A quiz point: stepping inside its radius opens the question.",
    )
    step = {
        "oneOf": [
            _obj({"quiz": SLUG}, ["quiz"]),
            _obj({"visit": SLUG}, ["visit"]),
        ]
    }
    quest = _obj(
        {
            "id": SLUG,
            "title": _text(80),
            "description": _text(400),
            "order": {"enum": list(QUEST_ORDERS)},
            "bonus": _int(0, 5000),
            "steps": {"type": "array", "items": step, "minItems": 2},
        },
        ["id", "title", "description", "order", "bonus", "steps"],
    )
    lesson = _obj(
        {
            "id": SLUG,
            "title": _text(80),
            "text": _text(1200),
            "image": {
                "type": "string",
                "pattern": "\\.(png|jpg|jpeg|webp|PNG|JPG|JPEG|WEBP)$",
                "description": "A PNG, JPEG or WebP (≤ 500 KB) relative to the scene file.",
            },
            "image_alt": _text(200),
        },
        ["id", "title", "text"],
        "A short reading of the course.",
    )
    course = _obj(
        {
            "id": SLUG,
            "title": _text(80),
            "description": _text(400),
            "order": {"enum": list(QUEST_ORDERS)},
            "lessons": {"type": "array", "items": lesson, "minItems": 1, "maxItems": 12},
            "quests": {"type": "array", "items": SLUG, "maxItems": 12},
        },
        ["id", "title", "description", "lessons"],
        "Lessons to read and quests to complete; done when all are (docs/learning.md).",
    )
    booth = _obj(
        {
            "id": {"type": "string", "pattern": "^B[0-9]{2}$"},
            "station": _num(0),
            "offset": _num(),
            "facing": _num(-360, 360),
            "width": _num(1, 8),
            "depth": _num(1, 8),
        },
        ["id", "station", "offset", "facing", "width", "depth"],
    )
    spawn = _obj(
        {"id": SLUG, "station": _num(0), "offset": _num(), "heading": _num(-360, 360)},
        ["id", "station", "offset", "heading"],
    )
    when = {
        "description": "Bangkok local date and time, a TOML local date-time such as "
        "2027-03-13T09:00:00 (or one with an offset)."
    }
    event = _obj(
        {
            "id": SLUG,
            "title": _text(120),
            "description": _text(600),
            "host": _text(120),
            "starts": when,
            "ends": when,
            "landmark": SLUG,
            "point": POINT,
            "quiz_points": {"type": "array", "items": SLUG},
            "quest": SLUG,
            "bonus": _int(0, 1000),
            "capacity": _int(1, 100_000),
            "cancelled": {"type": "boolean"},
        },
        [
            "id",
            "title",
            "description",
            "host",
            "starts",
            "ends",
            "landmark",
            "quiz_points",
            "bonus",
            "capacity",
        ],
        "A scheduled learning activity: its quiz points appear and pay only in its window.",
    )
    street = _obj(
        {
            "centreline": {"type": "array", "items": POINT, "minItems": 2},
            "lanes": _int(1, 8),
            "lane_width": _num(0, 10, True),
            "sidewalk_width": _num(0, 20, True),
            "walkable_half_width": _num(0, 500, True),
            "markings": {"enum": list(MARKINGS)},
            "tree_spacing": _num(0, 1000),
            "lamp_spacing": _num(0, 1000),
            "interest_cell": _num(4, 1000),
        },
        [
            "centreline",
            "lanes",
            "lane_width",
            "sidewalk_width",
            "walkable_half_width",
            "interest_cell",
        ],
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Sri Chan World scene description",
        "description": "See docs/scene-format.md. Lengths in metres, angles in degrees.",
        **_obj(
            {
                "scene": _obj({"id": SLUG, "title": _text(80)}, ["id", "title"]),
                "budget": _obj(
                    {
                        "max_triangles": _int(1, 10**7),
                        "max_materials": _int(1, 1024),
                        "max_glb_bytes": _int(1, 10**9),
                        "max_model_triangles": _int(1, 10**7),
                        "max_model_materials": _int(1, 1024),
                        "max_texture_size": _int(1, 16384),
                    },
                    [],
                ),
                "policy": _obj(
                    {
                        "quiz_attempts": _int(1, 100),
                        "quiz_cooldown_s": _num(0, 86400),
                        "daily_earn_cap": _int(1, 10**6),
                    },
                    [],
                ),
                "street": street,
                "landmarks": {"type": "array", "items": landmark, "minItems": 1},
                "quiz_points": {"type": "array", "items": quiz},
                "quests": {"type": "array", "items": quest},
                "booth_slots": {"type": "array", "items": booth},
                "spawn_points": {"type": "array", "items": spawn, "minItems": 1},
                "courses": {"type": "array", "items": course},
                "events": {"type": "array", "items": event},
            },
            [
                "scene",
                "street",
                "landmarks",
                "quiz_points",
                "quests",
                "booth_slots",
                "spawn_points",
            ],
        ),
    }
