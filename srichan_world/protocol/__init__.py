"""The wire protocol: message codes, limits, one dataclass per message, and the codec.

See docs/protocol.md. Nothing here does I/O; the browser's copy of the code tables is
generated into server/web/protocol.js by tools/export_protocol.py.
"""

from srichan_world.protocol.codec import decode, decode_value, encode
from srichan_world.protocol.codes import (
    PROTOCOL_VERSION,
    Anim,
    CloseCode,
    Emote,
    ErrorCode,
    MsgType,
)
from srichan_world.protocol.fields import ProtocolError

__all__ = [
    "PROTOCOL_VERSION",
    "Anim",
    "CloseCode",
    "Emote",
    "ErrorCode",
    "MsgType",
    "ProtocolError",
    "decode",
    "decode_value",
    "encode",
]
