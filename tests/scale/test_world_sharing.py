"""Two presence worlds sharing one street without sockets: each tick's news of one world is
handed to the other as the Redis relay would (encoded and decoded on the way)."""

from __future__ import annotations

import itertools
import random

import msgpack
import pytest

from server.bus.presence_relay import LANE_SHIFT, decode_news, encode_news, lane_ids, resume_key
from srichan_world.protocol.codes import CloseCode, Emote
from srichan_world.protocol.messages import Chat, ChatSaid, Emoted, EmoteMsg, Hello, Move, Welcome
from srichan_world.world.presence import (
    CellNews,
    Close,
    PresenceSettings,
    PresenceWorld,
    Send,
)
from srichan_world.world.presence.sharing import GHOST_TICKS, merge_halves
from tests.world.test_presence import Harness, manifest


def shared(spawns: list[tuple[float, float]], lane: int, **settings: int) -> Harness:
    """A harness whose world serves one lane of a shared street (tokens unique per world)."""
    h = Harness(spawns)
    tokens = (f"lane{lane}-token-{i}" for i in itertools.count())
    world = PresenceWorld(manifest(spawns), PresenceSettings(**settings), lambda: next(tokens))
    h.world = world
    h.world.share(*lane_ids(lane))
    return h


def relay(source: Harness, target: Harness, lane: int, roster_all: bool = False) -> int:
    """Carry ``source``'s last tick's news to ``target``; returns the messages carried."""
    tick = source.world.take_news(lambda _cell: roster_all)
    for cell, news in tick.cells.items():
        message = encode_news(lane, news, ask=False)
        _lane, updates, records, enters, leaves, said, _ask = decode_news(message)
        target.world.remote_news(cell, updates, enters, leaves, records, target.now)
        for kind, data in said:
            target.apply(target.world.remote_said(cell, kind, data))
    return len(tick.cells)


def step(a: Harness, b: Harness) -> None:
    """One shared tick on both worlds: collect, exchange the news, then the frames."""
    a.world.collect()
    b.world.collect()
    relay(a, b, 0)
    relay(b, a, 1)
    a.tick()
    b.tick()


def test_lanes_partition_the_avatar_ids() -> None:
    assert lane_ids(0) == (1, 4095)
    assert lane_ids(15) == (15 * 4096 + 1, 65535)
    with pytest.raises(ValueError):
        lane_ids(16)
    h = shared([(5.0, 0.0)], 3)
    sid = h.join()
    assert h.ids[sid] >> LANE_SHIFT == 3


def test_news_round_trips_and_garbage_is_refused() -> None:
    news = CellNews([b"\x93\x05\xcd\x01\x00\x00"], [], [7, 9], [[7, b"\x93\x07\xc0\x01"]])
    lane, updates, records, enters, leaves, said, ask = decode_news(encode_news(2, news, ask=True))
    assert (lane, updates, enters, leaves, ask) == (2, ((5, 256, 0),), (), (7, 9), True)
    assert records == news.updates, "each record as it was encoded"
    assert said == ((7, b"\x93\x07\xc0\x01"),)
    old = b"\x96\x02\x91\x93\x05\xcd\x01\x00\x00\x90\x90\x90\xc2"  # no lengths
    assert decode_news(old)[:4] == (2, ((5, 256, 0),), None, ())
    for bad in (b"", b"\xc1", b"\x93\x01\x02\x03", b"\x96\x10\x90\x90\x90\x90\xc2"):
        with pytest.raises(ValueError):
            decode_news(bad)
    good = encode_news(2, news, ask=True)
    for lengths in (b"\xc4\x01\x05", b"\xc4\x01\x07", b"\xc4\x02\x03\x03", b"\xc4\x01\x00"):
        with pytest.raises(ValueError):  # lengths that do not cut the records right
            decode_news(good[:-3] + lengths)


def test_visitors_on_two_worlds_see_each_other_move_and_leave() -> None:
    a = shared([(5.0, 0.0)], 0)
    b = shared([(40.0, 0.0)], 1)
    alice, bob = a.join("อลิส"), b.join("บ๊อบ")
    step(a, b)  # the news of both arrivals crosses
    step(a, b)  # and reaches the frames
    assert a.sees(alice) == {b.ids[bob]} and b.sees(bob) == {a.ids[alice]}
    assert b.views[bob].avatars[a.ids[alice]] == [500, 0, 0, 0, "อลิส"]

    a.walk(alice, 12.0, 3.0)  # ticks a alone; its news is carried at the next step
    step(a, b)
    step(a, b)
    assert b.views[bob].avatars[a.ids[alice]][:2] == [1200, 300]
    assert a.world.population == 2 and a.world.local_population == 1

    a.send(alice, Chat("สวัสดีจากอีกเครื่อง"))
    a.send(alice, EmoteMsg(int(Emote.WAI)))
    step(a, b)
    heard = [m for m in b.inbox[bob] if isinstance(m, ChatSaid | Emoted)]
    assert [type(m) for m in heard] == [ChatSaid, Emoted]
    assert heard[0].text == "สวัสดีจากอีกเครื่อง" and heard[0].avatar_id == a.ids[alice]

    b.world.remote_remove(a.ids[alice])  # its process went quiet: the relay expires it
    step(a, b)
    assert b.sees(bob) == set()


