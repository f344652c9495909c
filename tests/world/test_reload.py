"""Live reload without sockets: the nearest walkable spot, and a street switched under its
visitors (presence, quizzes, booths), driven as the pump drives it."""

from __future__ import annotations

import math
from typing import Any

import pytest

from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.codes import PROTOCOL_VERSION, ErrorCode
from srichan_world.protocol.messages import (
    MESSAGES,
    Correction,
    Error,
    Frame,
    Hello,
    Message,
    Move,
    QuizOpen,
    SceneChanged,
)
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, answers, public_manifest
from srichan_world.street.booths import BoothCounter
from srichan_world.street.learning import LearningDesk
from srichan_world.street.steps import ReadAttempts
from srichan_world.street.street import Apply, Street, StreetEffect
from srichan_world.world.learning import LearningContent
from srichan_world.world.presence import Frames, PresenceWorld, Send
from srichan_world.world.presence.relocate import nearest_walkable

ALL = frozenset(MESSAGES)
WALL = 1_778_300_000.0


# -- the rule ---------------------------------------------------------------------------------


def _outside_square(x: float, z: float) -> bool:
    """Everything is walkable but the square [0, 10] × [0, 10]."""
    return not (0 <= x <= 10 and 0 <= z <= 10)


def test_a_walkable_spot_is_kept_exactly() -> None:
    assert nearest_walkable(_outside_square, -3.0, 4.0) == (-3.0, 4.0)


@pytest.mark.parametrize(
    ("x", "z", "distance"),
    [(1.0, 5.0, 1.0), (5.0, 9.0, 1.0), (5.0, 5.0, 5.0), (9.5, 2.0, 0.5)],
)
def test_a_spot_inside_a_wall_goes_to_the_nearest_walkable_one(
    x: float, z: float, distance: float
) -> None:
    spot = nearest_walkable(_outside_square, x, z)
    assert spot is not None and _outside_square(*spot)
    moved = math.dist(spot, (x, z))
    assert distance <= moved <= distance + 0.25 + 1e-9, "the nearest, within one search step"


def test_nothing_walkable_within_reach_is_none() -> None:
    assert nearest_walkable(lambda _x, _z: False, 0.0, 0.0, max_m=5.0) is None


@pytest.mark.parametrize(("x", "step"), [(math.nan, 0.25), (1.0, 0.0), (math.inf, 0.25)])
def test_bad_arguments_are_refused(x: float, step: float) -> None:
    with pytest.raises(ValueError, match="step must be > 0"):
        nearest_walkable(_outside_square, x, 0.0, step=step)


# -- the street switched ------------------------------------------------------------------------


def _built(text: str) -> tuple[Manifest, dict[str, Any], LearningContent]:
    scene = load_scene_text(text)
    public = public_manifest(scene) | {"content_hash": "cd" * 32}
    manifest = Manifest.parse(public)
    return manifest, public, LearningContent.from_compiled(manifest, answers(scene))


class Walkers:
    """Plays the pump for a few sessions: their inboxes, and the store steps asked for."""

    def __init__(self, text: str) -> None:
        manifest, _public, content = _built(text)
        slots = {b.id: b.position for b in manifest.booth_slots}
        self.street = Street(PresenceWorld(manifest), LearningDesk(content), BoothCounter(slots))
        self.inbox: dict[int, list[Message]] = {}
        self.steps: list[tuple[int, object]] = []
        self.now = 0.0

    def take(self, effects: list[StreetEffect] | tuple[StreetEffect, ...]) -> None:
        for e in effects:
            if isinstance(e, Send):
                self.inbox.setdefault(e.session, []).append(decode(e.data, ALL, None))
            elif isinstance(e, Apply):
                self.steps.append((e.job, e.step))
            elif isinstance(e, Frames):
                for sid, data in e.items:
                    self.inbox.setdefault(sid, []).append(decode(data, ALL, None))

    def join(self, session: int) -> None:
        self.take(self.street.connect(session, self.now))
        self.send(session, Hello(PROTOCOL_VERSION, "แก่น", (1, 2, 3)))

    def send(self, session: int, message: Message) -> None:
        self.take(self.street.receive(session, encode(message), self.now, WALL))

    def walk_to(self, session: int, x: float, z: float) -> None:
        """Moves of at most 5 m a second, as a client walks."""
        view = self.street.world.view(session)
        assert view is not None
        start = (view.x, view.z)
        legs = max(1, math.ceil(math.dist(start, (x, z)) / 5.0))
        for i in range(1, legs + 1):
            self.now += 1.0
            px = start[0] + (x - start[0]) * i / legs
            pz = start[1] + (z - start[1]) * i / legs
            self.send(session, Move(px, pz, 0.0, 1))
        assert self.position(session) == pytest.approx((x, z))

    def position(self, session: int) -> tuple[float, float]:
        view = self.street.world.view(session)
        assert view is not None
        return (view.x, view.z)

    def got(self, session: int, kind: type[Message]) -> list[Any]:
        return [m for m in self.inbox.get(session, []) if isinstance(m, kind)]


