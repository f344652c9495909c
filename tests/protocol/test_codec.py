"""The codec's contract: every message round-trips; any bytes decode or raise ProtocolError."""

from __future__ import annotations

import math

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srichan_world.errors import ProtocolError
from srichan_world.protocol import codec
from srichan_world.protocol.codes import CloseCode, ErrorCode, MsgType
from srichan_world.protocol.fields import (
    Bilingual,
    Bool,
    Data,
    Float,
    Int,
    Kind,
    Opt,
    Rec,
    Seq,
    Str,
    spec_of,
)
from srichan_world.protocol.limits import CID_MAX, MAX_FRAME_BYTES
from srichan_world.protocol.messages import (
    CLIENT_TYPES,
    MESSAGES,
    SERVER_TYPES,
    Enter,
    Frame,
    Hello,
    Move,
    Update,
    Updates,
)
from srichan_world.scene.model import Text

ALL = frozenset(MESSAGES)


def _data(max_depth: int) -> st.SearchStrategy:
    leaves = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=20)
    leaves |= st.floats(allow_nan=False, allow_infinity=False)
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    ).filter(lambda v: _depth(v) <= max_depth)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def strategy(kind: Kind) -> st.SearchStrategy:
    """A Hypothesis strategy for the Python values a field kind accepts."""
    if isinstance(kind, Int):
        return st.integers(kind.lo, kind.hi)
    if isinstance(kind, Float):
        return st.floats(allow_nan=False)
    if isinstance(kind, Bool):
        return st.booleans()
    if isinstance(kind, Str):
        return st.text(max_size=min(kind.max_chars, 40))
    if isinstance(kind, Opt):
        return st.none() | strategy(kind.inner)
    if isinstance(kind, Seq):
        size = st.integers(kind.min_len, min(kind.max_len, kind.min_len + 5))
        return size.flatmap(lambda n: st.tuples(*[strategy(kind.inner)] * n))
    if isinstance(kind, Bilingual):
        return st.builds(Text, st.text(max_size=30), st.text(max_size=30))
    if isinstance(kind, Data):
        return st.none() | st.dictionaries(
            st.text(max_size=8), _data(kind.max_depth - 1), max_size=5
        )
    if isinstance(kind, Rec):
        return record(kind.cls)
    if isinstance(kind, Updates):
        cm = st.integers(-(2**31) + 1, 2**31 - 1)
        pos = st.none() | st.tuples(cm, cm)
        one = st.builds(
            lambda aid, p, h, a: Update(aid, *(p or (None, None)), h, a),
            st.integers(1, 65535),
            pos,
            st.none() | st.integers(0, 255),
            st.none() | st.integers(0, 255),
        ).filter(lambda u: (u.x, u.heading, u.anim) != (None, None, None))
        return st.lists(one, max_size=6).map(tuple)
    raise AssertionError(f"no strategy for {kind!r}")


def record(cls: type) -> st.SearchStrategy:
    return st.builds(cls, *[strategy(k) for _, k in spec_of(cls)])


def message(cls: type) -> st.SearchStrategy:
    cid = st.none() | st.integers(0, CID_MAX)
    return st.builds(
        lambda args, c: cls(*args, cid=c), st.tuples(*[strategy(k) for _, k in spec_of(cls)]), cid
    )


any_message = st.one_of([message(cls) for cls in MESSAGES.values()])


@settings(max_examples=400)
@given(any_message)
def test_every_message_round_trips(msg) -> None:
    data = codec.encode(msg)
    assert codec.decode(data, ALL, None) == msg


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_protocol_error(data: bytes) -> None:
    try:
        msg = codec.decode(data)
    except ProtocolError as exc:
        assert isinstance(exc.code, ErrorCode)
        assert isinstance(exc.close, CloseCode)
    else:
        assert msg.TYPE in CLIENT_TYPES


msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=10)
    | st.binary(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300)
@given(
    st.sampled_from(sorted(CLIENT_TYPES)),
    st.none() | st.integers(0, 5),
    st.lists(msgpack_values, max_size=7),
)
def test_plausible_envelopes_decode_or_raise(kind: int, cid, fields: list) -> None:
    """Right type byte, random fields: the nastier fuzz, since it gets past the envelope."""
    data = msgpack.packb([kind, cid, *fields], use_bin_type=True)
    try:
        msg = codec.decode(data)
    except ProtocolError as exc:
        assert exc.cid == cid
    else:
        assert msg.cid == cid
        assert codec.decode(codec.encode(msg)) == msg or _has_nan(msg)


def _has_nan(msg) -> bool:
    return any(isinstance(v, float) and math.isnan(v) for v in vars(msg).values())


