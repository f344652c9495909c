"""Zoned processes without sockets: which visitors a process asks to move, and when."""

from __future__ import annotations

import math

import msgpack
import pytest

from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.messages import MESSAGES, Hello
from srichan_world.protocol.zone_messages import ZoneMove
from srichan_world.scene.geometry import InterestGrid
from srichan_world.world.presence import PresenceSettings, PresenceWorld, Send
from srichan_world.world.presence.zones import Zones
from tests.world.test_presence import manifest

ALL = frozenset(MESSAGES)
GRID = InterestGrid(origin=(0.0, -40.0), cell=32.0, cols=10, rows=3)  # x 0..320


def test_stretches_split_the_street_by_columns() -> None:
    zones = Zones(GRID, 2, 0, margin_m=8.0, nudge_s=10.0)
    assert zones.edges == [0.0, 160.0, 320.0]
    assert [zones.zone_of(x) for x in (-50.0, 0.0, 159.9, 160.0, 319.0, 900.0)] == [
        0, 0, 0, 1, 1, 1,
    ]  # fmt: skip
    three = Zones(GRID, 3, 2, margin_m=8.0, nudge_s=10.0)
    assert three.edges == [0.0, 96.0, 192.0, 320.0]  # whole columns: 3, 3 and 4


def test_a_visitor_near_a_boundary_is_not_settled_anywhere() -> None:
    zones = Zones(GRID, 2, 0, margin_m=8.0, nudge_s=10.0)
    assert zones.settled(152.5) is None  # 7.5 m before the edge
    assert zones.settled(167.5) is None  # 7.5 m past it
    assert zones.settled(151.0) == 0
    assert zones.settled(169.0) == 1
    assert zones.settled(1.0) == 0 and zones.settled(319.0) == 1  # the street's ends


@pytest.mark.parametrize(("count", "home"), [(1, 1), (2, 2), (2, -1), (0, 0)])
def test_a_zone_outside_the_count_is_refused(count: int, home: int) -> None:
    with pytest.raises(ValueError):
        Zones(GRID, count, home, margin_m=8.0, nudge_s=10.0)


@pytest.mark.parametrize(
    "fields", [{"zones": 0}, {"zones": 17}, {"zones": 2, "zone": 2}, {"zone_nudge_s": 0.0}]
)
def test_settings_refuse_impossible_zones(fields: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PresenceSettings(**fields)  # type: ignore[arg-type]


def _world(home: int, spawns: list[tuple[float, float]]) -> PresenceWorld:
    settings = PresenceSettings(zones=2, zone=home, start_at_first_quest=False)
    return PresenceWorld(manifest(spawns), settings)


def _zone_moves(effects: object) -> list[tuple[int, int]]:
    out = []
    for e in effects:  # type: ignore[attr-defined]
        if isinstance(e, Send) and e.type is MsgType.ZONE:
            msg = decode(e.data, ALL)
            assert isinstance(msg, ZoneMove)
            out.append((e.session, msg.zone))
    return out


def _walk(w: PresenceWorld, sid: int, x: float, z: float, now: float) -> None:
    w.receive(sid, msgpack.packb([int(MsgType.MOVE), None, x, z, 90.0, 1]), now)


def test_a_visitor_walking_into_the_other_stretch_is_asked_once_then_again_later() -> None:
    w = _world(home=0, spawns=[(20.0, 0.0)])
    w.connect(1, 0.0)
    w.receive(1, encode(Hello(1, "ก้อย", (1, 2, 3))), 0.0)  # spawns at x 20 (zone 0)
    assert _zone_moves(w.tick(0.0)) == []
    a = w.sessions[1].avatar
    assert a is not None and a.x == 20.0
    now = 0.0
    x = 20.0
    moves: list[tuple[float, list[tuple[int, int]]]] = []
    while x < 200.0:  # walk east at 5 m/s, ten moves a second
        now += 0.1
        x += 0.5
        _walk(w, 1, x, 0.0, now)
        got = _zone_moves(w.tick(now))
        if got:
            moves.append((x, got))
    # asked once it stood the margin inside zone 1 (x >= 168), at the next second's check
    assert moves and moves[0][1] == [(1, 1)]
    assert 168.0 <= moves[0][0] < 168.0 + 5.5
    # and again every nudge_s (10 s) while it stays: not every second
    for _ in range(150):
        now += 0.1
        w.tick(now)
        _walk(w, 1, 199.0, 0.0, now)
    later = []
    for _ in range(120):
        now += 0.1
        later += _zone_moves(w.tick(now))
    assert later == [(1, 1)]


def test_home_visitors_and_boundary_walkers_are_never_asked() -> None:
    w = _world(home=1, spawns=[(300.0, 0.0), (160.0, 0.0)])
    w.connect(1, 0.0)
    w.receive(1, encode(Hello(1, "home", (1, 2, 3))), 0.0)
    w.connect(2, 0.0)
    w.receive(2, encode(Hello(1, "edge", (1, 2, 3))), 0.0)
    a = w.sessions[1].avatar
    assert a is not None
    now = 0.0
    asked: list[tuple[int, int]] = []
    for step in range(300):  # 30 s: one stays home at x 300, one paces x 153..167
        now += 0.1
        _walk(w, 1, a.x, a.z, now)
        _walk(w, 2, 160.0 + 7.0 * math.sin(step * math.pi / 50), 0.0, now)
        asked += _zone_moves(w.tick(now))
    edge = w.sessions[2].avatar
    assert edge is not None and 150.0 < edge.x < 170.0
    assert asked == []


def test_one_process_never_asks() -> None:
    w = PresenceWorld(manifest([(300.0, 0.0)]), PresenceSettings(start_at_first_quest=False))
    w.connect(1, 0.0)
    w.receive(1, encode(Hello(1, "solo", (1, 2, 3))), 0.0)
    assert w.zones is None
    assert _zone_moves(w.tick(5.0)) == []
