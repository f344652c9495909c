"""The message families kept in their own modules, gathered once for
:mod:`srichan_world.protocol.messages` to register (it holds the core messages and is full):
the dialogue, the inclusion figures' usage, new identities (proof of work, pending tokens)
and zoned processes.
A new family adds its module here."""

from __future__ import annotations

from srichan_world.protocol import work
from srichan_world.protocol.base import Message
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.dialogue_messages import DIALOGUE_CLIENT_TYPES, DIALOGUE_MESSAGES
from srichan_world.protocol.usage_messages import USAGE_CLIENT_TYPES, USAGE_MESSAGES
from srichan_world.protocol.zone_messages import ZONE_MESSAGES

FAMILY_MESSAGES: tuple[type[Message], ...] = (
    *DIALOGUE_MESSAGES,
    *USAGE_MESSAGES,
    *work.MESSAGES,
    *ZONE_MESSAGES,
)
FAMILY_CLIENT_TYPES: frozenset[MsgType] = (
    DIALOGUE_CLIENT_TYPES | USAGE_CLIENT_TYPES | work.CLIENT_TYPES
)
