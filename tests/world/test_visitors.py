"""Visitor credentials and nicknames: forms, hashing, Thai names, control characters."""

from __future__ import annotations

import pytest

from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.visitors import (
    check_credentials,
    default_name,
    display_name,
    hash_secret,
    normalize_nickname,
    secret_matches,
)

GOOD_ID = "4f1c2a9e-77aa-4b1e-9c3d-0123456789ab"
GOOD_SECRET = "Zk3_vq9-XbT0pLw8RmY2sA"


def test_good_credentials_pass() -> None:
    check_credentials(GOOD_ID, GOOD_SECRET)
    check_credentials("abcdefgh", "!" * 22)


@pytest.mark.parametrize(
    ("visitor_id", "secret"),
    [
        ("short", GOOD_SECRET),
        ("x" * 65, GOOD_SECRET),
        ("has space1", GOOD_SECRET),
        ("ผู้เยี่ยมชม123", GOOD_SECRET),
        (None, GOOD_SECRET),
        (GOOD_ID, "tooshort"),
        (GOOD_ID, "x" * 129),
        (GOOD_ID, "with space" * 3),
        (GOOD_ID, "รหัสลับ" * 5),
        (GOOD_ID, None),
    ],
)
def test_malformed_credentials_are_refused(visitor_id: object, secret: object) -> None:
    with pytest.raises(Refused) as caught:
        check_credentials(visitor_id, secret)  # type: ignore[arg-type]
    assert caught.value.code == ErrorCode.BAD_IDENTITY


def test_only_a_hash_of_the_secret_is_kept_and_it_verifies() -> None:
    stored = hash_secret(GOOD_SECRET)
    assert GOOD_SECRET not in stored and len(stored) == 64
    assert secret_matches(GOOD_SECRET, stored)
    assert not secret_matches(GOOD_SECRET[:-1] + "B", stored)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("  น้องแก่น  ", "น้องแก่น"),
        ("Somchai", "Somchai"),
        ("ก" * 24, "ก" * 24),
        ("e\u0301", "\u00e9"),  # NFC
        ("ศรีจันทร์ Walker", "ศรีจันทร์ Walker"),
    ],
)
def test_nicknames_are_trimmed_and_thai_is_welcome(raw: str, name: str) -> None:
    assert normalize_nickname(raw) == name


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ก" * 25,
        "a\nb",
        "tab\there",
        "bell\x07",
        "zero\u200bwidth",
        "rtl\u202eevil",
        42,
        "\u3164",
        "\u2800",
        "Nok\u2003Nok",
        "ก" + "\u0e48" * 23,
    ],
)
def test_bad_nicknames_are_refused(raw: object) -> None:
    with pytest.raises(Refused) as caught:
        normalize_nickname(raw)  # type: ignore[arg-type]
    assert caught.value.code == ErrorCode.BAD_NAME


def test_a_visitor_without_nickname_gets_the_default_name_of_their_id() -> None:
    assert display_name("4f1c2a9e", None) == default_name("4f1c2a9e")
    assert display_name("4f1c2a9e", "น้องแก่น") == "น้องแก่น"


@pytest.mark.parametrize(
    ("visitor_id", "name"),
    # Pinned: browsers that made their name from these ids show exactly these (the browser's
    # own computation is compared in tests/browser/test_first_visit.py).
    [("a", "ผู้มาเยือน ๖๗๑๕"), ("foobar", "ผู้มาเยือน ๑๒๗๖")],
)
def test_default_names_are_four_thai_digits_from_the_id(visitor_id: str, name: str) -> None:
    assert default_name(visitor_id) == name


def test_default_names_spread_over_the_ids() -> None:
    names = {default_name(f"visitor{i:04d}") for i in range(200)}
    assert len(names) > 190
    assert all(n.startswith("ผู้มาเยือน ") and len(n.split()[1]) == 4 for n in names)
