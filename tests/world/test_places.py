"""Where avatars appear on Sri Chan Road: the first quest's start, landmarks' arrival points,
jumps (``travel``) and one name on the avatar, without sockets."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.codes import PROTOCOL_VERSION, ErrorCode
from srichan_world.protocol.messages import MESSAGES, Error, Frame, Hello, Travel, Travelled
from srichan_world.scene.geometry import distance_to_polygon, point_in_polygon
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, public_manifest
from srichan_world.world.presence import Frames, PresenceSettings, PresenceWorld, Send
from srichan_world.world.presence.places import (
    ARRIVAL_CLEARANCE_M,
    arrival_points,
    first_target,
    heading_to,
    start_places,
)
from srichan_world.world.walkmap import WalkMap

ROOT = Path(__file__).resolve().parents[2]
ALL = frozenset(MESSAGES)


@pytest.fixture(scope="module")
def street() -> Manifest:
    text = (ROOT / "scenes" / "srichan.toml").read_text(encoding="utf-8")
    return Manifest.parse(public_manifest(load_scene_text(text)))


def test_a_new_visitor_starts_beside_the_first_quest_facing_it(street: Manifest) -> None:
    walk = WalkMap(street.walkable)
    gate = next(lm.position for lm in street.landmarks if lm.id == "city-gate")
    assert first_target(street) == gate, "Learning City 101 begins with a visit to the gate"
    places = start_places(street, walk.contains)
    assert len(places) >= 3 and len(set(places)) == len(places), "side by side, not stacked"
    nearest = min(street.spawn_points, key=lambda s: math.dist(s.position, gate))
    for x, z, heading in places:
        assert walk.contains(x, z)
        assert math.dist((x, z), nearest.position) <= 3.0
        assert heading == pytest.approx(heading_to((x, z), gate))
    museum_spawn = next(s for s in street.spawn_points if s.id == "spawn-museum")
    assert all(math.dist((x, z), museum_spawn.position) > 100 for x, z, _ in places)


def test_without_quests_the_spawn_points_take_turns(street: Manifest) -> None:
    bare = replace(street, quests=())
    walk = WalkMap(bare.walkable)
    assert start_places(bare, walk.contains) == [
        (*s.position, s.heading) for s in bare.spawn_points
    ]


def test_every_landmark_has_an_arrival_point_in_front_of_it(street: Manifest) -> None:
    walk = WalkMap(street.walkable)
    points = arrival_points(street, walk.contains)
    assert set(points) == {lm.id for lm in street.landmarks}
    for landmark in street.landmarks:
        x, z, heading = points[landmark.id]
        assert walk.contains(x, z), landmark.id
        for footprint in landmark.footprints:
            assert not point_in_polygon((x, z), footprint)
            assert distance_to_polygon((x, z), footprint) >= ARRIVAL_CLEARANCE_M - 0.5
        assert math.dist((x, z), landmark.position) < 45, landmark.id
        assert heading == pytest.approx(heading_to((x, z), landmark.position))


class OneWorld:
    """A world on the real street with sessions that keep their replies and frames."""

    def __init__(self, manifest: Manifest) -> None:
        self.world = PresenceWorld(manifest, PresenceSettings())
        self.now = 10.0
        self.inbox: dict[int, list[object]] = {}
        self.frames: dict[int, list[Frame]] = {}

    def take(self, effects: object) -> None:
        for e in effects:  # type: ignore[attr-defined]
            if isinstance(e, Send):
                self.inbox.setdefault(e.session, []).append(decode(e.data, ALL, None))
            elif isinstance(e, Frames):
                for sid, data in e.items:
                    frame = decode(data, ALL, None)
                    assert isinstance(frame, Frame)
                    self.frames.setdefault(sid, []).append(frame)

    def join(self, sid: int, name: str) -> None:
        self.take(self.world.connect(sid, self.now))
        self.send(sid, Hello(PROTOCOL_VERSION, name, (1, 2, 3)))

    def send(self, sid: int, message: object) -> object:
        self.take(self.world.receive(sid, encode(message), self.now))  # type: ignore[arg-type]
        return self.inbox[sid][-1]

    def tick(self) -> None:
        self.now += 0.1
        self.take(self.world.tick(self.now))


def test_travel_jumps_to_the_arrival_point_within_its_rate(street: Manifest) -> None:
    one = OneWorld(street)
    one.join(1, "ยาย")
    arrival = one.world.arrivals["treasury-museum"]
    for i in range(3):  # three at once, then one per 20 s
        reply = one.send(1, Travel("treasury-museum", cid=i))
        assert reply == Travelled("treasury-museum", *arrival, cid=i)
    avatar = next(iter(one.world.avatars.values()))
    assert (avatar.x, avatar.z) == arrival[:2]
    limited = one.send(1, Travel("city-gate", cid=9))
    assert isinstance(limited, Error) and limited.code == ErrorCode.RATE_LIMITED
    one.now += 20.0
    unknown = one.send(1, Travel("nowhere", cid=10))
    assert isinstance(unknown, Error) and unknown.code == ErrorCode.UNKNOWN_LANDMARK


def test_a_jump_shows_at_the_new_place_in_the_next_frames(street: Manifest) -> None:
    one = OneWorld(street)
    one.join(1, "ตา")
    one.join(2, "ยาย")
    one.tick()
    one.send(2, Travel("city-gate"))
    one.send(1, Travel("city-gate"))  # both now stand at the gate's arrival point
    one.tick()
    one.tick()
    x, z, _ = one.world.arrivals["city-gate"]
    seen = {e.id: (e.x, e.z) for f in one.frames[1] for e in f.enters}
    seen |= {u.id: (u.x, u.z) for f in one.frames[1] for u in f.updates if u.x is not None}
    other = one.world.sessions[2].avatar
    assert other is not None
    assert seen[other.id] == (round(x * 100), round(z * 100)), "frames carry centimetres"


def test_a_new_name_shows_on_the_avatar_for_every_observer(street: Manifest) -> None:
    one = OneWorld(street)
    one.join(1, "ผู้มาเยือน ๔๑๘๙")
    one.join(2, "เพื่อน")
    one.tick()
    one.tick()
    assert one.world.rename(1, "  น้องแก่น  ")
    assert not one.world.rename(1, "น้องแก่น"), "the same name again changes nothing"
    assert not one.world.rename(1, "\x07"), "a name the rules refuse is not shown"
    one.tick()
    last = one.frames[2][-1]
    assert last.reset and "น้องแก่น" in {e.name for e in last.enters}
