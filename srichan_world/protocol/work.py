"""A new identity's proof of work (docs/protocol.md, *New identities*): the challenge the
server sends after the hello of an unknown visitor id, and the client's proof."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from srichan_world.protocol import limits as L
from srichan_world.protocol.base import COUNT, Message
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.fields import Float, Str


@dataclass(frozen=True)
class WorkChallenge(Message):
    TYPE = MsgType.WORK_CHALLENGE
    challenge: Annotated[str, Str(L.TOKEN_MAX_CHARS)]
    """Signed by the server; names the visitor id, the expiry and the difficulty."""
    bits: Annotated[int, COUNT]
    """Leading zero bits ``SHA-256(challenge ":" nonce)`` must have."""
    expires: Annotated[float, Float()]
    """Unix seconds after which a proof for it is refused (``work_expired``)."""


@dataclass(frozen=True)
class WorkProof(Message):
    TYPE = MsgType.WORK_PROOF
    challenge: Annotated[str, Str(L.TOKEN_MAX_CHARS)]
    nonce: Annotated[str, Str(20)]
    """Decimal digits, 1–20."""


MESSAGES: tuple[type[Message], ...] = (WorkProof, WorkChallenge)
CLIENT_TYPES = frozenset({MsgType.WORK_PROOF})
