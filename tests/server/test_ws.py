"""End to end through a real aiohttp app on a loopback port, with the client library."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import msgpack
import pytest
from aiohttp import web

from server.app import create_presence_app
from server.keys import METRICS, PUMP
from server.metrics import Metrics
from server.ws.aio import AiohttpDoor
from server.ws.client import Closed, PresenceClient, ServerError
from server.ws.pump import HELD_MAX, LeaveHook, Pump
from srichan_world.protocol.codec import encode
from srichan_world.protocol.codes import CloseCode, ErrorCode
from srichan_world.protocol.limits import MAX_FRAME_BYTES
from srichan_world.protocol.messages import (
    ChatSaid,
    Correction,
    Error,
    Frame,
    Move,
    Ping,
    Pong,
    QuizOpen,
)
from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, answers, public_manifest
from srichan_world.street.learning import LearningDesk
from srichan_world.street.steps import Step
from srichan_world.street.street import Street as StreetRules
from srichan_world.world.learning import LearningContent
from srichan_world.world.presence import PresenceSettings, PresenceWorld
from tests.server.gated import GatedServer

NEAR = (8.0, -2.0)
FAR = (150.0, -2.0)


@dataclass
class Street:
    app: web.Application
    url: str


@asynccontextmanager
async def open_street(
    scene_text: str, on_leave: Sequence[LeaveHook] = (), transport: str = "picows"
) -> AsyncIterator[Street]:
    """The small test scene with three spawn points: two near each other, one far away."""
    manifest = public_manifest(load_scene_text(scene_text))
    manifest["spawn_points"] += [
        {"id": "near", "position": list(NEAR), "heading": 0.0},
        {"id": "far", "position": list(FAR), "heading": 180.0},
    ]
    settings = PresenceSettings(tick_hz=20, heartbeat_s=5, start_at_first_quest=False)
    app = create_presence_app(Manifest.parse(manifest), settings, on_leave=on_leave)
    server = GatedServer(app, transport)
    await server.start_server()
    try:
        yield Street(app, f"ws://127.0.0.1:{server.port}/ws")
    finally:
        await server.close()


@pytest.fixture
async def street(small_scene_text: str, ws_transport: str) -> AsyncIterator[Street]:
    async with open_street(small_scene_text, transport=ws_transport) as street:
        yield street


async def joined(street: Street, name: str, look=(1, 2, 3)) -> PresenceClient:
    c = await PresenceClient.connect(street.url)
    await c.hello(name, look)
    return c


async def until(client: PresenceClient, test, timeout: float = 5.0) -> None:
    """Read frames until ``test()`` holds."""
    async with asyncio.timeout(timeout):
        while not test():
            await client.next(Frame)


async def test_neighbours_see_each_other_and_the_far_one_sees_nobody(street: Street) -> None:
    a = await joined(street, "สมชาย")  # spawn (4, -2)
    b = await joined(street, "สมศรี")  # spawn (8, -2)
    far = await joined(street, "ไกล")  # spawn (150, -2)
    ida, idb, idf = a.welcome.avatar_id, b.welcome.avatar_id, far.welcome.avatar_id
    await until(a, lambda: idb in a.avatars)
    await until(b, lambda: ida in b.avatars)
    assert b.avatars[ida].name == "สมชาย"  # Thai names end to end
    assert (b.avatars[ida].x, b.avatars[ida].z) == (400, -200)
    for _ in range(4):
        await far.next(Frame)
    assert far.avatars == {}
    assert idf not in a.avatars and idf not in b.avatars
    await a.move(5.5, -1.0, 90.0)
    await until(
        b, lambda: (b.avatars[ida].x, b.avatars[ida].z, b.avatars[ida].heading) == (550, -100, 64)
    )
    for c in (a, b, far):
        await c.close()


async def test_chat_reaches_neighbours_in_thai_and_not_the_far_one(street: Street) -> None:
    a, b, far = [await joined(street, n) for n in ("ก", "ข", "ค")]
    await a.chat("ไปพิพิธภัณฑ์ธนารักษ์กันไหม")
    said = await b.next(ChatSaid)
    assert (said.avatar_id, said.name, said.text) == (
        a.welcome.avatar_id,
        "ก",
        "ไปพิพิธภัณฑ์ธนารักษ์กันไหม",
    )
    mine = await a.next(ChatSaid)
    assert mine.text == said.text
    with pytest.raises(TimeoutError):
        await far.next(ChatSaid, timeout=0.5)
    for c in (a, b, far):
        await c.close()


async def test_resume_after_a_dropped_connection(street: Street) -> None:
    a = await joined(street, "กลับมา")
    b = await joined(street, "รอ")
    await a.move(6.0, -1.0, 45.0)
    await until(
        b, lambda: a.welcome.avatar_id in b.avatars and b.avatars[a.welcome.avatar_id].x == 600
    )
    token, aid = a.welcome.resume_token, a.welcome.avatar_id
    a.ws.transport.abort()  # no close handshake: the network just went away
    await asyncio.sleep(0.3)
    assert aid in b.avatars  # still standing there during the resume window
    a2 = await PresenceClient.connect(street.url)
    w = await a2.hello("กลับมา", resume=token)
    assert (w.resumed, w.avatar_id, w.x, w.z, w.heading) == (True, aid, 6.0, -1.0, 45.0)
    first = await a2.next(Frame)
    assert first.reset and b.welcome.avatar_id in {e.id for e in first.enters}
    await a2.close()
    await b.close()


@pytest.mark.parametrize(
    ("data", "code", "close"),
    [
        (b"\xc1 not msgpack", ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME),
        (msgpack.packb([200, 9]), ErrorCode.UNKNOWN_TYPE, CloseCode.UNKNOWN_TYPE),
        (msgpack.packb([3, 9, "x", 0, 0, 1]), ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME),
        ("text frames are not allowed", ErrorCode.BAD_FRAME, CloseCode.BAD_FRAME),
    ],
)
async def test_broken_input_gets_an_error_and_a_close_and_others_carry_on(
    street: Street, data: bytes | str, code: ErrorCode, close: CloseCode
) -> None:
    bad = await joined(street, "ผิด")
    good = await joined(street, "ดี")
    await bad.send_raw(data)
    err = await bad.next(Error)
    assert err.code == code
    assert (await bad.closed()).code == close
    assert (await good.ping(1.5)).t == 1.5
    await good.move(8.5, -2.0, 0.0)
    await good.next(Frame)
    await good.close()


async def test_an_oversized_frame_closes_with_1009(street: Street) -> None:
    bad = await joined(street, "ใหญ่")
    good = await joined(street, "ดี")
    await bad.send_raw(b"\x90" * (MAX_FRAME_BYTES + 1))
    assert (await bad.closed()).code == CloseCode.MESSAGE_TOO_BIG
    assert (await good.ping()).t == 0.0
    await good.close()


async def test_nan_and_teleports_are_corrected_and_the_session_stays(street: Street) -> None:
    c = await joined(street, "เร็ว")
    await c.send(Move(math.nan, 0.0, 0.0, 1, cid=5))
    fix = await c.next(Correction)
    assert (fix.reason, fix.cid, fix.x, fix.z) == (ErrorCode.BAD_VALUE, 5, 4.0, -2.0)
    await c.send(Move(math.inf, 0.0, 0.0, 1, cid=6))
    assert (await c.next(Correction)).reason == ErrorCode.BAD_VALUE
    await c.send(Move(120.0, -2.0, 0.0, 1, cid=7))
    assert (await c.next(Correction)).reason == ErrorCode.TOO_FAST
    assert (await c.ping()).t == 0.0
    await c.close()


async def test_moves_take_the_pumps_fast_path_with_every_control_kept(street: Street) -> None:
    """Moves skip the street on their way to the world: before a hello one is still refused,
    and a flood of moves in place (no distance: the speed limit never bites) spends the move
    bucket's burst, then a strike per refusal, then is closed as abuse."""
    early = await PresenceClient.connect(street.url)
    await early.send(Move(4.0, -2.0, 0.0, 1, cid=4))
    err = await early.next(Error)
    assert (err.code, err.cid) == (ErrorCode.NOT_WELCOMED, 4)
    await early.close()
    flooder = await joined(street, "รัว")
    other = await joined(street, "คนดี")
    for i in range(120):
        await flooder.send(Move(4.0, -2.0, 0.0, 1, cid=i))
    codes = []
    with pytest.raises(Closed) as closed:
        while True:
            msg = await flooder.recv()
            assert not isinstance(msg, Correction)  # in place: never too fast, never out
            if isinstance(msg, Error):
                codes.append(msg.code)
    assert closed.value.code == CloseCode.ABUSE
    assert codes.count(ErrorCode.RATE_LIMITED) == 10 and codes[-1] == ErrorCode.ABUSE
    assert (await other.ping(2.5)).t == 2.5
    await other.close()


