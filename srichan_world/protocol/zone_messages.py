"""Zoned processes (type 17): the server asks the client to reconnect to the process that
serves the stretch of street its avatar walked into (srichan_world/world/presence/zones.py).

Kept apart from :mod:`srichan_world.protocol.messages` (which registers it) so each module
stays small; the wire form is the same ``[type, cid, *fields]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from srichan_world.protocol import limits as L
from srichan_world.protocol.base import Message
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.fields import Int


@dataclass(frozen=True)
class ZoneMove(Message):
    """Reconnect to ``/ws?zone=<zone>`` with the resume token from ``welcome``: the avatar
    keeps its place and name there. Until then this connection keeps working."""

    TYPE = MsgType.ZONE
    zone: Annotated[int, Int(0, L.ZONES_MAX - 1)]


ZONE_MESSAGES: tuple[type[Message], ...] = (ZoneMove,)