def test_a_walk_out_of_sight_leaves_and_the_roster_brings_it_back() -> None:
    a = shared([(5.0, 0.0)], 0)
    b = shared([(40.0, 0.0)], 1)
    alice, bob = a.join(), b.join()
    step(a, b)
    step(a, b)
    a.walk(alice, 150.0, 0.0)  # column 4: out of bob's area (columns 0-2)
    step(a, b)
    step(a, b)
    assert b.sees(bob) == set()
    assert a.world.take_news(lambda _cell: True).cells, "a roster is due on request"
    late = shared([(40.0, 0.0)], 2)  # a third process that heard nothing so far
    carol = late.join()
    a.tick()
    relay(a, late, 0, roster_all=True)
    late.tick()
    late.tick()
    assert late.sees(carol) == set(), "alice is far from carol"
    assert late.world.population == 2


def test_watched_cells_are_the_areas_of_local_visitors() -> None:
    a = shared([(5.0, 0.0), (300.0, 0.0)], 0)
    a.join()
    a.tick()
    near = a.world.take_news(lambda _cell: False).watched
    assert near == set(a.world.neigh[a.world._cell_of(5.0, 0.0)])
    a.join()
    a.tick()
    both = a.world.take_news(lambda _cell: False).watched
    assert near < both and a.world._cell_of(300.0, 0.0) in both


def test_an_avatar_resumes_on_another_world_and_the_first_lets_go() -> None:
    a = shared([(5.0, 0.0)], 0)
    b = shared([(40.0, 0.0)], 1)
    alice = a.join("อลิส")
    watcher = b.join("ผู้ชม")
    a.walk(alice, 20.0, 2.0)
    token = a.inbox[alice][0].resume_token
    a.apply(a.world.disconnect(alice, a.now))
    (released,) = [s for t, s in a.world.take_news(lambda _c: False).released if t == token]
    step(a, b)
    step(a, b)
    states = dict(a.world.resume_states())
    assert states[token] == released == [2000, 200, 0, 1, "อลิส", [1, 2, 3], ""]  # no owner
    assert resume_key(token) != resume_key(token + "x") and token not in resume_key(token)

    assert not b.world.knows_token(token)
    b.world.adopt(token, *released[:5], tuple(released[5]), b.now)
    sid = b.connect()
    (welcome,) = b.send(sid, Hello(1, "อลิส", (1, 2, 3), token))
    assert isinstance(welcome, Welcome) and welcome.resumed
    assert (welcome.x, welcome.z, welcome.name) == (20.0, 2.0, "อลิส")
    assert welcome.avatar_id >> LANE_SHIFT == 1, "a new id from the adopting world's lane"
    a.apply(a.world.release(token))
    assert not a.world.knows_token(token) and a.world.local_population == 0
    step(a, b)
    step(a, b)
    assert b.sees(watcher) == {welcome.avatar_id}


def _zone_move(a: Harness, b: Harness, sid: int, name: str) -> tuple[int, int]:
    """``sid`` on ``a`` moves to ``b`` as a zone move does: ``b`` asks ``a`` for the avatar
    (``a`` lets go and closes the old connection), adopts it and welcomes the visitor's new
    connection. Returns the avatar's old and new ids."""
    old = a.ids[sid]
    token = a.inbox[sid][0].resume_token
    state, effects = a.world.hand_over(token)
    a.apply(effects)
    assert state is not None and a.closed[sid] == CloseCode.REPLACED
    b.world.adopt(token, *state[:4], state[4], tuple(state[5]), b.now)
    (welcome,) = b.send(b.connect(), Hello(1, name, (1, 2, 3), token))
    assert isinstance(welcome, Welcome) and welcome.resumed
    return old, welcome.avatar_id