async def test_wrong_version_is_refused_with_a_close(street: Street) -> None:
    c = await PresenceClient.connect(street.url)
    with pytest.raises(ServerError) as err:
        await c.hello("เก่า", version=99)
    assert err.value.error.code == ErrorCode.VERSION_MISMATCH
    assert (await c.closed()).code == CloseCode.VERSION_MISMATCH


async def test_flooding_is_limited_then_closed_and_the_neighbour_is_fine(street: Street) -> None:
    spammer = await joined(street, "สแปม")
    other = await joined(street, "คนดี")
    for i in range(30):
        await spammer.chat(f"ซื้อเลย {i}")
    codes = []
    with pytest.raises(Closed) as closed:
        while True:
            msg = await spammer.recv()
            if isinstance(msg, Error):
                codes.append(msg.code)
    assert closed.value.code == CloseCode.ABUSE
    assert codes.count(ErrorCode.RATE_LIMITED) == 10 and codes[-1] == ErrorCode.ABUSE
    await other.chat("ยังอยู่")
    mine = await other.next(ChatSaid, where=lambda m: m.avatar_id == other.welcome.avatar_id)
    assert mine.text == "ยังอยู่"
    await other.close()


async def test_requests_beyond_presence_are_unsupported_here_and_leaves_are_told(
    small_scene_text: str,
) -> None:
    left: list[int] = []

    async def leave(session: int) -> None:
        left.append(session)

    async with open_street(small_scene_text, on_leave=[leave]) as street:
        c = await PresenceClient.connect(street.url)
        await c.hello("นักเรียน", visitor_id="v-1234567", visitor_secret="s" * 32)
        with pytest.raises(ServerError) as err:
            await c.request(QuizOpen("q-gate-1"))
        assert err.value.error.code == ErrorCode.UNSUPPORTED and err.value.error.cid is not None
        await c.close()
        async with asyncio.timeout(5):
            while not left:
                await asyncio.sleep(0.05)
    assert left == [1]


