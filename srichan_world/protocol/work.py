"""A new identity's proof of work (docs/protocol.md, *New identities*): the challenge the
server sends after the hello of an unknown visitor id, and the client's proof; and what is
left before a new identity's tokens can be spent (``tokens_pending``)."""

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


@dataclass(frozen=True)
class TokensPending(Message):
    """A new identity's tokens are held until it learned on the street (both zero: they
    can be spent now). Sent after its wallet and each time what is left changes."""

    TYPE = MsgType.TOKENS_PENDING
    quizzes_left: Annotated[int, COUNT]
    """Distinct quizzes still to pass."""
    wait_s: Annotated[float, Float()]
    """Seconds until the holding period since the first visit ends (0: over)."""
    quizzes: Annotated[int, COUNT]
    """The rule: distinct quizzes to pass."""
    minutes: Annotated[float, Float()]
    """The rule: minutes from the first visit."""


MESSAGES: tuple[type[Message], ...] = (WorkProof, WorkChallenge, TokensPending)
CLIENT_TYPES = frozenset({MsgType.WORK_PROOF})
