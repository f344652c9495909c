"""The chat word filter: listed words are masked where they stand as Thai words, never inside
longer words, and lines without them pass unchanged."""

from __future__ import annotations

import pytest

from srichan_world.world.chatfilter import MASK, WORDS_MAX, WordFilter, clean_words

LIST = ["ควาย", "สัตว์", "เหี้ย", "FUCK"]


@pytest.fixture(scope="module")
def words() -> WordFilter:
    return WordFilter(LIST)


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("ไอ้ควายตัวนี้", f"ไอ้{MASK * 4}ตัวนี้"),
        ("ไอ้สัตว์", f"ไอ้{MASK * 5}"),
        ("เหี้ยมาก", f"{MASK * 5}มาก"),
        ("คนสัตว์ไปไหน", f"คน{MASK * 5}ไปไหน"),
        ("สวัสดีครับ ผมชื่อควาย", f"สวัสดีครับ ผมชื่อ{MASK * 4}"),
        ("fuck you", f"{MASK * 4} you"),
        ("FuCk", MASK * 4),
    ],
)
def test_a_listed_word_standing_as_a_word_is_masked(
    words: WordFilter, said: str, shown: str
) -> None:
    assert words.mask(said) == shown


@pytest.mark.parametrize(
    "said",
    [
        "ไปหาสัตวแพทย์ที่ศรีจันทร์",  # สัตวแพทย์ (veterinarian) holds สัตว
        "สัตว์ป่าสงวนของไทย",  # สัตว์ป่า (wildlife) is one word
        "ขี้ควายใช้ทำปุ๋ย",  # ขี้ควาย (buffalo dung, fertiliser) is one word
        "โจรโหดเหี้ยมถูกจับแล้ว",  # เหี้ยม (cruel) holds เหี้ย
        "Fucking",  # another word, not the listed one
        "สวัสดีค่ะ ยินดีต้อนรับสู่ถนนศรีจันทร์",
    ],
)
def test_a_listed_word_inside_a_longer_word_is_left_alone(words: WordFilter, said: str) -> None:
    assert words.mask(said) == said


def test_masking_keeps_the_line_and_its_length(words: WordFilter) -> None:
    said = "ควาย ควาย ควาย"
    shown = words.mask(said)
    assert len(shown) == len(said) and shown.count(MASK) == 12 and shown.count(" ") == 2


def test_an_empty_list_changes_nothing() -> None:
    assert WordFilter().mask("ไอ้ควาย") == "ไอ้ควาย"


def test_the_list_is_cleaned() -> None:
    assert clean_words(["  ควาย ", "ควาย", "", "FUCK"]) == ("fuck", "ควาย")


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        (["สอง คำ"], "words[0]: one word"),
        (["x" * 41], "words[0]: longer than 40"),
        ([1], "words[0]: expected text"),
        (["ok", "a\u200bb"], "words[1]: one word"),
        ([f"w{i}" for i in range(WORDS_MAX + 1)], "words: at most"),
    ],
)
def test_bad_lists_are_refused_by_word(words: list[object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        clean_words(words)
