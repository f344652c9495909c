"""The inclusion figures' message (type 104): a session's display settings and device class.

Kept apart from :mod:`srichan_world.protocol.messages` (which registers it) so each module
stays small; the wire form is the same ``[type, cid, *fields]``. The codec checks the shapes
(booleans, short strings); the rules (:mod:`srichan_world.street.inclusion`) check the values
against :class:`~srichan_world.protocol.codes.UsageLang` and
:class:`~srichan_world.protocol.codes.DeviceClass`, so an unknown value is a refusal
(``bad_usage``) and not a closed socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from srichan_world.protocol.base import Message
from srichan_world.protocol.codes import MsgType
from srichan_world.protocol.fields import Bool, Str

USAGE_VALUE_MAX_CHARS = 16
"""The codec's bound on ``lang`` and ``device``; the rules name the values allowed."""


@dataclass(frozen=True)
class UsageMsg(Message):
    """What this session uses now; sent after ``welcome`` and when a setting changes."""

    TYPE = MsgType.USAGE
    list_mode: Annotated[bool, Bool()]
    lang: Annotated[str, Str(USAGE_VALUE_MAX_CHARS)]
    """``th`` or ``en``: the interface language."""
    larger_text: Annotated[bool, Bool()]
    """Any text size above the normal one."""
    narration: Annotated[bool, Bool()]
    """The visitor had text read aloud in this session."""
    device: Annotated[str, Str(USAGE_VALUE_MAX_CHARS)]
    """``phone``, ``tablet`` or ``desktop``, from the viewport and the pointer only."""


USAGE_MESSAGES: tuple[type[Message], ...] = (UsageMsg,)
USAGE_CLIENT_TYPES = frozenset({MsgType.USAGE})
