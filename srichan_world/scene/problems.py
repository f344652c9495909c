"""Problems an author must fix, and where in the TOML text each one is.

A :class:`Problem` names the value at fault by its path in the document
(``quiz_points[21].landmark``), the id of the item it belongs to, the line and column of that
value in the source, and for an unknown name the nearest known one (*did you mean*).

``tomllib`` keeps no positions, so :class:`SourceMap` finds them with a small scanner over the
text: table headers, ``[[array]]`` headers counted per name, keys, and keys inside inline tables
and arrays (strings and comments skipped). A path it cannot place falls back to its nearest
placed parent: an item's header at worst, never a wrong line.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_ITEM = re.compile(r"^([a-z_]+\[\d+\])")


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int = 0
    """1-based; 0 when unknown."""
    column: int = 0
    item_id: str = ""
    """The id of the landmark, quiz point, … the path lies in, when it has one."""
    did_you_mean: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        if self.item_id:
            text += f" [{self.item_id}]"
        if self.did_you_mean:
            text += f" — did you mean {self.did_you_mean!r}?"
        return text

    def where(self, file: str) -> str:
        """``file:line:column`` as editors and compilers print it."""
        return f"{file}:{self.line}:{self.column}" if self.line else file

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "id": self.item_id,
            "did_you_mean": self.did_you_mean,
        }


class SceneError(Exception):
    """The scene description is invalid; ``problems`` lists every fault found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def nearest(name: str, known: Iterable[str]) -> str:
    """The known name closest to ``name`` (a likely typo), or ``""``."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.6)
    return close[0] if close else ""


def syntax_problem(exc: Exception) -> Problem:
    """A ``tomllib.TOMLDecodeError`` as a problem with its position."""
    message = str(exc)
    m = _TOML_AT.search(message)
    line, column = (int(m[1]), int(m[2])) if m else (0, 0)
    return Problem("<toml>", _TOML_AT.sub("", message).strip(), line, column)


def annotate(problems: list[Problem], text: str | None, data: Any) -> list[Problem]:
    """Fill in line, column and item id from the source text and the parsed document."""
    where = SourceMap(text) if text is not None else None
    out = []
    for p in problems:
        line, column = where.locate(p.path) if where else (0, 0)
        out.append(
            replace(
                p,
                line=p.line or line,
                column=p.column or column,
                item_id=p.item_id or _id(data, p.path),
            )
        )
    return out


def _id(data: Any, path: str) -> str:
    m = _ITEM.match(path)
    if not m or not isinstance(data, dict):
        return ""
    section, index = m[1].rstrip("]").split("[")
    items = data.get(section)
    if not isinstance(items, list) or int(index) >= len(items):
        return ""
    item = items[int(index)]
    value = item.get("id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else ""


class SourceMap:
    """Positions of document paths in TOML text: ``locate("landmarks[2].height")``."""

    def __init__(self, text: str) -> None:
        self.positions: dict[str, tuple[int, int]] = {}
        counts: dict[str, int] = {}
        table = ""
        stack: list[list[Any]] = []  # open brackets: [path, "[" or "{", last element index]
        for number, line in enumerate(text.splitlines(), 1):
            m = None if stack else _HEADER.match(line)
            if m:
                name = m[2]
                if m[1] == "[[":
                    index = counts.get(name, 0)
                    counts[name] = index + 1
                    self._put(name, number, m.start(1) + 1)
                    table = f"{name}[{index}]"
                else:
                    table = name
                self._put(table, number, m.start(1) + 1)
                continue
            self._scan(line, number, table, stack)

    def _put(self, path: str, line: int, column: int) -> None:
        self.positions.setdefault(path, (line, column))

    def _scan(self, line: str, number: int, table: str, stack: list[list[Any]]) -> None:
        """One line of key/value text; ``stack`` carries brackets left open to the next line."""
        i, n = 0, len(line)
        key: str | None = None
        while i < n:
            c = line[i]
            if c == "#":
                return
            if c in "\"'":
                quote = c * 3 if line.startswith(c * 3, i) else c
                end = i + len(quote)
                while end < n and not line.startswith(quote, end):
                    end += 2 if (c == '"' and line[end] == "\\") else 1
                i = end + len(quote)
                continue
            if c in "[{":
                if stack and stack[-1][1] == "[":
                    stack[-1][2] += 1
                    path = f"{stack[-1][0]}[{stack[-1][2]}]"
                    self._put(path, number, i + 1)
                else:
                    path = self._child(table, stack, key)
                stack.append([path, c, -1])
                key = None
            elif c in "]}":
                if stack:
                    stack.pop()
            elif not stack or stack[-1][1] == "{":
                m = _BARE_KEY.match(line, i)
                if m and line[m.end() :].lstrip().startswith("="):
                    key = m[0]
                    self._put(self._child(table, stack, key), number, i + 1)
                    i = m.end()
                    continue
            i += 1

    @staticmethod
    def _child(table: str, stack: list[list[Any]], key: str | None) -> str:
        base = stack[-1][0] if stack else table
        if key is None:
            return base
        return f"{base}.{key}" if base else key

    def locate(self, path: str) -> tuple[int, int]:
        """``(line, column)`` of ``path`` or of its nearest placed parent; ``(0, 0)`` if none."""
        while path:
            if path in self.positions:
                return self.positions[path]
            cut = max(path.rfind("."), path.rfind("["))
            if cut <= 0:
                break
            path = path[:cut]
        return (0, 0)
