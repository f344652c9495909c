"""The base of every message and the field kinds messages share (one module, so a family of
messages can live in its own module without importing the whole table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from srichan_world.protocol import limits as L
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.fields import Bilingual, Float, Int, Opt, Str

U8 = Int(0, 255)
U16 = Int(0, 65535)
U32 = Int(0, 2**32 - 1)
COUNT = Int(0, 2**31 - 1)
CM = Int(-L.COORD_CM_MAX, L.COORD_CM_MAX)
AVATAR = Int(1, L.AVATAR_ID_MAX)
ID = Str(L.ID_MAX_CHARS)
TEXT = Str(L.MAX_STR_CHARS)
BILINGUAL = Bilingual(L.MAX_STR_CHARS)
METRES = Float()
_OPT_CM = Opt(CM)
_OPT_U8 = Opt(U8)


@dataclass(frozen=True)
class Message:
    """Base of every message; ``cid`` rides in the envelope, not among the fields."""

    TYPE: ClassVar[MsgType]
    cid: int | None = field(default=None, kw_only=True)
