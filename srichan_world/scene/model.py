"""The scene model: what a content author describes, as frozen dataclasses.

Built only by :mod:`srichan_world.scene.load`, which validates everything first, so code that
receives a :class:`Scene` may trust it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from srichan_world.scene.geometry import InterestGrid, Point, Polygon, Polyline, Walkable

LANDMARK_KINDS = ("gate", "shrine", "tower", "mall", "museum", "office", "market")
SIDES = ("north", "south", "across")
MARKINGS = ("dashed", "solid", "double", "none")
QUEST_ORDERS = ("ordered", "free")
STEP_KINDS = ("quiz", "visit")
MODEL_SUFFIXES = (".glb", ".gltf")
UP_AXES = ("y", "z")


@dataclass(frozen=True)
class Text:
    """Visitor-facing text: Thai first, English second."""

    th: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"th": self.th, "en": self.en}


@dataclass(frozen=True)
class Budget:
    max_triangles: int = 50_000
    max_materials: int = 32
    max_glb_bytes: int = 3_000_000
    max_model_triangles: int = 20_000
    """Per imported landmark model."""
    max_model_materials: int = 8
    max_texture_size: int = 2048
    """Longest side, in pixels, of any texture of an imported model."""


@dataclass(frozen=True)
class Policy:
    quiz_attempts: int = 3
    quiz_cooldown_s: float = 30.0
    daily_earn_cap: int = 500


@dataclass(frozen=True)
class Street:
    centreline: Polyline
    lanes: int
    lane_width: float
    sidewalk_width: float
    walkable_half_width: float
    markings: str
    tree_spacing: float
    lamp_spacing: float
    interest_cell: float

    @property
    def carriageway_half(self) -> float:
        return self.lanes * self.lane_width / 2

    @property
    def paved_half(self) -> float:
        """Carriageway plus one sidewalk: nothing may be built inside this band."""
        return self.carriageway_half + self.sidewalk_width


@dataclass(frozen=True)
class Colors:
    primary: str
    secondary: str
    roof: str


@dataclass(frozen=True)
class Landmark:
    id: str
    kind: str
    name: Text
    description: Text
    station: float
    side: str
    setback: float
    width: float
    depth: float
    height: float
    storeys: int
    highlight: bool
    colors: Colors
    model: str = ""
    """An artist's glTF/GLB, relative to the scene file; ``""``: the procedural builder."""
    model_up: str = "y"
    """The model's up axis: ``"y"`` (glTF's) or ``"z"`` (some exporters')."""
    position: Point = (0.0, 0.0)
    heading: float = 0.0
    footprints: tuple[Polygon, ...] = ()


@dataclass(frozen=True)
class QuizPoint:
    id: str
    landmark: str
    station: float
    offset: float
    radius: float
    reward: int
    question: Text
    choices: tuple[Text, ...]
    correct: int
    explanation: Text
    attempts: int
    cooldown_s: float
    position: Point = (0.0, 0.0)


@dataclass(frozen=True)
class QuestStep:
    kind: str  # one of STEP_KINDS
    target: str


@dataclass(frozen=True)
class Quest:
    id: str
    title: Text
    description: Text
    order: str
    bonus: int
    steps: tuple[QuestStep, ...]


@dataclass(frozen=True)
class Lesson:
    """A short reading of a course, Thai first; the visitor marks it read."""

    id: str
    title: Text
    text: Text
    image: str = ""
    """In a scene, a PNG/JPEG/WebP path relative to the scene file; in a compiled manifest, the
    built file's name (``lesson-<hash>.<ext>``, served at ``/scene/images/``); ``""``: none."""
    image_alt: Text = Text("", "")


@dataclass(frozen=True)
class Course:
    """Lessons to read and quests of the scene to complete; done when all are."""

    id: str
    title: Text
    description: Text
    order: str  # one of QUEST_ORDERS: "ordered" lessons open one after another
    lessons: tuple[Lesson, ...]
    quests: tuple[str, ...]
    """Quest ids of the scene, in the order the course suggests them."""


@dataclass(frozen=True)
class BoothSlot:
    id: str
    station: float
    offset: float
    facing: float
    width: float
    depth: float
    position: Point = (0.0, 0.0)
    footprint: Polygon = ()


@dataclass(frozen=True)
class SpawnPoint:
    id: str
    station: float
    offset: float
    heading: float
    position: Point = (0.0, 0.0)


@dataclass(frozen=True)
class Event:
    """A scheduled learning activity: its quiz points appear and pay only from ``starts`` to
    ``ends`` (Unix seconds, UTC instants; authored in Bangkok time). See docs/learning.md."""

    id: str
    title: Text
    description: Text
    host: Text
    """The organisation that runs it, e.g. the Living Museum (พิพิธภัณฑ์มีชีวิต)."""
    starts: float
    ends: float
    landmark: str
    quiz_points: tuple[str, ...]
    bonus: int
    """Tokens paid once per visitor on attending (the first event quiz point opened)."""
    capacity: int
    """How many visitors may attend."""
    quest: str = ""
    point: Point | None = None
    """Where on the plane it takes place; ``None``: at its landmark."""
    cancelled: bool = False
    position: Point = (0.0, 0.0)
    """Placed: ``point``, or the landmark's position."""


@dataclass(frozen=True)
class Scene:
    id: str
    title: Text
    budget: Budget
    policy: Policy
    street: Street
    landmarks: tuple[Landmark, ...]
    quiz_points: tuple[QuizPoint, ...]
    quests: tuple[Quest, ...]
    booth_slots: tuple[BoothSlot, ...]
    spawn_points: tuple[SpawnPoint, ...]
    events: tuple[Event, ...] = ()
    walkable: Walkable = field(default=Walkable((), ()))
    grid: InterestGrid = field(default=InterestGrid((0.0, 0.0), 1.0, 1, 1))
    courses: tuple[Course, ...] = ()
