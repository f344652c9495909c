"""Recovery codes: the identity round-trips, and every typing mistake is caught by the check."""

from __future__ import annotations

import secrets

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world import recovery
from srichan_world.world.recovery import ALPHABET, CODE_CHARS, decode, encode


def identity() -> tuple[str, str]:
    return secrets.token_urlsafe(16), secrets.token_urlsafe(32)


def refused(text: object) -> str:
    with pytest.raises(Refused) as caught:
        decode(text)
    assert caught.value.code == ErrorCode.RECOVERY_CODE_INVALID
    return caught.value.refusal.detail


def test_round_trip_in_groups_of_four() -> None:
    for _ in range(200):
        visitor_id, secret = identity()
        code = encode(visitor_id, secret)
        assert code is not None
        assert len(code.replace("-", "")) == CODE_CHARS
        assert all(len(g) == 4 for g in code.split("-")[:-1])
        assert set(code.replace("-", "")) <= set(ALPHABET)
        assert decode(code) == (visitor_id, secret)


def test_typed_loosely_still_reads() -> None:
    visitor_id, secret = identity()
    code = encode(visitor_id, secret)
    assert code is not None
    loose = " ".join(code.lower().split("-")).replace("0", "o").replace("1", "l")
    assert decode(f"  {loose}\n") == (visitor_id, secret)


def test_every_single_typo_and_neighbour_swap_is_caught() -> None:
    visitor_id, secret = identity()
    code = recovery.normalize(encode(visitor_id, secret) or "")
    for i, original in enumerate(code):
        for c in ALPHABET:
            if c != original:
                assert "check" in refused(code[:i] + c + code[i + 1 :])
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            refused(code[:i] + code[i + 1] + code[i] + code[i + 2 :])


def test_wrong_shapes_are_refused_by_name() -> None:
    visitor_id, secret = identity()
    code = recovery.normalize(encode(visitor_id, secret) or "")
    assert "characters, not 78" in refused(code[:-1])
    assert "characters, not 80" in refused(code + "0")
    assert "not in a code" in refused(code[:-1] + "U")
    assert "not in a code" in refused("รหัส" + code)
    assert "79" in refused("0" * 1000)
    assert "79" in refused(None)
    assert "79" in refused(12345)


def test_identities_not_made_by_a_browser_have_no_code() -> None:
    visitor_id, secret = identity()
    assert encode("visitor-0001", secret) is None
    assert encode(visitor_id, "visitor-Secret_0123456789abcdef") is None
    assert encode(visitor_id, secret + "A") is None
