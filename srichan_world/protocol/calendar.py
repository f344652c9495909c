"""The event calendar's messages (docs/protocol.md, *Events*): the calendar pushed when
operators change it, and a visitor's attendance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from srichan_world.protocol import limits as L
from srichan_world.protocol.base import COUNT, ID, Message
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.fields import Bool, Data, Opt, Seq

EVENT_DATA = Data(L.MAX_DATA_DEPTH, L.MAX_ARRAY, L.MAX_STR_CHARS)


@dataclass(frozen=True)
class Events(Message):
    TYPE = MsgType.EVENTS
    events: Annotated[tuple[dict[str, Any], ...], Seq(EVENT_DATA, L.MAX_ARRAY)]
    """Every event on the calendar, in the manifest's ``events`` form (docs/learning.md)."""


@dataclass(frozen=True)
class EventAttended(Message):
    TYPE = MsgType.EVENT_ATTENDED
    event_id: Annotated[str, ID]
    bonus: Annotated[int, COUNT]
    """Tokens paid for attending (0 when the event has no bonus or the daily cap is reached)."""
    balance: Annotated[int, COUNT]
    capped: Annotated[bool | None, Opt(Bool())] = None
