"""Presence rules without sockets: a harness wires fake sessions to one world and keeps, for
each client, the view of the street it would build from its frames."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field

import msgpack
import pytest

from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.codes import Anim, CloseCode, Emote, ErrorCode, MsgType
from srichan_world.protocol.messages import (
    MESSAGES,
    Chat,
    ChatSaid,
    Correction,
    Emoted,
    EmoteMsg,
    Error,
    Frame,
    Hello,
    Move,
    Ping,
    Pong,
    QuizOpen,
    Welcome,
)
from srichan_world.scene.geometry import InterestGrid, Walkable
from srichan_world.scene.manifest import Manifest, PlacedSpawn
from srichan_world.scene.model import Policy
from srichan_world.world.presence import (
    Close,
    Dispatch,
    Frames,
    PresenceSettings,
    PresenceWorld,
    Send,
)

ALL = frozenset(MESSAGES)
CELL = 32.0


def manifest(spawns: list[tuple[float, float]]) -> Manifest:
    """A straight street x 0..320, z -40..40, one building at x 100..120, z 10..30.

    Interest cells are 32 m: column = x // 32, row = (z + 40) // 32.
    """
    return Manifest(
        scene_id="straight",
        content_hash="",
        policy=Policy(),
        walkable=Walkable(
            corridor=((0.0, -40.0), (320.0, -40.0), (320.0, 40.0), (0.0, 40.0)),
            obstacles=(((100.0, 10.0), (120.0, 10.0), (120.0, 30.0), (100.0, 30.0)),),
        ),
        grid=InterestGrid(origin=(0.0, -40.0), cell=CELL, cols=10, rows=3),
        landmarks=(),
        quiz_points=(),
        quests=(),
        booth_slots=(),
        spawn_points=tuple(
            PlacedSpawn(f"s{i}", (float(x), float(z)), 0.0) for i, (x, z) in enumerate(spawns)
        ),
    )


@dataclass
class View:
    """What one client knows, built only from the frames it received."""

    avatars: dict[int, list] = field(default_factory=dict)  # id -> [x, z, heading, anim, name]
    every: dict[int, int] = field(default_factory=dict)  # id -> ticks between its updates
    more: int = 0
    frames: int = 0
    tick: int = 0

    def apply(self, f: Frame) -> None:
        self.frames += 1
        self.tick = f.tick
        if f.reset:
            self.avatars.clear()
            self.every.clear()
        for e in f.enters:
            self.avatars[e.id] = [e.x, e.z, e.heading, e.anim, e.name]
            self.every[e.id] = 1
        rates = f.rates or ()
        for aid, every in zip(rates[::2], rates[1::2], strict=True):
            if aid in self.avatars:  # ids it does not know (its own among them) are ignored
                self.every[aid] = every
        for u in f.updates:
            known = self.avatars.get(u.id)
            if known is None:
                continue
            if u.x is not None:
                known[0], known[1] = u.x, u.z
            if u.heading is not None:
                known[2] = u.heading
            if u.anim is not None:
                known[3] = u.anim
        for aid in f.leaves:
            assert aid in self.avatars, f"leave for unknown avatar {aid}"
            del self.avatars[aid]
            del self.every[aid]
        self.more = f.more


class Harness:
    def __init__(self, spawns: list[tuple[float, float]], **settings) -> None:
        tokens = (f"token-{i}" for i in itertools.count())
        self.world = PresenceWorld(
            manifest(spawns), PresenceSettings(**settings), token_factory=lambda: next(tokens)
        )
        self.now = 100.0
        self.sids = itertools.count(1)
        self.inbox: dict[int, list] = {}
        self.raw: dict[int, list[bytes]] = {}
        self.views: dict[int, View] = {}
        self.closed: dict[int, CloseCode] = {}
        self.dispatched: list[Dispatch] = []
        self.ids: dict[int, int] = {}  # sid -> avatar id

    def apply(self, effects) -> None:
        for e in effects:
            if isinstance(e, Send):
                msg = decode(e.data, ALL, None)
                assert e.type == msg.TYPE
                assert not isinstance(msg, Frame), "frames travel in the Frames effect"
                self.raw.setdefault(e.session, []).append(e.data)
                self.inbox.setdefault(e.session, []).append(msg)
            elif isinstance(e, Frames):
                assert len({sid for sid, _ in e.items}) == len(e.items), "one frame each"
                for sid, data in e.items:
                    self.raw.setdefault(sid, []).append(data)
                    self.views.setdefault(sid, View()).apply(decode(data, ALL, None))
            elif isinstance(e, Close):
                self.closed[e.session] = e.code
            else:
                self.dispatched.append(e)

    def connect(self) -> int:
        sid = next(self.sids)
        self.apply(self.world.connect(sid, self.now))
        return sid

    def send(self, sid: int, msg) -> list:
        before = len(self.inbox.get(sid, []))
        self.apply(self.world.receive(sid, encode(msg), self.now))
        return self.inbox.get(sid, [])[before:]

    def send_raw(self, sid: int, data: bytes) -> list:
        before = len(self.inbox.get(sid, []))
        self.apply(self.world.receive(sid, data, self.now))
        return self.inbox.get(sid, [])[before:]

    def join(self, name: str = "นกน้อย", **hello) -> int:
        sid = self.connect()
        (welcome,) = self.send(sid, Hello(1, name, (1, 2, 3), **hello))
        assert isinstance(welcome, Welcome), welcome
        self.ids[sid] = welcome.avatar_id
        return sid

    def tick(self, dt: float = 0.1) -> None:
        self.now += dt
        self.apply(self.world.tick(self.now))

    def walk(self, sid: int, x: float, z: float, heading: float = 0.0, anim: int = 1) -> list:
        """Move in legal steps (at most 4 m per 0.5 s), ticking as time passes."""
        a = self.world.avatars[self.ids[sid]]
        steps = max(1, math.ceil(math.dist((a.x, a.z), (x, z)) / 4.0))
        sx, sz = a.x, a.z
        replies = []
        for i in range(1, steps + 1):
            self.tick(0.5)
            t = i / steps
            replies += self.send(sid, Move(sx + (x - sx) * t, sz + (z - sz) * t, heading, anim))
        return replies

    def sees(self, sid: int) -> set[int]:
        return set(self.views[sid].avatars)


def test_spawn_at_spawn_points_in_turn_with_welcome() -> None:
    h = Harness([(5.0, 0.0), (9.0, -3.0)])
    a = h.connect()
    (w,) = h.send(a, Hello(1, "  สมชาย  ", (4, 5, 6), cid=77))
    assert (w.x, w.z, w.anim, w.resumed, w.cid, w.name) == (5.0, 0.0, Anim.IDLE, False, 77, "สมชาย")
    assert w.resume_token == "token-0" and w.tick_hz == 10.0
    b = h.join()
    assert (h.world.avatars[h.ids[b]].x, h.world.avatars[h.ids[b]].z) == (9.0, -3.0)
    assert [d.message.TYPE for d in h.dispatched] == [MsgType.HELLO, MsgType.HELLO]


def test_two_neighbours_see_each_other_and_a_far_one_sees_neither() -> None:
    h = Harness([(5.0, 0.0), (40.0, 0.0), (300.0, 0.0)])
    a, b, far = h.join("ก"), h.join("ข"), h.join("ค")
    h.tick()
    assert h.sees(a) == {h.ids[b]}
    assert h.sees(b) == {h.ids[a]}
    assert h.sees(far) == set()
    assert h.views[a].avatars[h.ids[b]] == [4000, 0, 0, 0, "ข"]


def test_enter_and_leave_follow_interest_cells() -> None:
    h = Harness([(5.0, 0.0), (40.0, 0.0)])
    a, b = h.join(), h.join()
    h.tick()
    assert h.sees(a) == {h.ids[b]}
    h.walk(b, 95.0, 0.0)  # column 2: still a neighbour of column 0? no: 0 and 2 are two apart
    h.tick()
    assert h.sees(a) == set()
    assert h.sees(b) == set()
    h.walk(b, 60.0, 0.0)  # column 1 again
    h.tick()
    assert h.sees(a) == {h.ids[b]}
    assert h.views[a].avatars[h.ids[b]][:2] == [6000, 0]


def test_frames_carry_only_changed_fields_quantized() -> None:
    h = Harness([(5.0, 0.0), (8.0, 0.0)])
    a, b = h.join(), h.join()
    h.tick()
    bid = h.ids[b]
    h.now += 0.1
    h.send(b, Move(8.004, 0.456, 90.0, Anim.IDLE))
    h.tick()
    (f,) = [m for m in map(lambda d: decode(d, ALL, None), h.raw[a][-1:])]
    assert [(u.id, u.x, u.z, u.heading, u.anim) for u in f.updates] == [(bid, 800, 46, 64, None)]
    h.tick()  # nothing moved: no updates at all
    assert decode(h.raw[a][-1], ALL, None).updates == ()
    h.now += 0.1
    h.send(b, Move(8.004, 0.456, 90.0, Anim.WAVE))
    h.tick()
    f = decode(h.raw[a][-1], ALL, None)
    assert [(u.id, u.x, u.heading, u.anim) for u in f.updates] == [(bid, None, None, Anim.WAVE)]


def test_own_avatar_rides_in_updates_but_never_in_enters() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.join()
    h.tick()
    h.now += 0.1
    h.send(a, Move(6.0, 0.0, 0.0, 1))
    h.tick()
    f = decode(h.raw[a][-1], ALL, None)
    assert f.enters == () and [u.id for u in f.updates] == [h.ids[a]]
    assert h.sees(a) == set()


def test_observers_in_one_cell_share_the_same_frame_bytes() -> None:
    h = Harness([(5.0, 0.0), (6.0, 0.0), (7.0, 0.0)])
    sids = [h.join() for _ in range(3)]
    h.tick()
    for sid in sids:
        h.now += 0.01
        h.send(sid, Move(5.5, 0.5, 10.0, 1))
    effects = h.world.tick(h.now + 0.1)
    frames = [data for e in effects if isinstance(e, Frames) for _, data in e.items]
    assert len(frames) == 3
    assert frames[0] is frames[1] is frames[2]  # one object, built once


def test_walking_costs_at_most_twelve_bytes_per_neighbour_update() -> None:
    h = Harness([(5.0, 0.0)] + [(6.0 + i, 1.0) for i in range(20)])
    obs = h.join()
    walkers = [h.join() for _ in range(20)]
    h.tick()
    for w in walkers:
        a = h.world.avatars[h.ids[w]]
        h.send(w, Move(a.x + 0.9, a.z + 0.3, 37.0, Anim.WALK))
    h.tick(0.5)
    base = len(encode(Frame(h.world.tick_no, False, (), (), (), 0)))
    frame = h.raw[obs][-1]
    assert (len(frame) - base) / 20 <= 12


def test_k_nearest_cap_and_count_of_the_rest() -> None:
    spawns = [(10.0, 0.0)] + [(10.0 + d, 0.0) for d in (1, 2, 3, 20, 21, 22)]
    h = Harness(spawns, k_nearest=3, knn_refresh_ticks=2)
    obs = h.join()
    others = [h.join() for _ in range(6)]
    h.tick()
    near = {h.ids[s] for s in others[:3]}
    assert h.sees(obs) == near
    assert h.views[obs].more == 3
    # the three near ones walk away (still in the area); after a refresh the far three show
    for s in others[:3]:
        h.send(s, Move(10.0 + 30.0 + 3, 0.0, 0.0, 1))  # 30 m in one go is too fast
    assert h.world.avatars[h.ids[others[0]]].x < 20
    for s in others[:3]:
        h.walk(s, 45.0, 0.0)
    h.tick()
    h.tick()
    assert h.sees(obs) == {h.ids[s] for s in others[3:]}
    assert h.views[obs].more == 3


def test_a_crowded_observer_loses_an_avatar_that_leaves_at_once() -> None:
    spawns = [(10.0, 0.0)] + [(11.0 + i, 0.0) for i in range(5)]
    h = Harness(spawns, k_nearest=2, knn_refresh_ticks=1000)
    obs = h.join()
    others = [h.join() for _ in range(5)]
    h.tick()
    assert len(h.sees(obs)) == 2
    (nearest,) = [s for s in others if h.ids[s] == min(h.sees(obs))]
    h.apply(h.world.disconnect(nearest, h.now))
    h.now += 40  # past the resume window: the avatar leaves the world
    h.tick()
    assert h.ids[nearest] not in h.sees(obs)


def test_a_teleport_is_refused_with_the_last_valid_position() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.join()
    h.tick(1.0)
    assert h.send(a, Move(12.0, 0.0, 0.0, 1, cid=1)) == []  # 7 m after a 1 s rest: fine
    (c,) = h.send(a, Move(60.0, 0.0, 0.0, 1, cid=2))
    assert c == Correction(ErrorCode.TOO_FAST, 12.0, 0.0, 0.0, 1, cid=2)
    h.now += 0.5
    assert h.send(a, Move(15.5, 0.0, 0.0, 1)) == []  # 3.5 m in 0.5 s + banked: fine


def test_moves_outside_the_walkable_area_are_refused() -> None:
    h = Harness([(95.0, 15.0)])
    a = h.join()
    h.tick(1.0)
    (c,) = h.send(a, Move(101.0, 15.0, 0.0, 1))  # inside the building
    assert c.reason == ErrorCode.OUT_OF_BOUNDS and (c.x, c.z) == (95.0, 15.0)
    (c,) = h.send(a, Move(95.0, 41.0, 0.0, 1))  # past the corridor
    assert c.reason == ErrorCode.OUT_OF_BOUNDS


@pytest.mark.parametrize(
    "move",
    [
        Move(math.nan, 0.0, 0.0, 1),
        Move(5.0, math.inf, 0.0, 1),
        Move(5.0, 0.0, -math.inf, 1),
        Move(5.0, 0.0, 0.0, 200),  # no such Anim
    ],
)
def test_non_finite_or_unknown_values_are_refused_and_the_session_stays(move: Move) -> None:
    h = Harness([(5.0, 0.0)])
    a = h.join()
    (c,) = h.send(a, move)
    assert isinstance(c, Correction) and c.reason == ErrorCode.BAD_VALUE
    assert a not in h.closed
    h.tick(1.0)
    assert h.send(a, Move(6.0, 0.0, 0.0, 1)) == []


def test_resume_within_the_window_restores_avatar_position_and_state() -> None:
    h = Harness([(5.0, 0.0), (8.0, 0.0)])
    a, b = h.join(), h.join()
    h.tick(1.0)
    h.send(a, Move(9.5, 2.0, 45.0, Anim.DANCE))
    h.tick()
    aid = h.ids[a]
    h.apply(h.world.disconnect(a, h.now))
    h.tick(10.0)
    assert aid in h.sees(b)  # stays, standing still, during the window
    a2 = h.connect()
    (w,) = h.send(a2, Hello(1, "อื่น", (0, 0, 0), resume="token-0"))
    assert (w.avatar_id, w.x, w.z, w.heading, w.anim, w.resumed) == (aid, 9.5, 2.0, 45.0, 4, True)
    h.tick()
    f = decode(h.raw[a2][-1], ALL, None)
    assert f.reset and {e.id for e in f.enters} == {h.ids[b]}
    assert h.world.population == 2


def test_after_the_window_the_avatar_leaves_and_the_token_is_dead() -> None:
    h = Harness([(5.0, 0.0), (8.0, 0.0)])
    a, b = h.join(), h.join()
    h.tick()
    aid = h.ids[a]
    h.apply(h.world.disconnect(a, h.now))
    h.tick(29.0)
    assert aid in h.sees(b)
    h.tick(1.5)
    assert aid not in h.sees(b)
    a2 = h.connect()
    (w,) = h.send(a2, Hello(1, "ใหม่", (0, 0, 0), resume="token-0"))
    assert not w.resumed and w.avatar_id != aid


def test_resuming_a_live_avatar_closes_the_old_connection() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.join()
    a2 = h.connect()
    (w,) = h.send(a2, Hello(1, "ซ้ำ", (0, 0, 0), resume="token-0"))
    assert w.resumed and w.avatar_id == h.ids[a]
    assert h.closed[a] == CloseCode.REPLACED
    assert h.inbox[a][-1].code == ErrorCode.REPLACED
    assert h.world.disconnect(a, h.now) == []  # the old socket closing does not hold it
    h.tick(40.0)
    assert h.world.population == 1


def test_chat_reaches_the_interest_area_only() -> None:
    h = Harness([(5.0, 0.0), (60.0, 0.0), (200.0, 0.0)])
    a, near, far = h.join("ผู้พูด"), h.join(), h.join()
    said = h.send(a, Chat("  สวัสดีครับ ถนนศรีจันทร์  ", cid=9))
    assert said == [ChatSaid(h.ids[a], "ผู้พูด", "สวัสดีครับ ถนนศรีจันทร์", cid=9)]
    assert h.inbox[near][-1] == ChatSaid(h.ids[a], "ผู้พูด", "สวัสดีครับ ถนนศรีจันทร์")
    assert far not in h.inbox or not any(isinstance(m, ChatSaid) for m in h.inbox[far])


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("x" * 201, ErrorCode.TEXT_TOO_LONG),
        ("   ", ErrorCode.BAD_TEXT),
        ("a\nb", ErrorCode.BAD_TEXT),
        ("\u3164\u3164", ErrorCode.BAD_TEXT),
        ("ก" + "\u0e48" * 23, ErrorCode.BAD_TEXT),
        ("hi\u202e", ErrorCode.BAD_TEXT),
    ],
)
def test_bad_chat_is_refused_and_delivered_to_nobody(text: str, code: ErrorCode) -> None:
    h = Harness([(5.0, 0.0), (6.0, 0.0)])
    a, b = h.join(), h.join()
    (e,) = h.send(a, Chat(text, cid=3))
    assert e == Error(code, e.message, cid=3)
    assert not any(isinstance(m, ChatSaid) for m in h.inbox.get(b, []))
    assert a not in h.closed


def test_emotes_reach_the_area_and_unknown_ones_are_refused() -> None:
    h = Harness([(5.0, 0.0), (6.0, 0.0)])
    a, b = h.join(), h.join()
    h.send(a, EmoteMsg(Emote.WAI))
    assert h.inbox[b][-1] == Emoted(h.ids[a], Emote.WAI)
    (e,) = h.send(a, EmoteMsg(99))
    assert e.code == ErrorCode.BAD_VALUE


def test_flooding_is_rate_limited_then_closed_as_abuse() -> None:
    h = Harness([(5.0, 0.0), (6.0, 0.0)])
    a, b = h.join(), h.join()
    replies = []
    for i in range(40):
        replies += h.send(a, Chat(f"spam {i}", cid=i))
        if a in h.closed:
            break
    said = [m for m in replies if isinstance(m, ChatSaid)]
    limited = [m for m in replies if isinstance(m, Error) and m.code == ErrorCode.RATE_LIMITED]
    assert len(said) == 5  # the burst
    assert len(limited) == 10  # the strikes
    assert replies[-1].code == ErrorCode.ABUSE and h.closed[a] == CloseCode.ABUSE
    assert h.send(a, Chat("more")) == []  # nothing more is read
    h.apply(h.world.disconnect(a, h.now))
    h.tick()
    assert h.world.population == 1  # an abuser's avatar does not wait for a resume
    h.send(b, Chat("ยังคุยได้"))
    assert isinstance(h.inbox[b][-1], ChatSaid)


def test_rate_limits_refill_over_time() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.join()
    for _ in range(5):
        h.send(a, Chat("hi"))
    assert h.send(a, Chat("hi"))[0].code == ErrorCode.RATE_LIMITED
    h.now += 1.0
    assert isinstance(h.send(a, Chat("hi"))[0], ChatSaid)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "x" * 25,
        "bad\x07bell",
        "zero\u200bwidth",
        "a\u2028b",
        "Nok\u2003Nok",
        "\u3164",
        "\u2800",
        "ก" + "\u0e48" * 23,
    ],
)
def test_bad_names_are_refused_and_hello_can_be_retried(name: str) -> None:
    h = Harness([(5.0, 0.0)])
    a = h.connect()
    (e,) = h.send(a, Hello(1, name, (1, 2, 3), cid=4))
    assert (e.code, e.cid) == (ErrorCode.BAD_NAME, 4)
    assert " / " in e.message  # the rule, in Thai and English
    assert a not in h.closed
    (w,) = h.send(a, Hello(1, "ศรีจันทร์ 24 ตัวอักษรได้", (1, 2, 3)))
    assert isinstance(w, Welcome)


def test_thai_name_of_24_characters_with_marks_is_accepted() -> None:
    h = Harness([(5.0, 0.0)])
    name = "พิพิธภัณฑ์ธนารักษ์ขอนแก่น"[:24]
    a = h.connect()
    (w,) = h.send(a, Hello(1, name, (1, 2, 3)))
    assert w.name == name


def test_wrong_version_gets_an_error_and_a_close() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.connect()
    (e,) = h.send(a, Hello(2, "นก", (1, 2, 3), cid=1))
    assert (e.code, e.cid) == (ErrorCode.VERSION_MISMATCH, 1)
    assert "protocol 1" in e.message
    assert h.closed[a] == CloseCode.VERSION_MISMATCH


@pytest.mark.parametrize(
    ("data", "code", "close"),
    [
        (b"\xc1garbage", ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME),
        (msgpack.packb([200, 5]), ErrorCode.UNKNOWN_TYPE, CloseCode.UNKNOWN_TYPE),
        (msgpack.packb([3, 5, "x", 0, 0, 1]), ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME),
        (msgpack.packb([3, 5, 1.0, 0, 0, True]), ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME),
        (b"\x90" * 20000, ErrorCode.TOO_LARGE, CloseCode.MESSAGE_TOO_BIG),
    ],
)
def test_broken_envelopes_close_the_session(data: bytes, code: ErrorCode, close: CloseCode) -> None:
    h = Harness([(5.0, 0.0), (6.0, 0.0)])
    a, b = h.join(), h.join()
    (e,) = h.send_raw(a, data)
    assert e.code == code and h.closed[a] == close
    if code != ErrorCode.TOO_LARGE and data[0] != 0xC1:
        assert e.cid == 5
    h.tick()
    assert b not in h.closed and h.views[b].frames == 1


def test_only_ping_and_hello_before_welcome() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.connect()
    (p,) = h.send(a, Ping(12.5, cid=2))
    assert p == Pong(12.5, h.now, cid=2)
    (e,) = h.send(a, Move(5.0, 0.0, 0.0, 1, cid=3))
    assert (e.code, e.cid) == (ErrorCode.NOT_WELCOMED, 3)
    (e,) = h.send(a, QuizOpen("q-gate-1"))
    assert e.code == ErrorCode.NOT_WELCOMED
    assert a not in h.closed


def test_second_hello_is_refused() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.join()
    h.now += 2
    (e,) = h.send(a, Hello(1, "อีก", (1, 2, 3)))
    assert e.code == ErrorCode.ALREADY_WELCOMED


def test_other_requests_are_dispatched_with_the_session() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.join(visitor_id="v-1", visitor_secret="s" * 32)
    assert h.send(a, QuizOpen("q-gate-1", cid=8)) == []
    d = h.dispatched[-1]
    assert (d.session, d.message) == (a, QuizOpen("q-gate-1", cid=8))
    view = h.world.view(a)
    assert (view.avatar_id, view.visitor_id, view.x) == (h.ids[a], "v-1", 5.0)


def test_hello_and_idle_timeouts() -> None:
    h = Harness([(5.0, 0.0)])
    silent = h.connect()
    idle = h.join()
    chatty = h.join()
    for _ in range(12):
        h.tick(1.0)
        h.send(chatty, Ping(0.0))
    assert h.closed[silent] == CloseCode.HELLO_TIMEOUT
    assert idle not in h.closed
    for _ in range(50):
        h.tick(1.0)
        h.send(chatty, Ping(0.0))
    assert h.closed[idle] == CloseCode.IDLE_TIMEOUT
    assert chatty not in h.closed


def test_server_full_refuses_with_a_close() -> None:
    h = Harness([(5.0, 0.0)], max_avatars=2)
    h.join(), h.join()
    c = h.connect()
    (e,) = h.send(c, Hello(1, "สาม", (1, 2, 3)))
    assert e.code == ErrorCode.SERVER_FULL and h.closed[c] == CloseCode.SERVER_FULL


def test_resync_after_a_dropped_frame_restates_everything() -> None:
    h = Harness([(5.0, 0.0), (6.0, 0.0)])
    a, b = h.join(), h.join()
    h.tick()
    h.world.resync(a)
    h.tick()
    f = decode(h.raw[a][-1], ALL, None)
    assert f.reset and [e.id for e in f.enters] == [h.ids[b]]


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="tick_hz"):
        PresenceSettings(tick_hz=60)
    with pytest.raises(ValueError, match="k_nearest"):
        PresenceSettings(k_nearest=0)


TIERS = {"tier_near": 2, "tier_mid": 2, "mid_every": 2, "far_every": 3}


@pytest.mark.parametrize(
    ("k", "seed", "refresh", "tiers"),
    [
        (64, 1, 1, {}),
        (64, 2, 1, {}),
        (5, 3, 1, {}),
        (5, 4, 1, {}),
        (5, 5, 3, {}),
        (7, 6, 1, TIERS),
        (7, 7, 3, TIERS),
        (7, 8, 2, TIERS | {"far_every": 5}),
        (14, 9, 1, {"tier_near": 5, "tier_mid": 5, "mid_every": 2, "far_every": 5}),
    ],
)
def test_random_walks_keep_every_view_true(k: int, seed: int, refresh: int, tiers: dict) -> None:
    """Many avatars wander; each client's view must match the truth after every tick:
    uncrowded, exactly the avatars in its 3×3 cells with their quantized positions; crowded,
    K of them (between refreshes: at most K, all still in the area), and right after a
    refresh K of the K + 1 nearest to the centre of its block. With distance tiers, an
    avatar on a slower rate must be true at each of its turns (``(tick + id) % every == 0``)."""
    rng = random.Random(seed)
    spawns = [(rng.uniform(2, 318), rng.uniform(-38, 8)) for _ in range(40)]
    h = Harness(spawns, k_nearest=k, knn_refresh_ticks=refresh, **tiers)
    sids = [h.join(f"ผู้เล่น{i}") for i in range(40)]
    w = h.world
    for _ in range(60):
        for sid in sids:
            a = w.avatars[h.ids[sid]]
            nx = min(319.0, max(1.0, a.x + rng.uniform(-0.7, 0.7) * 10))
            nz = min(39.0, max(-39.0, a.z + rng.uniform(-0.7, 0.7) * 10))
            if not 98 <= nx <= 122 or nz < 8:
                h.send(sid, Move(nx, nz, rng.uniform(0, 360), rng.choice([0, 1, 2])))
        if rng.random() < 0.1:
            gone = sids.pop(rng.randrange(len(sids)))
            h.apply(w.disconnect(gone, h.now))
        h.tick(1.0)
        for sid in sids:
            me = w.avatars[h.ids[sid]]
            hood = set(w.neigh[me.cell])
            area = {i: av for i, av in w.avatars.items() if av.cell in hood and i != me.id}
            view = h.views[sid].avatars
            every = h.views[sid].every
            assert set(view) <= set(area)
            for aid, (x, z, hd, an, _name) in view.items():
                av = area[aid]
                if (w.tick_no + aid) % every[aid] == 0:
                    assert (x, z, hd, an) == (av.qx, av.qz, av.qh, av.qa)
            rates = set(every.values())
            assert rates <= {1, tiers.get("mid_every", 1), tiers.get("far_every", 1)}
            if tiers and len(area) > k and refresh == 1:
                assert len(rates) == 3, "crowded views carry all three rates"
            if len(area) <= k:
                assert set(view) == set(area)
                assert h.views[sid].more == 0
            elif refresh > 1:
                assert len(view) <= k and h.views[sid].more == len(area) - len(view)
            else:  # K of the K + 1 nearest to the centre of the observer's block
                g = me.group
                assert g is not None and g.cell == me.cell
                cx, cz = g.cx, g.cz
                assert math.dist((cx, cz), (me.x, me.z)) <= w.block_sizes[0] / math.sqrt(2)
                d = sorted(math.dist((cx, cz), (av.x, av.z)) for av in [*area.values(), me])
                assert len(view) == k and h.views[sid].more == len(area) - k
                for i in view:
                    assert math.dist((cx, cz), (area[i].x, area[i].z)) <= d[k] + 1e-9


def test_crowded_observers_in_one_block_share_their_frame() -> None:
    """Two observers 1 m apart in one 8 m block, nine others around: with K = 3 both see the
    same avatars and, once steady, get the very same frame object."""
    spawns = [(10.0, 1.0), (11.0, 1.0)] + [(12.0 + i, 2.0) for i in range(9)]
    h = Harness(spawns, k_nearest=3, knn_block_m=8.0, knn_block_min_m=8.0)
    a, b = h.join(), h.join()
    crowd = [h.join() for _ in range(9)]
    h.tick()
    assert h.world.avatars[h.ids[a]].group is h.world.avatars[h.ids[b]].group
    assert h.sees(a) - {h.ids[b]} == h.sees(b) - {h.ids[a]}
    assert len(h.sees(a)) == len(h.sees(b)) == 3
    for sid in crowd:
        av = h.world.avatars[h.ids[sid]]
        h.send(sid, Move(av.x + 0.2, av.z, 0.0, 1))
    effects = h.world.tick(h.now + 0.1)
    frames = {sid: data for e in effects if isinstance(e, Frames) for sid, data in e.items}
    assert frames[a] is frames[b]
    assert decode(frames[a], ALL, None).more == 10 - 3


def test_leaving_a_crowd_restates_the_whole_area() -> None:
    """K = 2 with four others near: when two of them leave the world the observer, no longer
    crowded, sees exactly the rest."""
    h = Harness([(10.0, 0.0)] + [(11.0 + i, 0.0) for i in range(4)], k_nearest=2)
    obs = h.join()
    others = [h.join() for _ in range(4)]
    h.tick()
    assert len(h.sees(obs)) == 2 and h.views[obs].more == 2
    for sid in others[:2]:
        h.world.sessions[sid].drop_avatar = True
        h.apply(h.world.disconnect(sid, h.now))
    h.tick()
    assert h.sees(obs) == {h.ids[s] for s in others[2:]}
    assert h.views[obs].more == 0


@pytest.mark.parametrize("tiers", [{}, {"tier_near": 2, "tier_mid": 2}])
def test_a_new_nearest_set_is_one_frame_for_the_block(tiers: dict) -> None:
    """Six avatars in one 8 m block are its K + 1 = 6 nearest, three more stand further off
    in the area. When the block's nearest are chosen again (here every tick), the members
    that saw the previous set all get the very same frame, and each still sees the others."""
    block = [(9.0 + i, 1.0 + (i % 2)) for i in range(6)]
    far = [(30.0, 20.0), (31.0, 21.0), (40.0, -20.0)]
    fixed = {"knn_block_m": 8.0, "knn_block_min_m": 8.0}  # one 8 m block, whatever the crowd
    h = Harness(block + far, k_nearest=5, knn_refresh_ticks=1, **fixed, **tiers)
    members = [h.join() for _ in block]
    others = [h.join() for _ in far]
    h.tick()
    h.tick()
    for sid in others:  # the far ones walk closer: the block's nearest change
        av = h.world.avatars[h.ids[sid]]
        h.send(sid, Move(av.x - 1.0, av.z, 90.0, 1))
    effects = h.world.tick(h.now + 0.1)
    h.apply(effects)
    frames = {sid: data for e in effects if isinstance(e, Frames) for sid, data in e.items}
    assert len({id(frames[sid]) for sid in members}) == 1
    ids = {h.ids[s] for s in members}
    for sid in members:
        assert h.sees(sid) == ids - {h.ids[sid]}
        assert h.views[sid].more == 3


def test_tiers_keep_an_avatar_near_their_edge_in_the_tier_it_had() -> None:
    """Ranks 0–19 every tick, 20–39 mid, 40–64 far; an avatar up to 4 ranks past an edge
    keeps its tier, one further out changes."""
    from srichan_world.world.presence.frames import _tiers

    ranked = list(range(100, 165))
    near, (mid, far) = _tiers(ranked, 20, 40, set(), (frozenset(), frozenset()))
    assert near == set(range(100, 120)) and mid == set(range(120, 140))
    assert far == set(range(140, 165))
    moved = ranked[:]
    moved.remove(105)
    moved.insert(23, 105)  # was near, now rank 23: stays near
    moved.remove(110)
    moved.insert(30, 110)  # was near, now rank 30: mid
    moved.remove(150)
    moved.insert(37, 150)  # was far, now rank 37: stays far
    again, (mid2, far2) = _tiers(moved, 20, 40, near, (mid, far))
    assert 105 in again and 110 in mid2 and 150 in far2
    assert len(again) + len(mid2) + len(far2) == 65
