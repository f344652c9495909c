"""Read a parsed TOML document into an unplaced :class:`Scene`, recording every fault.

Parsing never stops at the first error: each fault becomes a :class:`Problem` with the path of
the value at fault, a harmless value stands in, and reading carries on. The placing and the
cross-checks (:mod:`srichan_world.scene.checks`) then run over whatever was read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

from srichan_world.scene.events import EVENT_KEYS, EVENT_REQUIRED, instant
from srichan_world.scene.geometry import Polyline
from srichan_world.scene.model import (
    LANDMARK_KINDS,
    MARKINGS,
    MODEL_SUFFIXES,
    QUEST_ORDERS,
    SIDES,
    STEP_KINDS,
    UP_AXES,
    BoothSlot,
    Budget,
    Colors,
    Event,
    Landmark,
    Policy,
    Quest,
    QuestStep,
    QuizPoint,
    Scene,
    SpawnPoint,
    Street,
    Text,
)
from srichan_world.scene.problems import Problem, nearest

T = TypeVar("T")

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
BOOTH_ID = re.compile(r"^B[0-9]{2}$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str, did_you_mean: str = "") -> None:
        self.problems.append(Problem(path, message, did_you_mean=did_you_mean))

    # -- primitives -------------------------------------------------------------------------

    def table(self, data: Any, path: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.fail(path, "must be a table")
            return {}
        for key in sorted(set(data) - allowed):
            self.fail(f"{path}.{key}" if path else key, "unknown key", nearest(key, allowed))
        for key in sorted(required - set(data)):
            self.fail(f"{path}.{key}" if path else key, "is required")
        return data

    def number(
        self,
        data: dict[str, Any],
        key: str,
        path: str,
        default: float | None = None,
        lo: float | None = None,
        hi: float | None = None,
        lo_open: bool = False,
    ) -> float:
        where = f"{path}.{key}"
        value = data.get(key, default)
        if value is None:
            return 0.0 if default is None else default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.fail(where, "must be a finite number")
            return 0.0 if default is None else default
        if lo is not None and (value <= lo if lo_open else value < lo):
            self.fail(where, f"must be {'>' if lo_open else '>='} {lo:g}")
        if hi is not None and value > hi:
            self.fail(where, f"must be <= {hi:g}")
        return float(value)

    def integer(
        self,
        data: dict[str, Any],
        key: str,
        path: str,
        default: int | None = None,
        lo: int = 0,
        hi: int = 0,
    ) -> int:
        where = f"{path}.{key}"
        value = data.get(key, default)
        if value is None:
            return 0 if default is None else default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, "must be a whole number")
            return lo
        if not lo <= value <= hi:
            self.fail(where, f"must be between {lo} and {hi}")
        return value

    def string(
        self, data: dict[str, Any], key: str, path: str, choices: tuple[str, ...] = ()
    ) -> str:
        where = f"{path}.{key}"
        value = data.get(key, "")
        if not isinstance(value, str):
            self.fail(where, "must be a string")
            return ""
        if choices and value not in choices:
            self.fail(where, f"must be one of {', '.join(choices)}", nearest(value, choices))
        return value

    def slug(
        self, data: dict[str, Any], key: str, path: str, pattern: re.Pattern[str] = SLUG
    ) -> str:
        value = self.string(data, key, path)
        if value and not pattern.match(value):
            self.fail(f"{path}.{key}", f"must match {pattern.pattern}")
        return value

    def text(self, data: dict[str, Any], key: str, path: str, max_len: int = 600) -> Text:
        where = f"{path}.{key}"
        value = data.get(key)
        if value is None:
            return Text("", "")
        if not isinstance(value, dict):
            self.fail(where, "must be a table { th = …, en = … }")
            return Text("", "")
        return self.bilingual(value, where, max_len)

    def bilingual(
        self, value: dict[str, Any], where: str, max_len: int, thai_script: bool = True
    ) -> Text:
        """``thai_script`` catches English pasted into the Thai field; short choices such as
        a year (2567) legitimately have none."""
        self.table(value, where, {"th", "en"}, set())
        parts = {}
        for lang, label in (("th", "Thai"), ("en", "English")):
            s = value.get(lang, "")
            if not isinstance(s, str) or not s.strip():
                self.fail(f"{where}.{lang}", f"missing {label} text")
                s = ""
            elif len(s) > max_len:
                self.fail(f"{where}.{lang}", f"longer than {max_len} characters")
            elif CONTROL.search(s):
                self.fail(f"{where}.{lang}", "contains control characters")
            parts[lang] = s.strip()
        if thai_script and parts["th"] and not re.search("[\u0e00-\u0e7f]", parts["th"]):
            self.fail(f"{where}.th", "Thai text has no Thai characters")
        return Text(parts["th"], parts["en"])

    def array(self, data: dict[str, Any], key: str, path: str) -> list[Any]:
        value = data.get(key, [])
        if not isinstance(value, list):
            self.fail(f"{path}.{key}" if path else key, "must be an array")
            return []
        return value

    def each(self, data: dict[str, Any], key: str, read: Callable[[Any, str], T]) -> tuple[T, ...]:
        """Every item of the top-level array ``key``, read with its path (``key[i]``)."""
        return tuple(read(x, f"{key}[{i}]") for i, x in enumerate(self.array(data, key, "")))

    # -- sections ---------------------------------------------------------------------------

    def scene(self, data: dict[str, Any]) -> Scene:
        top = self.table(
            data,
            "",
            {
                "scene",
                "budget",
                "policy",
                "street",
                "landmarks",
                "quiz_points",
                "quests",
                "booth_slots",
                "spawn_points",
                "courses",
                "events",
            },
            {
                "scene",
                "street",
                "landmarks",
                "quiz_points",
                "quests",
                "booth_slots",
                "spawn_points",
            },
        )
        head = self.table(top.get("scene", {}), "scene", {"id", "title"}, {"id", "title"})
        return Scene(
            id=self.slug(head, "id", "scene"),
            title=self.text(head, "title", "scene", 80),
            budget=self.budget(top.get("budget", {})),
            policy=self.policy(top.get("policy", {})),
            street=self.street(top.get("street", {})),
            landmarks=self.each(top, "landmarks", self.landmark),
            quiz_points=self.each(top, "quiz_points", self.quiz_point),
            quests=self.each(top, "quests", self.quest),
            booth_slots=self.each(top, "booth_slots", self.booth),
            spawn_points=self.each(top, "spawn_points", self.spawn),
            events=self.each(top, "events", self.event),
        )

    def budget(self, data: Any) -> Budget:
        keys = {
            "max_triangles",
            "max_materials",
            "max_glb_bytes",
            "max_model_triangles",
            "max_model_materials",
            "max_texture_size",
        }
        d = self.table(data, "budget", keys, set())
        b = Budget()
        return Budget(
            max_triangles=self.integer(d, "max_triangles", "budget", b.max_triangles, 1, 10**7),
            max_materials=self.integer(d, "max_materials", "budget", b.max_materials, 1, 1024),
            max_glb_bytes=self.integer(d, "max_glb_bytes", "budget", b.max_glb_bytes, 1, 10**9),
            max_model_triangles=self.integer(
                d, "max_model_triangles", "budget", b.max_model_triangles, 1, 10**7
            ),
            max_model_materials=self.integer(
                d, "max_model_materials", "budget", b.max_model_materials, 1, 1024
            ),
            max_texture_size=self.integer(
                d, "max_texture_size", "budget", b.max_texture_size, 1, 16384
            ),
        )

    def policy(self, data: Any) -> Policy:
        d = self.table(
            data, "policy", {"quiz_attempts", "quiz_cooldown_s", "daily_earn_cap"}, set()
        )
        p = Policy()
        return Policy(
            quiz_attempts=self.integer(d, "quiz_attempts", "policy", p.quiz_attempts, 1, 100),
            quiz_cooldown_s=self.number(
                d, "quiz_cooldown_s", "policy", p.quiz_cooldown_s, 0, 86400
            ),
            daily_earn_cap=self.integer(d, "daily_earn_cap", "policy", p.daily_earn_cap, 1, 10**6),
        )

    def street(self, data: Any) -> Street:
        keys = {
            "centreline",
            "lanes",
            "lane_width",
            "sidewalk_width",
            "walkable_half_width",
            "markings",
            "tree_spacing",
            "lamp_spacing",
            "interest_cell",
        }
        d = self.table(data, "street", keys, keys - {"markings", "tree_spacing", "lamp_spacing"})
        points: list[tuple[float, float]] = []
        raw = d.get("centreline", [])
        if not isinstance(raw, list) or len(raw) < 2:
            self.fail("street.centreline", "must be an array of at least 2 [x, z] points")
        else:
            for i, p in enumerate(raw):
                ok = (
                    isinstance(p, list)
                    and len(p) == 2
                    and all(
                        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                        for v in p
                    )
                )
                if not ok:
                    self.fail(f"street.centreline[{i}]", "must be [x, z] finite numbers")
                    continue
                if points and math.dist(points[-1], (p[0], p[1])) < 0.01:
                    self.fail(f"street.centreline[{i}]", "repeats the previous point")
                    continue
                points.append((float(p[0]), float(p[1])))
        if len(points) < 2:
            points = [(0.0, 0.0), (1.0, 0.0)]
        return Street(
            centreline=Polyline(tuple(points)),
            lanes=self.integer(d, "lanes", "street", 2, 1, 8),
            lane_width=self.number(d, "lane_width", "street", 3.0, 0, 10, lo_open=True),
            sidewalk_width=self.number(d, "sidewalk_width", "street", 2.0, 0, 20, lo_open=True),
            walkable_half_width=self.number(
                d, "walkable_half_width", "street", 20.0, 0, 500, lo_open=True
            ),
            markings=self.string({"markings": "dashed"} | d, "markings", "street", MARKINGS),
            tree_spacing=self.number(d, "tree_spacing", "street", 0.0, 0, 1000),
            lamp_spacing=self.number(d, "lamp_spacing", "street", 0.0, 0, 1000),
            interest_cell=self.number(d, "interest_cell", "street", 32.0, 4, 1000),
        )

    def landmark(self, data: Any, path: str) -> Landmark:
        keys = {
            "id",
            "kind",
            "name",
            "description",
            "station",
            "side",
            "setback",
            "width",
            "depth",
            "height",
            "storeys",
            "highlight",
            "colors",
            "model",
            "model_up",
        }
        optional = {"highlight", "setback", "storeys", "model", "model_up"}
        d = self.table(data, path, keys, keys - optional)
        colors = self.table(
            d.get("colors", {}), f"{path}.colors", {"primary", "secondary", "roof"}, set()
        )
        palette = {}
        for key, default in (("primary", "#cccccc"), ("secondary", "#999999"), ("roof", "#666666")):
            value = colors.get(key, default)
            if not isinstance(value, str) or not COLOR.match(value):
                self.fail(f"{path}.colors.{key}", "must be a colour like #a1b2c3")
                value = default
            palette[key] = value.lower()
        highlight = d.get("highlight", False)
        if not isinstance(highlight, bool):
            self.fail(f"{path}.highlight", "must be true or false")
            highlight = False
        return Landmark(
            id=self.slug(d, "id", path),
            kind=self.string(d, "kind", path, LANDMARK_KINDS),
            name=self.text(d, "name", path, 80),
            description=self.text(d, "description", path, 400),
            station=self.number(d, "station", path, 0.0, 0),
            side=self.string(d, "side", path, SIDES),
            setback=self.number(d, "setback", path, 0.0, 0, 500),
            width=self.number(d, "width", path, 1.0, 1, 300),
            depth=self.number(d, "depth", path, 1.0, 1, 300),
            height=self.number(d, "height", path, 3.0, 3, 300),
            storeys=self.integer(d, "storeys", path, 1, 1, 80),
            highlight=highlight,
            colors=Colors(**palette),
            model=self.model_path(d, path),
            model_up=self.string({"model_up": "y"} | d, "model_up", path, UP_AXES),
        )

    def model_path(self, data: dict[str, Any], path: str) -> str:
        """A path relative to the scene file (``../assets/models/x.glb`` is fine), ending in
        .glb or .gltf."""
        value = self.string(data, "model", path)
        where = f"{path}.model"
        if not value:
            return ""
        if not value.lower().endswith(MODEL_SUFFIXES):
            self.fail(where, "must be a .glb or .gltf file")
        elif value.startswith(("/", "\\")) or ":" in value:
            self.fail(where, "must be a path relative to the scene file")
        return value

    def quiz_point(self, data: Any, path: str) -> QuizPoint:
        keys = {
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
            "attempts",
            "cooldown_s",
        }
        d = self.table(data, path, keys, keys - {"attempts", "cooldown_s"})
        raw_choices = self.array(d, "choices", path)
        if not 3 <= len(raw_choices) <= 4:
            self.fail(f"{path}.choices", "must have 3 or 4 choices")
        choices = []
        for i, c in enumerate(raw_choices):
            if isinstance(c, dict):
                choices.append(self.bilingual(c, f"{path}.choices[{i}]", 160, thai_script=False))
            else:
                self.fail(f"{path}.choices[{i}]", "must be a table { th = …, en = … }")
        correct = self.integer(d, "correct", path, 0, 0, 3)
        if choices and correct >= len(choices):
            self.fail(f"{path}.correct", f"is out of range: there are {len(choices)} choices")
        attempts = d.get("attempts")
        cooldown = d.get("cooldown_s")
        return QuizPoint(
            id=self.slug(d, "id", path),
            landmark=self.string(d, "landmark", path),
            station=self.number(d, "station", path, 0.0, 0),
            offset=self.number(d, "offset", path, 0.0),
            radius=self.number(d, "radius", path, 4.0, 1, 15),
            reward=self.integer(d, "reward", path, 1, 1, 1000),
            question=self.text(d, "question", path, 400),
            choices=tuple(choices),
            correct=correct,
            explanation=self.text(d, "explanation", path, 600),
            attempts=self.integer(d, "attempts", path, 0, 1, 100) if attempts is not None else 0,
            cooldown_s=self.number(d, "cooldown_s", path, 0, 0, 86400)
            if cooldown is not None
            else -1.0,
        )

    def quest(self, data: Any, path: str) -> Quest:
        keys = {"id", "title", "description", "order", "bonus", "steps"}
        d = self.table(data, path, keys, keys)
        steps = []
        raw = self.array(d, "steps", path)
        if len(raw) < 2:
            self.fail(f"{path}.steps", "must have at least 2 steps")
        for i, s in enumerate(raw):
            where = f"{path}.steps[{i}]"
            if not isinstance(s, dict) or len(s) != 1 or next(iter(s)) not in STEP_KINDS:
                self.fail(where, 'must be { quiz = "id" } or { visit = "id" }')
                continue
            kind, target = next(iter(s.items()))
            if not isinstance(target, str):
                self.fail(f"{where}.{kind}", "must be a string id")
                continue
            steps.append(QuestStep(kind, target))
        return Quest(
            id=self.slug(d, "id", path),
            title=self.text(d, "title", path, 80),
            description=self.text(d, "description", path, 400),
            order=self.string(d, "order", path, QUEST_ORDERS),
            bonus=self.integer(d, "bonus", path, 0, 0, 5000),
            steps=tuple(steps),
        )

    def booth(self, data: Any, path: str) -> BoothSlot:
        keys = {"id", "station", "offset", "facing", "width", "depth"}
        d = self.table(data, path, keys, keys)
        return BoothSlot(
            id=self.slug(d, "id", path, BOOTH_ID),
            station=self.number(d, "station", path, 0.0, 0),
            offset=self.number(d, "offset", path, 0.0),
            facing=self.number(d, "facing", path, 0.0, -360, 360),
            width=self.number(d, "width", path, 3.0, 1, 8),
            depth=self.number(d, "depth", path, 2.5, 1, 8),
        )

    def spawn(self, data: Any, path: str) -> SpawnPoint:
        keys = {"id", "station", "offset", "heading"}
        d = self.table(data, path, keys, keys)
        return SpawnPoint(
            id=self.slug(d, "id", path),
            station=self.number(d, "station", path, 0.0, 0),
            offset=self.number(d, "offset", path, 0.0),
            heading=self.number(d, "heading", path, 0.0, -360, 360),
        )

    def event(self, data: Any, path: str) -> Event:
        """An event as authors (TOML) and operators (JSON) write it: times in Bangkok time."""
        d = self.table(data, path, EVENT_KEYS, EVENT_REQUIRED)
        at = f"{path}." if path else ""
        times = []
        for key in ("starts", "ends"):
            value = instant(d.get(key, 0.0))
            if value is None or not math.isfinite(value):
                self.fail(f"{at}{key}", "must be a date and time, e.g. 2027-03-13T09:00:00")
                value = 0.0
            times.append(value)
        quiz_points = []
        for i, q in enumerate(self.array(d, "quiz_points", path)):
            if isinstance(q, str) and SLUG.match(q):
                quiz_points.append(q)
            else:
                self.fail(f"{at}quiz_points[{i}]", "must be a quiz point id")
        point = None
        if "point" in d:
            raw = d["point"]
            if (
                isinstance(raw, list)
                and len(raw) == 2
                and all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in raw
                )
            ):
                point = (float(raw[0]), float(raw[1]))
            else:
                self.fail(f"{at}point", "must be [x, z] finite numbers")
        cancelled = d.get("cancelled", False)
        if not isinstance(cancelled, bool):
            self.fail(f"{at}cancelled", "must be true or false")
            cancelled = False
        return Event(
            id=self.slug(d, "id", path),
            title=self.text(d, "title", path, 120),
            description=self.text(d, "description", path, 600),
            host=self.text(d, "host", path, 120),
            starts=times[0],
            ends=times[1],
            landmark=self.string(d, "landmark", path),
            quiz_points=tuple(quiz_points),
            bonus=self.integer(d, "bonus", path, 0, 0, 1000),
            capacity=self.integer(d, "capacity", path, 1, 1, 100_000),
            quest=self.string(d, "quest", path),
            point=point,
            cancelled=cancelled,
        )