def test_every_visitor_gets_the_new_street_and_one_off_the_ground_is_moved(
    small_scene_text: str,
) -> None:
    walkers = Walkers(small_scene_text)
    walkers.join(1)
    walkers.join(2)
    walkers.walk_to(1, 60.0, 0.0)  # through the gate, not through its pillar (moves are
    walkers.walk_to(1, 60.0, 27.0)  # checked along their way) to near the walkable band's edge
    narrow = small_scene_text.replace("walkable_half_width = 30.0", "walkable_half_width = 22.0")
    manifest, public, content = _built(narrow)

    walkers.take(walkers.street.switch(manifest, public, content))

    for session in (1, 2):
        (notice,) = walkers.got(session, SceneChanged)
        assert notice.content_hash == "cd" * 32 and notice.manifest == public
        assert notice.cid is None
    (moved,) = walkers.got(1, Correction)
    assert moved.reason == ErrorCode.OUT_OF_BOUNDS and moved.cid is None
    assert walkers.street.world.walk.contains(moved.x, moved.z)
    assert math.dist((60.0, 27.0), (moved.x, moved.z)) < 5.0 + 0.5, "the nearest walkable spot"
    assert walkers.position(1) == (moved.x, moved.z)
    assert walkers.got(2, Correction) == [], "a visitor on walkable ground stays put"

    walkers.take(walkers.street.tick(walkers.now))
    frame = walkers.got(2, Frame)[-1]
    assert frame.reset, "every observer gets a fresh view of the new street"
    me = walkers.street.world.sessions[1].avatar
    assert me is not None
    updates = {u.id: (u.x, u.z) for u in walkers.got(1, Frame)[-1].updates}
    assert updates[me.id] == (round(moved.x * 100), round(moved.z * 100)), "framed there"

    walkers.send(1, Move(moved.x + 1.0, moved.z, 0.0, 1))
    assert len(walkers.got(1, Correction)) == 1, "moving on from the new spot is accepted"


def test_quiz_points_removed_by_the_edit_stop_answering_and_new_ones_work(
    small_scene_text: str,
) -> None:
    walkers = Walkers(small_scene_text)
    walkers.join(1)
    walkers.street.learning._visitor_of[1] = "visitor-reload-1"  # entered (its steps elsewhere)
    edited = small_scene_text.replace('id = "q-gate-2"', 'id = "q-gate-new"')
    manifest, public, content = _built(edited)
    walkers.take(walkers.street.switch(manifest, public, content))

    walkers.send(1, QuizOpen("q-gate-2", cid=5))
    (error,) = walkers.got(1, Error)
    assert error.code == ErrorCode.UNKNOWN_QUIZ and error.cid == 5 and "q-gate-2" in error.message
    assert walkers.steps == []
    walkers.send(1, QuizOpen("q-gate-new", cid=6))
    assert [type(step) for _, step in walkers.steps] == [ReadAttempts], "the new one is asked"


def test_booth_slots_follow_the_new_build(small_scene_text: str) -> None:
    walkers = Walkers(small_scene_text)
    edited = small_scene_text.replace('id = "B01"', 'id = "B07"')
    manifest, public, content = _built(edited)
    walkers.street.switch(manifest, public, content)
    assert walkers.street.booths is not None and set(walkers.street.booths.slots) == {"B07"}


def test_a_smaller_grid_files_every_avatar_again(small_scene_text: str) -> None:
    walkers = Walkers(small_scene_text)
    walkers.join(1)
    walkers.walk_to(1, 150.0, 10.0)
    edited = small_scene_text.replace("interest_cell = 16.0", "interest_cell = 64.0")
    manifest, public, content = _built(edited)
    walkers.take(walkers.street.switch(manifest, public, content))
    world = walkers.street.world
    (avatar,) = world.avatars.values()
    assert avatar.id in world.cells[avatar.cell] and avatar.cell == world._cell_of(150.0, 10.0)
    walkers.take(walkers.street.tick(walkers.now))  # frames build on the new grid
    assert walkers.got(1, Frame)[-1].reset