class _BrokenSteps:
    """A store step that fails with a bug, not a store error."""

    async def apply(self, step: Step) -> object:
        raise RuntimeError(f"boom: {type(step).__name__}")


async def test_a_store_step_that_breaks_answers_internal_and_the_session_goes_on(
    small_scene_text: str,
) -> None:
    scene = load_scene_text(small_scene_text)
    manifest = Manifest.parse(public_manifest(scene))
    content = LearningContent.from_compiled(manifest, answers(scene))
    settings = PresenceSettings(tick_hz=20)
    street = StreetRules(PresenceWorld(manifest, settings), LearningDesk(content))
    pump = Pump(street, settings, Metrics())
    pump.serve(_BrokenSteps())
    app = web.Application()
    app.router.add_get("/ws", AiohttpDoor(pump).handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        c = await PresenceClient.connect(f"ws://{host}:{port}/ws")
        await c.hello("นักเรียน", visitor_id="v-1234567", visitor_secret="s" * 32)
        error = await c.next(Error)
        assert error.code == ErrorCode.INTERNAL, "the hello's store step broke"
        await c.chat("ยังคุยได้")
        said = await c.next(ChatSaid)
        assert said.text == "ยังคุยได้"
        await c.close()
    finally:
        await runner.cleanup()


async def test_metrics_count_traffic(street: Street) -> None:
    c = await joined(street, "นับ")
    for i in range(5):
        await c.move(4.0 + i * 0.1, -2.0)
    await c.next(Frame)
    await c.send_raw(msgpack.packb([12345, None]))
    await c.closed()
    await asyncio.sleep(1.2)  # counters are flushed once a second
    m = street.app[METRICS]
    assert m.messages_in.labels("move")._value.get() == 5
    assert m.messages_out.labels("frame")._value.get() > 0
    assert m.errors.labels("unknown_type")._value.get() == 1
    assert m.tick_seconds._sum.get() > 0
    assert street.app[PUMP].world.population == 1  # held for its resume window


async def test_shutdown_closes_every_socket_going_away(small_scene_text: str) -> None:
    manifest = public_manifest(load_scene_text(small_scene_text))
    app = create_presence_app(Manifest.parse(manifest), PresenceSettings())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    c = await PresenceClient.connect(f"ws://{host}:{port}/ws")
    await c.hello("ปิด")
    await runner.cleanup()
    assert (await c.closed()).code == CloseCode.GOING_AWAY


class _FakeTransport:
    def __init__(self) -> None:
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 1 << 20


async def test_stale_frames_are_replaced_and_stuck_clients_cut(street: Street) -> None:
    """The outbox logic itself, with a connection whose writer is stuck in a send."""
    presence = street.app[PUMP]
    c = await joined(street, "ช้า")
    await c.next(Frame)
    (conn,) = presence.conns.values()
    conn.writer.cancel()  # stands for a writer blocked in send_bytes on a full socket
    conn.waiter = None
    conn.transport = _FakeTransport()  # type: ignore[assignment]
    conn.busy_since = time.monotonic()
    avatar = street.app[PUMP].world.avatars[c.welcome.avatar_id]
    await asyncio.sleep(0.3)  # six ticks: one frame parked, five replaced
    assert presence._dropped + street.app[METRICS].dropped_frames._value.get() >= 4
    assert avatar.reset  # the next frame that does go out restates everything
    assert not conn.transport.aborted
    conn.busy_since -= presence.settings.stuck_timeout_s
    await asyncio.sleep(0.2)
    assert conn.transport.aborted
    assert street.app[METRICS].slow_disconnects._value.get() == 1
    c.ws.transport.abort()


async def too_large_errors(street: Street) -> float:
    return street.app[METRICS].errors.labels("too_large")._value.get()


async def test_an_oversized_frame_is_counted(street: Street) -> None:
    bad = await joined(street, "ใหญ่")
    await bad.send_raw(b"\x90" * (MAX_FRAME_BYTES + 1))
    assert (await bad.closed()).code == CloseCode.MESSAGE_TOO_BIG
    async with asyncio.timeout(5):
        while await too_large_errors(street) == 0:  # counted as the server's side closes
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    assert await too_large_errors(street) == 1, "counted once"


async def raw_socket(
    street: Street, head: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    """A bare connection that sends ``head``; its streams and the response head."""
    port = int(street.url.split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    async with asyncio.timeout(5):
        return reader, writer, await reader.readuntil(b"\r\n\r\n")


def masked(opcode_byte: int, payload: bytes) -> bytes:
    """A client frame (masked with a zero key: the payload unchanged)."""
    assert len(payload) < 126
    return bytes((opcode_byte, 0x80 | len(payload))) + b"\0\0\0\0" + payload


UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def test_a_fragmented_message_counts_as_one_and_firefox_headers_upgrade(
    street: Street,
) -> None:
    """``Connection: keep-alive, Upgrade`` (Firefox) upgrades; a ping in two fragments is
    one message (RFC 6455 §5.4), answered once."""
    reader, writer, head = await raw_socket(street, UPGRADE)
    assert head.startswith(b"HTTP/1.1 101"), head
    ping = encode(Ping(2.5, cid=7))
    writer.write(masked(0x02, ping[:2]) + masked(0x80, ping[2:]))  # BINARY, then CONTINUATION
    async with asyncio.timeout(5):
        first = await reader.readexactly(2)
        assert first[0] == 0x82
        reply = msgpack.unpackb(await reader.readexactly(first[1] & 0x7F))
    assert reply[:3] == [11, 7, 2.5], "a pong for cid 7"
    writer.close()
    await writer.wait_closed()


async def test_a_plain_get_of_ws_is_refused_and_http_shares_the_port(street: Street) -> None:
    """Anything but an upgrade of ``/ws`` is aiohttp's (here a 404 of a path not served)."""
    for path, status in ((b"/ws", (b"400", b"426")), (b"/elsewhere", (b"404",))):
        _, writer, head = await raw_socket(street, b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path)
        assert head.split(b" ")[1] in status, head
        assert path == b"/ws" or b"aiohttp" in head
        writer.close()
        await writer.wait_closed()


class _HeldSharing:
    """A shared street whose resume look-up takes until ``go`` is set."""

    def __init__(self) -> None:
        self.go = asyncio.Event()

    async def before_hello(self, data: bytes) -> None:
        await self.go.wait()

    def share_news(self) -> None:
        pass

    def welcomed(self, session: int) -> None:
        pass


async def test_messages_behind_a_waiting_hello_keep_their_order_and_are_bounded(
    street: Street,
) -> None:
    sharing = _HeldSharing()
    street.app[PUMP].sharing = sharing
    c = await PresenceClient.connect(street.url)
    hello = asyncio.create_task(c.hello("รอก่อน"))
    await asyncio.sleep(0.05)
    await c.send(Ping(1.5, cid=100))  # waits behind the hello
    await asyncio.sleep(0.2)
    assert not hello.done() and not c.inbox, "nothing is answered while the hello waits"
    sharing.go.set()
    await hello
    assert (await c.next(Pong, where=lambda m: m.cid == 100)).t == 1.5
    sharing.go.clear()
    flood = await PresenceClient.connect(street.url)
    flood_hello = asyncio.create_task(flood.hello("ท่วม"))
    await asyncio.sleep(0.05)
    for i in range(HELD_MAX + 1):
        await flood.send(Ping(0.0, cid=200 + i))
    assert (await flood.closed()).code == CloseCode.ABUSE
    with pytest.raises(Closed):
        await flood_hello
    assert (await c.ping(2.5)).t == 2.5, "the other visitor goes on"
    sharing.go.set()
    await c.close()