def test_a_zone_move_never_leaves_observers_without_the_visitor() -> None:
    """Observers on both worlds see the moving visitor in every frame: the old avatar stays
    (a ghost) until the new one arrives, and leaves in that very frame."""
    a = shared([(20.0, 0.0), (22.0, 0.0)], 0)
    b = shared([(24.0, 0.0)], 1)
    alice = a.join("อลิส")
    watch_a = a.join("ผู้ชมเอ")
    watch_b = b.join("ผู้ชมบี")
    for _ in range(3):
        step(a, b)
    old, new = _zone_move(a, b, alice, "อลิส")
    # a's next tick comes before b's news of the new avatar reaches it (Redis is a hop away)
    a.world.collect()
    a.tick()
    assert old in a.sees(watch_a)
    arrived = {watch_a: False, watch_b: False}
    for _ in range(5):
        step(a, b)
        for watcher, world in ((watch_a, a), (watch_b, b)):
            seen = world.sees(watcher)
            assert old in seen or new in seen, "the visitor vanished for a frame"
            assert not (arrived[watcher] and old in seen), "the old avatar came back"
            arrived[watcher] = (new in seen and old not in seen) or arrived[watcher]
    assert all(arrived.values()), "the new avatar replaced the old one everywhere"
    assert a.world.local_population == 1 and not a.world.knows_token(a.inbox[alice][0].resume_token)


def test_a_ghost_whose_visitor_is_not_heard_of_leaves_after_a_second() -> None:
    a = shared([(20.0, 0.0), (22.0, 0.0)], 0)
    alice = a.join("อลิส")
    watcher = a.join()
    a.tick()
    a.apply(a.world.release(a.inbox[alice][0].resume_token))
    for _ in range(GHOST_TICKS - 1):
        a.tick()
        assert a.ids[alice] in a.sees(watcher)
    a.tick()
    assert a.ids[alice] not in a.sees(watcher)
    assert [t for t, _ in a.world.resume_states()] == [a.inbox[watcher][0].resume_token]


def test_release_of_a_connected_avatar_closes_its_old_connection() -> None:
    a = shared([(5.0, 0.0)], 0)
    alice = a.join()
    token = a.inbox[alice][0].resume_token
    effects = a.world.release(token)
    assert any(isinstance(e, Close) and e.session == alice for e in effects)
    assert any(isinstance(e, Send) for e in effects)
    assert a.world.release("no-such-token") == []


def test_remote_news_never_touches_local_avatars() -> None:
    a = shared([(5.0, 0.0)], 0)
    alice = a.join()
    mine = a.ids[alice]
    cell = a.world.avatars[mine].cell
    fake = [mine, 1, 1, 0, 0, "ปลอม", [0, 0, 0]]
    a.world.remote_news(cell, [[mine, 9000, 9000]], [fake], [mine])
    a.tick()
    assert a.world.avatars[mine].x == 5.0 and a.world.local_population == 1
    assert a.sees(alice) == set()


def test_a_move_before_the_collect_reaches_the_other_world_in_the_same_tick() -> None:
    a = shared([(5.0, 0.0)], 0)
    b = shared([(40.0, 0.0)], 1)
    alice, bob = a.join("อลิส"), b.join("บ๊อบ")
    step(a, b)
    step(a, b)
    a.now += 0.5
    a.send(alice, Move(7.0, 1.0, 90.0, 1))
    step(a, b)  # one tick: collected, carried, framed
    assert b.views[bob].avatars[a.ids[alice]][:4] == [700, 100, 64, 1]


def test_changes_in_both_halves_of_a_tick_arrive_whole() -> None:
    """A move before the collect and a turn after it reach an observer in one frame."""
    a = shared([(5.0, 0.0), (6.0, 0.0)], 0)
    alice, carol = a.join("อลิส"), a.join("แครอล")
    a.tick()
    a.now += 0.5
    a.send(alice, Move(5.5, 0.5, 0.0, 1))
    a.world.collect()
    a.send(alice, Move(5.5, 0.5, 180.0, 2))
    frames = a.views[carol].frames
    a.tick()
    assert a.views[carol].frames == frames + 1
    assert a.views[carol].avatars[a.ids[alice]][:4] == [550, 50, 128, 2]


def test_records_of_both_halves_combine_later_fields_first() -> None:
    pack = msgpack.packb
    early = ({7: pack([7, 100, 200]), 8: pack([8, None, None, 5])}, {0: [pack([7, 100, 200])]})
    late = {7: pack([7, None, None, 64, 2]), 9: pack([9, 1, 2])}
    frags, batches = merge_halves(early, late, {0: [late[7]], 1: [late[9]]})
    assert msgpack.unpackb(frags[7]) == [7, 100, 200, 64, 2]
    assert msgpack.unpackb(frags[8]) == [8, None, None, 5]
    assert msgpack.unpackb(frags[9]) == [9, 1, 2]
    assert [msgpack.unpackb(r) for r in batches[0]] == [[7, 100, 200], [7, None, None, 64, 2]]
    assert list(batches) == [0, 1]


