"""What a visitor may type: display names and chat lines (Thai welcome, control codes not)."""

from __future__ import annotations

import unicodedata

from srichan_world.protocol.limits import CHAT_MAX_CHARS, NAME_MAX_CHARS, NAME_MIN_CHARS

_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Control, format (zero-width tricks, bidi overrides), surrogate, private, unassigned, and
line/paragraph separators. Thai letters (Lo) and vowel/tone marks (Mn) are all allowed."""


def _clean(raw: str) -> str | None:
    text = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in _REFUSED for ch in text):
        return None
    return text


def clean_name(raw: str) -> str | None:
    """The trimmed display name, or ``None`` if it breaks the rules (1–24 characters)."""
    text = _clean(raw)
    if text is None or not NAME_MIN_CHARS <= len(text) <= NAME_MAX_CHARS:
        return None
    return text


def clean_chat(raw: str) -> tuple[str | None, str]:
    """``(text, "")`` or ``(None, why)`` where why is ``"too_long"`` or ``"bad_text"``."""
    text = _clean(raw)
    if text is None or not text:
        return None, "bad_text"
    if len(text) > CHAT_MAX_CHARS:
        return None, "too_long"
    return text, ""
