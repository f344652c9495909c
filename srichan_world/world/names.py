"""What a visitor may type: display names and chat lines (Thai welcome, tricks not).

A name is read by everyone nearby and on the leaderboards, so it must look like what it is:

* NFC-normalised and trimmed, so one spelling has one form;
* no control, format (zero-width joiners, bidi overrides), surrogate, private-use or
  unassigned characters, no line or paragraph separators, and in names no spaces other than
  single ASCII spaces (an em space or two spaces make look-alikes of other names);
* no *invisible-only* text: at least one letter, digit, punctuation or symbol that draws
  something. Blank look-alikes (the Hangul fillers, the braille blank) and the other default
  ignorable code points of Unicode (variation selectors aside, which emoji need) do not count
  and are refused outright;
* at most two combining marks stacked on one base character (``MAX_STACKED_MARKS``, counted
  on the canonical decomposition: Vietnamese ệ is e with two), and none without a base.
  Thai writes a consonant with at most one vowel above or below and one tone mark (ผู้, น้ำ,
  ที่): two marks. Twenty-three tone marks on one letter ("Zalgo") draw over the lines around
  them.

Chat follows the same rules except the one about spaces. A refusal names its rule
(:class:`Why`), with a reason in Thai and English (:data:`REASONS`) for the ``error`` message.
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from srichan_world.protocol.limits import CHAT_MAX_CHARS, NAME_MAX_CHARS, NAME_MIN_CHARS

MAX_STACKED_MARKS = 2
"""Combining marks one base character may carry: a Thai vowel above/below plus a tone mark."""

_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control, format (zero-width tricks, bidi overrides), surrogate, private, unassigned, and
line/paragraph separators. Thai letters (Lo) and vowel/tone marks (Mn) are all allowed."""
_MARKS = frozenset({"Mn", "Me"})
"""Marks that stack on their base (spacing marks, Mc, take their own room)."""
_VISIBLE = frozenset("LNPS")
"""Major categories that draw something: letters, numbers, punctuation, symbols."""
_VARIATION_SELECTORS = frozenset({"\ufe0e", "\ufe0f"})
"""Text/emoji presentation selectors: default ignorable, but ❤️ needs one."""
_INVISIBLE = frozenset(
    {
        0x034F,  # combining grapheme joiner
        0x115F,  # Hangul choseong filler
        0x1160,  # Hangul jungseong filler
        0x17B4,  # Khmer vowel inherent aq
        0x17B5,  # Khmer vowel inherent aa
        *range(0x180B, 0x1810),  # Mongolian free variation selectors
        0x2800,  # braille pattern blank
        0x3164,  # Hangul filler
        *range(0xFE00, 0xFE0E),  # variation selectors 1–14
        0xFFA0,  # halfwidth Hangul filler
        *range(0xE0100, 0xE01F0),  # variation selectors supplement
    }
)
"""Code points that draw nothing but are not format characters: Unicode's
Default_Ignorable_Code_Point outside Cf/Cn (DerivedCoreProperties.txt), and the braille blank."""


class Why(StrEnum):
    """The rule a name or chat line broke."""

    LENGTH = "length"
    CONTROL = "control"
    SPACES = "spaces"
    INVISIBLE = "invisible"
    MARKS = "marks"
    TOO_LONG = "too_long"


REASONS: dict[Why, str] = {
    Why.LENGTH: (
        f"ชื่อต้องยาว {NAME_MIN_CHARS}–{NAME_MAX_CHARS} ตัวอักษร / "
        f"names are {NAME_MIN_CHARS}–{NAME_MAX_CHARS} characters"
    ),
    Why.CONTROL: (
        "มีอักขระควบคุม อักขระล่องหน หรือการขึ้นบรรทัดใหม่ / "
        "control, invisible, bidi or line-break characters"
    ),
    Why.SPACES: "เว้นวรรคได้ทีละหนึ่งช่องปกติเท่านั้น / only single ordinary spaces",
    Why.INVISIBLE: "ไม่มีตัวอักษรที่มองเห็นได้ / nothing visible in it",
    Why.MARKS: (
        f"วรรณยุกต์หรือสระซ้อนกันเกิน {MAX_STACKED_MARKS} ตัว / "
        f"more than {MAX_STACKED_MARKS} marks stacked on one letter"
    ),
    Why.TOO_LONG: f"ข้อความยาวเกิน {CHAT_MAX_CHARS} ตัวอักษร / over {CHAT_MAX_CHARS} characters",
}
"""Thai first, English second: the ``message`` of a ``bad_name``/``bad_text`` error."""


def _problem(text: str, *, names: bool) -> Why | None:
    """The first rule ``text`` (NFC, trimmed) breaks, or ``None``. Marks are counted on the
    canonical decomposition, so a precomposed letter (á) carries its own accent."""
    visible = False
    marks = 0
    base = False
    previous = ""
    for ch in unicodedata.normalize("NFD", text):
        category = unicodedata.category(ch)
        if category in _REFUSED or (ord(ch) in _INVISIBLE):
            return Why.CONTROL
        if category in _MARKS and ch not in _VARIATION_SELECTORS:
            marks += 1
            if not base or marks > MAX_STACKED_MARKS:
                return Why.MARKS
        elif ch in _VARIATION_SELECTORS:
            if not base:
                return Why.MARKS
        else:
            marks = 0
            if category[0] == "Z":
                if names and (ch != " " or previous == " "):
                    return Why.SPACES
                base = False
            else:
                base = True
                visible = visible or category[0] in _VISIBLE
        previous = ch
    return None if visible else Why.INVISIBLE


def check_name(raw: str) -> tuple[str | None, Why | None]:
    """``(name, None)``: the trimmed NFC display name; or ``(None, why)``."""
    text = unicodedata.normalize("NFC", raw).strip()
    if not NAME_MIN_CHARS <= len(text) <= NAME_MAX_CHARS:
        return None, Why.LENGTH
    why = _problem(text, names=True)
    return (None, why) if why is not None else (text, None)


def clean_name(raw: str) -> str | None:
    """The trimmed display name, or ``None`` if it breaks a rule (:func:`check_name`)."""
    return check_name(raw)[0]


def clean_chat(raw: str) -> tuple[str | None, Why | None]:
    """``(text, None)`` or ``(None, why)``; ``Why.TOO_LONG`` is the only length refusal
    (empty text is ``Why.INVISIBLE``)."""
    return clean_text(raw, CHAT_MAX_CHARS)


def clean_text(raw: str, max_chars: int) -> tuple[str | None, Why | None]:
    """A chat line's rules at another length (dialogue opinions, the city's questions)."""
    text = unicodedata.normalize("NFC", raw).strip()
    if len(text) > max_chars:
        return None, Why.TOO_LONG
    why = _problem(text, names=False)
    return (None, why) if why is not None else (text, None)
