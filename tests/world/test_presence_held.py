"""Leaving without a goodbye holds the avatar for a resume, and says so (``Held``) for the I/O
to count it against the address; a goodbye lets it go at once."""

from __future__ import annotations

from srichan_world.protocol.messages import Hello
from srichan_world.world.presence import Held
from tests.world.test_presence import Harness


def test_a_drop_holds_the_avatar_and_says_under_which_token_until_when() -> None:
    h = Harness([(5.0, 0.0), (8.0, 0.0)])
    a = h.join()
    effects = h.world.disconnect(a, h.now)
    assert effects == [Held(a, "token-0", h.now + 30.0)]
    assert h.world.is_held("token-0") and h.world.population == 1
    back = h.connect()
    (w,) = h.send(back, Hello(1, "กลับมา", (0, 0, 0), resume="token-0"))
    assert w.resumed and not h.world.is_held("token-0"), "resumed: its place is free"


def test_a_goodbye_lets_the_avatar_go_at_once() -> None:
    h = Harness([(5.0, 0.0), (8.0, 0.0)])
    a, b = h.join(), h.join()
    assert h.world.disconnect(a, h.now, goodbye=True) == []
    assert not h.world.is_held("token-0") and h.world.population == 1
    h.tick()
    assert h.ids[a] not in h.sees(b), "gone for the others at the next frame"
    again = h.connect()
    (w,) = h.send(again, Hello(1, "ใหม่", (0, 0, 0), resume="token-0"))
    assert not w.resumed, "nothing to resume after a goodbye"


def test_an_expired_hold_is_no_longer_held() -> None:
    h = Harness([(5.0, 0.0)])
    a = h.join()
    h.world.disconnect(a, h.now)
    h.tick(31.0)
    assert not h.world.is_held("token-0") and h.world.population == 0


ALICE = {"visitor_id": "alice-0001", "visitor_secret": "a" * 30}
MALLORY = {"visitor_id": "mallory-01", "visitor_secret": "m" * 30}


def test_a_stolen_resume_token_with_another_identity_buys_a_fresh_avatar() -> None:
    h = Harness([(5.0, 0.0), (8.0, 0.0), (11.0, 0.0)])
    victim = h.join("อลิซ", **ALICE)
    aid = h.ids[victim]
    h.world.disconnect(victim, h.now)
    for other in (MALLORY, {}, {**ALICE, "visitor_secret": "x" * 30}):
        thief = h.connect()
        (w,) = h.send(thief, Hello(1, "ขโมย", (0, 0, 0), resume="token-0", **other))
        assert not w.resumed and w.avatar_id != aid and w.resume_token != "token-0", other
        assert h.world.is_held("token-0"), "the victim's avatar still waits, untouched"
    back = h.connect()
    (w,) = h.send(back, Hello(1, "อลิซ", (0, 0, 0), resume="token-0", **ALICE))
    assert w.resumed and w.avatar_id == aid and w.name == "อลิซ"


def test_an_anonymous_avatar_is_not_resumed_by_an_identity() -> None:
    h = Harness([(5.0, 0.0), (8.0, 0.0)])
    anonymous = h.join("นิรนาม")
    h.world.disconnect(anonymous, h.now)
    other = h.connect()
    (w,) = h.send(other, Hello(1, "ใครก็ได้", (0, 0, 0), resume="token-0", **MALLORY))
    assert not w.resumed
