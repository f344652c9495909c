"""Bytes ⇄ messages. ``decode`` returns a message or raises :class:`ProtocolError`, nothing else.

Also the pieces the presence tick uses to assemble frames from pre-encoded fragments, so a
per-cell batch is encoded once per tick and shared by every observer of that cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgpack

from srichan_world.errors import ProtocolError
from srichan_world.protocol.codes import CloseCode, ErrorCode, MsgType
from srichan_world.protocol.fields import check_fields, wire_fields
from srichan_world.protocol.limits import CID_MAX, MAX_ARRAY, MAX_FRAME_BYTES, MAX_STR_CHARS
from srichan_world.protocol.messages import CLIENT_TYPES, MESSAGES, Message, update_record

_packb: Callable[..., bytes] = msgpack.packb
_unpackb: Callable[..., Any] = msgpack.unpackb


def encode(message: Message) -> bytes:
    """The msgpack array ``[type, cid, *fields]``."""
    return _packb([int(message.TYPE), message.cid, *wire_fields(message)], use_bin_type=True)


def decode(
    data: bytes,
    allowed: frozenset[MsgType] = CLIENT_TYPES,
    max_bytes: int | None = MAX_FRAME_BYTES,
) -> Message:
    """Decode one WebSocket message.

    ``allowed`` is the set of types this side accepts (the server: client requests only);
    ``max_bytes`` bounds the input (``None`` on the client, which trusts the server's size).
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise ProtocolError(
            f"message of {len(data)} bytes exceeds {max_bytes}",
            ErrorCode.TOO_LARGE,
            CloseCode.MESSAGE_TOO_BIG,
        )
    bounded = max_bytes is not None
    limit = MAX_ARRAY if bounded else 2**31 - 1
    try:
        obj = _unpackb(
            data,
            raw=False,
            strict_map_key=True,
            max_array_len=limit,
            max_map_len=limit,
            max_str_len=MAX_STR_CHARS * 4 if bounded else 2**31 - 1,
            max_bin_len=MAX_FRAME_BYTES if bounded else 2**31 - 1,
        )
    except Exception as exc:  # msgpack raises many kinds; all mean "not one msgpack value"
        raise ProtocolError(f"not a msgpack value: {type(exc).__name__}") from None
    return decode_value(obj, allowed)


def decode_value(obj: object, allowed: frozenset[MsgType] = CLIENT_TYPES) -> Message:
    """Check an already unpacked value (the presence world unpacks moves itself)."""
    if type(obj) is not list or len(obj) < 2:
        raise ProtocolError("a message is an array [type, cid, ...fields]")
    kind, cid = obj[0], obj[1]
    if cid is not None and (type(cid) is not int or not 0 <= cid <= CID_MAX):
        raise ProtocolError("cid must be nil or a uint32")
    if type(kind) is not int or kind not in allowed:
        raise ProtocolError(
            f"unknown message type {kind!r}", ErrorCode.UNKNOWN_TYPE, CloseCode.UNKNOWN_TYPE, cid
        )
    cls = MESSAGES[MsgType(kind)]
    try:
        return check_fields(cls, obj[2:], cls.__name__, cid=cid)
    except ProtocolError as exc:
        exc.cid = cid
        raise


# -- frame assembly from pre-encoded fragments -------------------------------------------------


def array_header(n: int) -> bytes:
    """The msgpack header of an array of ``n`` items."""
    if n < 16:
        return bytes((0x90 | n,))
    if n < 65536:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def pack_items(items: Iterable[object]) -> bytes:
    """Several msgpack values back to back, without an array header (a fragment)."""
    return b"".join(_packb(v, use_bin_type=True) for v in items)


def update_fragment(
    aid: int, x: int | None, z: int | None, heading: int | None, anim: int | None
) -> bytes:
    """One avatar's update record, a complete msgpack array."""
    return _packb(update_record(aid, x, z, heading, anim))


def enter_fragment(
    aid: int, x: int, z: int, heading: int, anim: int, name: str, look: tuple[int, ...]
) -> bytes:
    """One avatar's enter record, a complete msgpack array."""
    return _packb([aid, x, z, heading, anim, name, list(look)], use_bin_type=True)


_FRAME_HEAD = bytes((0x98, int(MsgType.FRAME), 0xC0))  # [FRAME, nil, ... 8 items


def frame_head(tick: int, reset: bool) -> bytes:
    """``[FRAME, nil, tick, reset`` — the first four of a frame's eight items."""
    return _FRAME_HEAD + _packb(tick) + (b"\xc3" if reset else b"\xc2")


def pack_frame(
    tick: int, reset: bool, enters: list[bytes], updates: list[bytes], leaves: list[int], more: int
) -> bytes:
    """A whole ``frame`` message from pre-encoded enter and update records."""
    return b"".join(
        (
            frame_head(tick, reset),
            array_header(len(enters)),
            *enters,
            array_header(len(updates)),
            *updates,
            _packb(leaves),
            _packb(more),
        )
    )