def test_cid_is_echoed_on_field_errors() -> None:
    data = msgpack.packb([MsgType.MOVE, 41, "north", 0.0, 0.0, 1])
    with pytest.raises(ProtocolError) as err:
        codec.decode(data)
    assert err.value.cid == 41
    assert err.value.code is ErrorCode.BAD_FRAME
    assert "Move.x" in str(err.value)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xc1", ErrorCode.BAD_FRAME),  # never-used msgpack byte
        (b"\x93\x03", ErrorCode.BAD_FRAME),  # truncated
        (msgpack.packb({"type": 3}), ErrorCode.BAD_FRAME),  # a map, not an array
        (msgpack.packb([3]), ErrorCode.BAD_FRAME),  # no cid
        (msgpack.packb([3, -1, 0.0, 0.0, 0.0, 0]), ErrorCode.BAD_FRAME),  # negative cid
        (msgpack.packb([99, None]), ErrorCode.UNKNOWN_TYPE),
        (msgpack.packb([int(MsgType.FRAME), None]), ErrorCode.UNKNOWN_TYPE),  # server-only type
        (msgpack.packb([True, None, 0.0, 0.0, 0.0, 0]), ErrorCode.UNKNOWN_TYPE),  # bool is no type
        (msgpack.packb([3, None, 0.0, 0.0, 0.0]), ErrorCode.BAD_FRAME),  # a field missing
        (msgpack.packb([3, None, 0.0, 0.0, 0.0, 0, 9]), ErrorCode.BAD_FRAME),  # one too many
        (msgpack.packb([3, None, 0.0, 0.0, 0.0, True]), ErrorCode.BAD_FRAME),  # bool for int
        (msgpack.packb([3, None, 0.0, 0.0, 0.0, 256]), ErrorCode.BAD_FRAME),  # anim > 255
        (msgpack.packb([1, None, 1, "a", [1, 2]]), ErrorCode.BAD_FRAME),  # look needs 3
        (msgpack.packb([6, None, b"bytes"], use_bin_type=True), ErrorCode.BAD_FRAME),
        (msgpack.packb([6, None, msgpack.ExtType(5, b"x")]), ErrorCode.BAD_FRAME),  # ext type
        (msgpack.packb([3, None, 0.0, 0.0, 0.0, 0]) + b"\x00", ErrorCode.BAD_FRAME),  # trailing
        (b"\x91" * 5000 + b"\xc0", ErrorCode.BAD_FRAME),  # deep nesting
        (b"\x00" * (MAX_FRAME_BYTES + 1), ErrorCode.TOO_LARGE),
    ],
)
def test_bad_envelopes_name_their_error(data: bytes, code: ErrorCode) -> None:
    with pytest.raises(ProtocolError) as err:
        codec.decode(data)
    assert err.value.code is code


def test_close_codes_match_error_grades() -> None:
    with pytest.raises(ProtocolError) as err:
        codec.decode(msgpack.packb([77, 5]))
    assert err.value.close is CloseCode.UNKNOWN_TYPE
    assert err.value.cid == 5


def test_javascript_whole_numbers_are_accepted_as_floats() -> None:
    """@msgpack/msgpack encodes 12.0 as the int 12; a float field must take it."""
    msg = codec.decode(msgpack.packb([3, None, 12, -3, 90, 1]))
    assert msg == Move(12.0, -3.0, 90.0, 1)
    assert isinstance(msg.x, float)


def test_non_finite_floats_decode_for_the_rules_to_refuse() -> None:
    msg = codec.decode(msgpack.packb([3, None, float("nan"), float("inf"), 0.0, 0]))
    assert math.isnan(msg.x) and math.isinf(msg.z)


def test_optional_trailing_fields_may_be_left_out() -> None:
    msg = codec.decode(msgpack.packb([1, 3, 1, "นก", [1, 2, 3]]))
    assert msg == Hello(1, "นก", (1, 2, 3), cid=3)
    assert msg.resume is None and msg.visitor_id is None


def test_client_and_server_types_partition_the_table() -> None:
    assert set(MsgType) == CLIENT_TYPES | SERVER_TYPES
    assert not CLIENT_TYPES & SERVER_TYPES


def test_pack_frame_equals_the_dataclass_encoding() -> None:
    """The tick's fast path must produce exactly what encode(Frame) would."""
    enters = (
        Enter(7, 1234, -560, 200, 1, "ศรีจันทร์", (1, 2, 3)),
        Enter(300, 0, 0, 0, 0, "b", (0, 0, 0)),
    )
    updates = (
        Update(7, 1250, -560),
        Update(300, None, None, 12),
        Update(301, None, None, None, 2),
        Update(9, -40000, 70000, 255, 0),
    )
    frame = Frame(1234567, True, enters, updates, (4, 70000 % 65536), 17)
    fast = codec.pack_frame(
        frame.tick,
        frame.reset,
        [codec.enter_fragment(e.id, e.x, e.z, e.heading, e.anim, e.name, e.look) for e in enters],
        [codec.update_fragment(u.id, u.x, u.z, u.heading, u.anim) for u in updates],
        list(frame.leaves),
        frame.more,
    )
    # without ``rates`` the fast path sends the eight items of a frame before distance tiers;
    # the dataclass writes the trailing optional as nil (docs/protocol.md allows both)
    whole = codec.encode(frame)
    assert whole[0] == 0x99 and whole[-1] == 0xC0
    assert fast == bytes((0x98,)) + whole[1:-1]
    assert codec.decode(fast, SERVER_TYPES, None) == frame


@pytest.mark.parametrize(
    "record",
    [[1, 2], [1, 2, 3, 4, 5, 6], [1, None, 5], [0, 1, 2], [1, 1.5, 2], [1, None, None, 256], "x"],
)
def test_malformed_update_records_are_refused(record) -> None:
    data = msgpack.packb([int(MsgType.FRAME), None, 1, False, [], [record], [], 0])
    with pytest.raises(ProtocolError, match="updates"):
        codec.decode(data, SERVER_TYPES, None)


@pytest.mark.parametrize("n", [0, 15, 16, 65535, 65536])
def test_array_header_matches_msgpack(n: int) -> None:
    assert codec.array_header(n) == msgpack.packb([0] * n)[: len(codec.array_header(n))]


@pytest.mark.parametrize(
    ("update", "most"),
    [
        (Update(1500, 64000, -3999), 10),  # walking straight
        (Update(1500, 64000, -3999, 200), 12),  # walking and turning
        (Update(1500, None, None, None, 2), 8),  # only the animation changed
    ],
)
def test_update_records_are_small(update: Update, most: int) -> None:
    frag = codec.update_fragment(update.id, update.x, update.z, update.heading, update.anim)
    assert len(frag) <= most
