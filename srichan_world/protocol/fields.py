"""Field kinds: how one value of a message is checked on the way in and shaped on the way out.

A message field is declared as ``Annotated[python type, kind]``; the codec reads the kinds to
validate decoded values (raising :class:`ProtocolError` with the field's path) and to turn
Python values back into plain msgpack types (tuples become arrays, :class:`Text` a map).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, TypeVar, get_type_hints

from srichan_world.errors import ProtocolError
from srichan_world.scene.model import Text

T = TypeVar("T")


def _fail(path: str, expected: str, value: object) -> ProtocolError:
    return ProtocolError(f"{path}: expected {expected}, got {type(value).__name__}")


class Kind:
    """One field's wire shape. ``check`` returns the Python value; ``wire`` the msgpack one."""

    def check(self, value: object, path: str) -> Any:
        raise NotImplementedError

    def wire(self, value: Any) -> object:
        return value


@dataclass(frozen=True)
class Int(Kind):
    lo: int
    hi: int

    def check(self, value: object, path: str) -> int:
        if type(value) is not int:
            raise _fail(path, "an integer", value)
        if not self.lo <= value <= self.hi:
            raise ProtocolError(f"{path}: {value} is outside {self.lo}..{self.hi}")
        return value


@dataclass(frozen=True)
class Float(Kind):
    """Any msgpack number (browsers send whole numbers as ints); NaN/inf pass here and are
    refused by the rules, so the session stays open."""

    def check(self, value: object, path: str) -> float:
        if type(value) is float:
            return value
        if type(value) is int:
            return float(value)
        raise _fail(path, "a number", value)

    def wire(self, value: Any) -> object:
        return float(value)


@dataclass(frozen=True)
class Bool(Kind):
    def check(self, value: object, path: str) -> bool:
        if type(value) is not bool:
            raise _fail(path, "true or false", value)
        return value


@dataclass(frozen=True)
class Str(Kind):
    max_chars: int

    def check(self, value: object, path: str) -> str:
        if type(value) is not str:
            raise _fail(path, "a string", value)
        if len(value) > self.max_chars:
            raise ProtocolError(f"{path}: longer than {self.max_chars} characters")
        return value


@dataclass(frozen=True)
class Opt(Kind):
    """``nil`` or the inner kind; trailing optional fields may be left out entirely."""

    inner: Kind

    def check(self, value: object, path: str) -> Any:
        return None if value is None else self.inner.check(value, path)

    def wire(self, value: Any) -> object:
        return None if value is None else self.inner.wire(value)


@dataclass(frozen=True)
class Seq(Kind):
    """An array of one kind, decoded to a tuple."""

    inner: Kind
    max_len: int
    min_len: int = 0

    def check(self, value: object, path: str) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _fail(path, "an array", value)
        if not self.min_len <= len(value) <= self.max_len:
            raise ProtocolError(f"{path}: needs {self.min_len}..{self.max_len} items")
        inner = self.inner
        return tuple(inner.check(v, f"{path}[{i}]") for i, v in enumerate(value))

    def wire(self, value: Any) -> object:
        inner = self.inner
        return [inner.wire(v) for v in value]


@dataclass(frozen=True)
class Bilingual(Kind):
    """Visitor-facing text: the map ``{"th": str, "en": str}``."""

    max_chars: int

    def check(self, value: object, path: str) -> Text:
        if type(value) is not dict or set(value) != {"th", "en"}:
            raise ProtocolError(f"{path}: expected a map with exactly th and en")
        th = Str(self.max_chars).check(value["th"], f"{path}.th")
        en = Str(self.max_chars).check(value["en"], f"{path}.en")
        return Text(th, en)

    def wire(self, value: Any) -> object:
        return {"th": value.th, "en": value.en}


@dataclass(frozen=True)
class Data(Kind):
    """Free-form plain data (maps with string keys, arrays, strings, numbers, booleans, nil),
    for documents another module defines, such as a booth's public config."""

    max_depth: int
    max_len: int
    max_chars: int

    def check(self, value: object, path: str) -> Any:
        self._walk(value, path, 0)
        return value

    def _walk(self, value: object, path: str, depth: int) -> None:
        if value is None or type(value) is bool or type(value) is int:
            return
        if type(value) is float:
            if not math.isfinite(value):
                raise ProtocolError(f"{path}: numbers must be finite")
        elif type(value) is str:
            if len(value) > self.max_chars:
                raise ProtocolError(f"{path}: longer than {self.max_chars} characters")
        elif type(value) is list:
            self._nest(path, depth, len(value))
            for i, v in enumerate(value):
                self._walk(v, f"{path}[{i}]", depth + 1)
        elif type(value) is dict:
            self._nest(path, depth, len(value))
            for k, v in value.items():
                if type(k) is not str or len(k) > self.max_chars:
                    raise ProtocolError(f"{path}: map keys must be short strings")
                self._walk(v, f"{path}.{k}", depth + 1)
        else:
            raise _fail(path, "plain data", value)

    def _nest(self, path: str, depth: int, items: int) -> None:
        if depth >= self.max_depth:
            raise ProtocolError(f"{path}: nested deeper than {self.max_depth}")
        if items > self.max_len:
            raise ProtocolError(f"{path}: more than {self.max_len} items")


Spec = tuple[tuple[str, Kind], ...]
_SPECS: dict[type, Spec] = {}


def spec_of(cls: type) -> Spec:
    """``(name, kind)`` of every wire field of a message or record class, in wire order.

    The kind is the ``Annotated`` metadata of the field; ``cid`` is the envelope's, not a field.
    Read once per class (``functools.cache`` would do, but mypy cannot pass it a class).
    """
    spec = _SPECS.get(cls)
    if spec is None:
        spec = _SPECS[cls] = _read_spec(cls)
    return spec


def _read_spec(cls: type) -> Spec:
    hints = get_type_hints(cls, include_extras=True)
    spec = []
    for f in dataclasses.fields(cls):
        if f.name == "cid":
            continue
        kinds = [m for m in getattr(hints[f.name], "__metadata__", ()) if isinstance(m, Kind)]
        if len(kinds) != 1:
            raise TypeError(f"{cls.__name__}.{f.name} needs exactly one Kind annotation")
        spec.append((f.name, kinds[0]))
    return tuple(spec)


def required_count(spec: Spec) -> int:
    """Fields after the last non-optional one may be left out on the wire."""
    n = len(spec)
    while n and isinstance(spec[n - 1][1], Opt):
        n -= 1
    return n


def check_fields(cls: type[T], values: list[object], path: str, **extra: Any) -> T:
    """Build ``cls`` from the positional wire ``values``, checking every one."""
    spec = spec_of(cls)
    if not required_count(spec) <= len(values) <= len(spec):
        raise ProtocolError(f"{path}: {cls.__name__} has {len(spec)} fields, got {len(values)}")
    args = [kind.check(v, f"{path}.{name}") for (name, kind), v in zip(spec, values, strict=False)]
    return cls(*args, **extra)


def wire_fields(value: object) -> list[object]:
    return [kind.wire(getattr(value, name)) for name, kind in spec_of(type(value))]


@dataclass(frozen=True)
class Rec(Kind):
    """A nested record: a dataclass written as a positional array."""

    cls: type

    def check(self, value: object, path: str) -> Any:
        if type(value) is not list:
            raise _fail(path, "an array", value)
        return check_fields(self.cls, value, path)

    def wire(self, value: Any) -> object:
        return wire_fields(value)
