"""What the presence world asks its pump to do, and what a request handler may know.

The world never does I/O: each entry point returns effects (:class:`Send`, :class:`Close`,
:class:`Frames`, :class:`Dispatch`, :class:`Held`) for the pump to carry out, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from srichan_world.protocol.codes import CloseCode, MsgType
from srichan_world.protocol.messages import Message


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``data`` (one encoded message) to ``session``. Frames may replace stale frames."""

    session: int
    data: bytes
    type: MsgType


@dataclass(frozen=True, slots=True)
class Close:
    """Close ``session``'s socket with ``code`` after sending what is queued."""

    session: int
    code: CloseCode
    reason: str


@dataclass(frozen=True, slots=True)
class Frames:
    """This tick's presence frame for every welcomed session, as ``(session, data)`` pairs:
    one effect per tick rather than one object per client. A frame may replace a stale one
    still waiting for its client (then call :meth:`PresenceWorld.resync`)."""

    items: list[tuple[int, bytes]]


@dataclass(frozen=True, slots=True)
class Dispatch:
    """A request this world does not handle (learning, booths, and ``hello`` for identity
    hooks): the pump hands it to the registered handler."""

    session: int
    message: Message


@dataclass(frozen=True, slots=True)
class Held:
    """``session`` ended without a goodbye and its avatar waits for a resume under ``token``
    until ``until`` (the world's clock): the I/O counts it against the session's network
    address meanwhile (srichan_world/world/admission.py)."""

    session: int
    token: str
    until: float


Effect = Send | Frames | Close | Dispatch | Held


@dataclass(frozen=True)
class SessionView:
    """What a request handler may know about the session that sent the request."""

    session: int
    avatar_id: int
    name: str
    x: float
    z: float
    visitor_id: str | None
    visitor_secret: str | None
