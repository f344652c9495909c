"""One Thai glossary for the street's own terms: the word a visitor reads for each idea, in Thai
and English, and the spellings to avoid.

A visitor should never meet two spellings of one thing ("โทเค็น" in the interface and "โทเคน" in
a quiz). The browser's interface builds its strings from this table (exported to
``server/web/protocol.js``), and ``srichan scene check`` reports every avoided spelling in the
scene's text with its place in the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from srichan_world.scene.problems import Problem


@dataclass(frozen=True)
class Term:
    th: str
    en: str
    avoid: tuple[str, ...] = ()


GLOSSARY: Mapping[str, Term] = MappingProxyType(
    {
        "token": Term("โทเค็น", "token", ("โทเคน",)),
        "coupon": Term("คูปอง", "coupon", ("คูป้อง",)),
        "promotion": Term("โปรโมชัน", "promotion", ("โปรโมชั่น", "โปรโมชั้น")),
        "quest": Term("ภารกิจ", "quest", ("เควส",)),
        "question": Term("คำถาม", "question", ("ควิซ",)),
        "shop": Term("ร้านค้า", "shop"),
        "wallet": Term("กระเป๋า", "wallet", ("วอลเล็ต",)),
        "leaderboard": Term("อันดับ", "leaderboard"),
        "visitor": Term("ผู้มาเยือน", "visitor"),
        "landmark": Term("สถานที่สำคัญ", "landmark"),
        "badge": Term("เหรียญตรา", "badge", ("แบดจ์", "แบดจ")),
        "course": Term("หลักสูตร", "course"),
        "lesson": Term("บทเรียน", "lesson", ("เลสซัน",)),
    }
)


@dataclass(frozen=True)
class Misspelling:
    term: str
    found: str
    use: str


def misspellings(text: str) -> list[Misspelling]:
    """Every avoided spelling in ``text``, in glossary order."""
    return [
        Misspelling(name, bad, term.th)
        for name, term in GLOSSARY.items()
        for bad in term.avoid
        if bad in text
    ]


def glossary_problems(data: Any) -> list[Problem]:
    """Every avoided spelling in the strings of a scene document, each at its path (the
    loader adds line and column). Ids and kinds are plain ASCII, so every string is read."""
    return [
        Problem(path, f"{m.found!r} is not the street's spelling of {m.term!r}", did_you_mean=m.use)
        for path, text in _strings(data, "")
        for m in misspellings(text)
    ]


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")
