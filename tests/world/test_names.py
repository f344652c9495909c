"""Names and chat refuse invisible, separator and stacked-mark tricks; real Thai passes."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srichan_world.world.names import (
    MAX_STACKED_MARKS,
    REASONS,
    Why,
    check_name,
    clean_chat,
    clean_name,
)

THAI = ["น้ำ", "กี่", "ที่", "ผู้เรียน", "สวัสดีครับ", "ฤทธิ์", "ญี่ปุ่น", "กั้น", "สมศรี ใจดี"]
"""Real Thai words: each letter carries at most a vowel above/below and a tone mark."""


@pytest.mark.parametrize("word", THAI)
def test_real_thai_names_and_chat_pass(word: str) -> None:
    assert check_name(word) == (word, None)
    assert clean_chat(f"ไป {word} กันไหม") == (f"ไป {word} กันไหม", None)


@pytest.mark.parametrize(
    "ok", ["Nok", "José", "Nguyễn Văn", "❤️ Nok", "Ana-María", "李小龍", "Ω 1", "क्षत्रिय"]
)
def test_other_scripts_and_emoji_pass(ok: str) -> None:
    assert clean_name(ok) == unicodedata.normalize("NFC", ok)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("Nok\u2003Nok", Why.SPACES),  # em space inside
        ("Nok  Nok", Why.SPACES),  # two spaces
        ("Nok\u00a0Nok", Why.SPACES),  # no-break space
        ("Nok\u3000Nok", Why.SPACES),  # ideographic space
        ("\u3164", Why.CONTROL),  # Hangul filler alone
        ("Nok\u3164", Why.CONTROL),
        ("\uffa0", Why.CONTROL),  # halfwidth Hangul filler
        ("\u2800", Why.CONTROL),  # braille blank
        ("\u2800\u2800\u2800", Why.CONTROL),
        ("\u200b", Why.CONTROL),  # zero-width space
        ("N\u200bok", Why.CONTROL),
        ("N\u200dok", Why.CONTROL),  # zero-width joiner
        ("\ufeffNok", Why.CONTROL),  # byte order mark
        ("rtl\u202eoverride", Why.CONTROL),
        ("a\u2066b\u2069", Why.CONTROL),  # bidi isolates
        ("line\u2028sep", Why.CONTROL),
        ("para\u2029sep", Why.CONTROL),
        ("tab\tname", Why.CONTROL),
        ("N\u034fok", Why.CONTROL),  # combining grapheme joiner
        ("\u0e49", Why.MARKS),  # a tone mark alone
        ("\u0e49\u0e49", Why.MARKS),
        ("\u0301\u0301", Why.MARKS),  # only combining marks
        ("Nok \u0301", Why.MARKS),  # a mark on a space
        ("ก" + "\u0e48" * 23, Why.MARKS),  # 23 stacked Thai tone marks
        ("ผู้" + "\u0e49", Why.MARKS),  # a third mark on ผ
        ("a\u0301\u0302\u0303", Why.MARKS),
        ("Zalgo\u0336\u0337\u0338", Why.MARKS),
        ("", Why.LENGTH),
        ("   ", Why.LENGTH),
        ("ก" * 25, Why.LENGTH),
    ],
)
def test_tricks_are_refused_with_their_rule(raw: str, why: Why) -> None:
    assert check_name(raw) == (None, why)
    assert clean_name(raw) is None


def test_exactly_two_marks_pass_and_three_do_not() -> None:
    assert MAX_STACKED_MARKS == 2
    assert clean_name("a\u0301\u0302") == unicodedata.normalize("NFC", "a\u0301\u0302")
    assert clean_name("ก\u0e34\u0e48") == "ก\u0e34\u0e48"  # vowel above + tone mark
    assert clean_name("ก\u0e34\u0e48\u0e48") is None


def test_chat_follows_the_same_rules_but_keeps_spaces() -> None:
    assert clean_chat("ไป  ร้าน\u2003นี้") == ("ไป  ร้าน\u2003นี้", None)
    assert clean_chat("\u3164\u3164") == (None, Why.CONTROL)
    assert clean_chat("\u0e48" * 30) == (None, Why.MARKS)
    assert clean_chat("ก" + "\u0e48" * 5) == (None, Why.MARKS)
    assert clean_chat("hi\u202e") == (None, Why.CONTROL)
    assert clean_chat("   ") == (None, Why.INVISIBLE)
    assert clean_chat("ก" * 201) == (None, Why.TOO_LONG)


def test_every_reason_is_thai_then_english() -> None:
    assert set(REASONS) == set(Why)
    for text in REASONS.values():
        thai, english = text.split(" / ")
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in thai)
        assert english[0].isascii() and not any("\u0e00" <= ch <= "\u0e7f" for ch in english)


def test_names_are_nfc() -> None:
    assert clean_name("e\u0301") == "é"


@given(st.text(max_size=40))
def test_an_accepted_name_is_nfc_trimmed_visible_and_has_no_stacks(raw: str) -> None:
    name = clean_name(raw)
    if name is None:
        return
    assert name == unicodedata.normalize("NFC", name) == name.strip()
    assert any(unicodedata.category(ch)[0] in "LNPS" for ch in name)
    run = 0
    for ch in name:
        run = run + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
        assert run <= MAX_STACKED_MARKS + 1  # +1: an emoji selector after two marks
