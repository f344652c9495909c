"""The chat word filter: words on the city's list are masked where they stand as words.

Thai is written without spaces between words, so a plain substring match would mask
innocent words that happen to contain a listed one (``ควาย`` inside ``ขี้ควาย``? no: inside
``ควายป่า`` it is a word, inside ``สัตวแพทย์`` ``สัตว์`` is not). The text is cut into words with
PyThaiNLP's ``newmm`` engine (dictionary-based maximal matching over Thai character
clusters), with the listed words added to its dictionary so each is recognised as a word
where it stands as one; a dictionary word that merely contains a listed word stays whole and
is left alone. Latin-script words are compared case-insensitively. A masked word becomes as
many ``*`` as it has characters (ASCII: the full-width ``＊`` is missing from common Thai
fonts): the line still goes out, the reader sees that something was removed, and nothing is
silently dropped.

The dictionary (about 62,000 words) is built once per word list (about a second, so the
server builds it in a worker thread); masking a 200-character line takes about 0.35 ms, far
below chat's one line a second per visitor (tools/bench/chatfilter.py, docs/benchmarks.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from pythainlp.corpus import thai_words
from pythainlp.tokenize import Tokenizer

MASK = "*"
WORD_MAX_CHARS = 40
WORDS_MAX = 500
"""The city's list is bounded: each word at most 40 characters, at most 500 words."""


def clean_words(words: Iterable[object]) -> tuple[str, ...]:
    """The list as the city typed it, trimmed, NFC, lower-cased, without blanks or repeats,
    sorted; ``ValueError`` naming the first word that is not text, too long, or with
    spaces or control characters inside, or a list over :data:`WORDS_MAX`."""
    out: set[str] = set()
    for i, word in enumerate(words):
        if not isinstance(word, str):
            raise ValueError(f"words[{i}]: expected text")
        w = unicodedata.normalize("NFC", word.strip()).lower()
        if not w:
            continue
        if len(w) > WORD_MAX_CHARS:
            raise ValueError(f"words[{i}]: longer than {WORD_MAX_CHARS} characters")
        if any(c.isspace() or unicodedata.category(c)[0] == "C" for c in w):
            raise ValueError(f"words[{i}]: one word, no spaces or control characters")
        out.add(w)
    if len(out) > WORDS_MAX:
        raise ValueError(f"words: at most {WORDS_MAX}")
    return tuple(sorted(out))


class WordFilter:
    """Masks the listed words in a chat line (see the module docstring)."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words = clean_words(words)
        self._listed = frozenset(self.words)
        self._tokenizer: Tokenizer | None = None
        if self.words:
            dictionary = set(thai_words()) | set(self.words)
            self._tokenizer = Tokenizer(custom_dict=dictionary, engine="newmm")

    def mask(self, text: str) -> str:
        """``text`` with every listed word masked; unchanged when nothing matched."""
        if self._tokenizer is None:
            return text
        parts = self._tokenizer.word_tokenize(unicodedata.normalize("NFC", text))
        hit = False
        out = []
        for part in parts:
            if part.lower() in self._listed:
                out.append(MASK * len(part))
                hit = True
            else:
                out.append(part)
        return "".join(out) if hit else text