def test_remote_update_records_reach_the_frames_as_they_came() -> None:
    """The receiving world puts a remote update record into its frames byte for byte; it
    does not decode it into the avatar and encode it again (this record's x is an int32 where
    msgpack would write an int16: only the record as it came has those bytes)."""
    a = shared([(5.0, 0.0)], 0)
    b = shared([(40.0, 0.0)], 1)
    alice, bob = a.join("อลิส"), b.join("บ๊อบ")
    step(a, b)
    step(a, b)
    aid = a.ids[alice]
    cell = a.world.avatars[aid].cell
    odd = b"\x93" + msgpack.packb(aid) + b"\xd2\x00\x00\x03\x20" + msgpack.packb(150)
    assert msgpack.unpackb(odd) == [aid, 800, 150] and msgpack.packb([aid, 800, 150]) != odd
    message = encode_news(0, CellNews([odd], [], [], []), ask=False)
    _lane, updates, records, enters, leaves, _said, _ask = decode_news(message)
    assert records == [odd]
    b.world.remote_news(cell, updates, enters, leaves, records, b.now)
    b.tick()
    assert odd in b.raw[bob][-1]
    assert b.views[bob].avatars[aid][:2] == [800, 150]
    assert (b.world.avatars[aid].x, b.world.avatars[aid].z) == (8.0, 1.5)


def test_an_avatar_that_leaves_takes_its_update_of_the_same_tick_with_it() -> None:
    a = shared([(5.0, 0.0)], 0)
    b = shared([(40.0, 0.0)], 1)
    alice, bob = a.join(), b.join()
    step(a, b)
    step(a, b)
    aid = a.ids[alice]
    cell = b.world.avatars[aid].cell
    b.world.remote_news(cell, [(aid, 600, 0)], [], [], [msgpack.packb([aid, 600, 0])], b.now)
    b.world.remote_news(cell, [], [], [aid], None, b.now)  # gone from the cell, same tick
    b.tick()
    assert aid not in b.world.avatars and b.sees(bob) == set()
    frame = msgpack.unpackb(b.raw[bob][-1])
    assert frame[5] == [] and frame[6] == [aid], "its leave, and no update of it"


def test_remote_avatars_not_heard_of_expire_and_the_heard_stay() -> None:
    a = shared([(5.0, 0.0), (6.0, 0.0)], 0)
    b = shared([(40.0, 0.0)], 1)
    alice, carol, _bob = a.join(), a.join(), b.join()
    step(a, b)
    step(a, b)
    ids = {a.ids[alice], a.ids[carol]}
    assert ids <= set(b.world.avatars)
    for _ in range(3):  # only alice walks: carol's roster is not due with roster_all False
        b.now += 1.0
        a.walk(alice, 8.0 + _, 0.0)
        step(a, b)
    assert b.world.remote_expire(b.now - 2.5) == 1
    assert a.ids[alice] in b.world.avatars and a.ids[carol] not in b.world.avatars


def test_remote_avatars_on_slower_tiers_are_true_at_their_turns() -> None:
    """Distance tiers over two worlds: the walkers are on one, the observers on the other;
    each remote avatar an observer sees on a slower rate is where its own world has it at
    each of its turns, and some are on slower rates."""
    tiers = {"k_nearest": 7, "tier_near": 2, "tier_mid": 2, "mid_every": 2, "far_every": 3}
    rng = random.Random(5)
    spawns = [(rng.uniform(2, 60), rng.uniform(-30, 5)) for _ in range(24)]
    a = shared(spawns, 0, **tiers)
    b = shared([(s[0] + 0.5, s[1]) for s in spawns[:4]], 1, **tiers)
    walkers = [a.join(f"ผู้เดิน{i}") for i in range(24)]
    observers = [b.join(f"ผู้ชม{i}") for i in range(4)]
    slower = 0
    for _ in range(40):
        a.now += 1.0
        b.now += 1.0
        for sid in walkers:
            av = a.world.avatars[a.ids[sid]]
            nx = min(60.0, max(2.0, av.x + rng.uniform(-5, 5)))
            nz = min(5.0, max(-30.0, av.z + rng.uniform(-5, 5)))
            a.send(sid, Move(nx, nz, rng.uniform(0, 360), rng.choice([0, 1, 2])))
        step(a, b)
        tick = b.world.tick_no
        for sid in observers:
            view, every = b.views[sid].avatars, b.views[sid].every
            for aid, (x, z, hd, an, _name) in view.items():
                if aid >> LANE_SHIFT != 0:
                    continue  # another observer
                slower += every[aid] > 1
                if (tick + aid) % every[aid] == 0:
                    truth = a.world.avatars[aid]
                    assert (x, z, hd, an) == (truth.qx, truth.qz, truth.qh, truth.qa)
    assert slower > 0, "no remote avatar was on a slower tier: the test tests nothing"
