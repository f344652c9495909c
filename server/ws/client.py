"""A small async client for the presence protocol, on ``websockets``: tests, bots, benchmarks.

    client = await PresenceClient.connect("ws://127.0.0.1:8080/ws")
    welcome = await client.hello("นกน้อย", (1, 2, 3))
    await client.move(10.0, 2.0, heading=90.0)
    frame = await client.next(Frame)
    client.avatars          # the street as this client sees it, kept from the frames
    await client.close()

Every decoded message goes to one inbox (the latest ``inbox_size``); :meth:`next` takes the
first message of a kind and leaves the others there, :meth:`recv` takes whatever is first.
Frames also update :attr:`avatars`. A new visitor id's work challenge is answered by the
client itself (``solve_work``, on by default), so the wallet follows the hello as before.
A bot that does not want decoded frames passes
``on_frame`` to get the raw bytes instead (decoding 1,500 clients' frames in Python would
measure the bot, not the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import websockets
from websockets.asyncio.client import ClientConnection

from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.codes import PROTOCOL_VERSION, Anim, MsgType
from srichan_world.protocol.messages import (
    SERVER_TYPES,
    Chat,
    EmoteMsg,
    Error,
    Frame,
    Hello,
    Message,
    Move,
    Ping,
    Pong,
    Wallet,
    Welcome,
)
from srichan_world.protocol.work import WorkChallenge, WorkProof
from srichan_world.world.work import solve

M = TypeVar("M", bound=Message)
_FRAME_BYTE = int(MsgType.FRAME)


class ServerError(Exception):
    """The server answered a request with ``error``."""

    def __init__(self, error: Error) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


class Closed(Exception):
    """The connection closed; ``code`` is the server's close code (None if unknown)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed with {code} {reason!r}")
        self.code = code
        self.reason = reason


@dataclass
class Seen:
    """One avatar as this client knows it (centimetres, heading byte)."""

    x: int
    z: int
    heading: int
    anim: int
    name: str
    look: tuple[int, ...]


class PresenceClient:
    def __init__(
        self,
        ws: ClientConnection,
        on_frame: Callable[[bytes], None] | None = None,
        inbox_size: int = 10_000,
        solve_work: bool = True,
    ) -> None:
        self.ws = ws
        self.solve_work = solve_work
        """Answer work challenges here (off: they go to the inbox, for attack tests)."""
        self._proving: set[asyncio.Task[None]] = set()
        self.on_frame = on_frame
        self.inbox: deque[Message] = deque(maxlen=inbox_size)
        self.closure: Closed | None = None
        self._arrived = asyncio.Event()
        self.avatars: dict[int, Seen] = {}
        self.more = 0
        self.welcome: Welcome | None = None
        self._cids = itertools.count(1)
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        on_frame: Callable[[bytes], None] | None = None,
        open_timeout: float = 10.0,
        solve_work: bool = True,
    ) -> PresenceClient:
        ws = await websockets.connect(
            url, compression=None, max_size=None, open_timeout=open_timeout, ping_interval=None
        )
        return cls(ws, on_frame, solve_work=solve_work)

    # -- sending --------------------------------------------------------------------------------

    async def send(self, message: Message) -> None:
        await self.ws.send(encode(message))

    async def send_raw(self, data: bytes | str) -> None:
        """Anything at all, for tests of bad input."""
        await self.ws.send(data)

    async def hello(
        self,
        name: str,
        look: tuple[int, int, int] = (0, 0, 0),
        *,
        resume: str | None = None,
        visitor_id: str | None = None,
        visitor_secret: str | None = None,
        version: int = PROTOCOL_VERSION,
        timeout: float = 10.0,
    ) -> Welcome:
        """Say hello and wait for the welcome (raises :class:`ServerError` on refusal)."""
        reply = await self.request(
            Hello(version, name, look, resume, visitor_id, visitor_secret), timeout
        )
        if not isinstance(reply, Welcome):
            raise TypeError(f"expected welcome, got {reply!r}")
        self.welcome = reply
        return reply

    async def entered(self, timeout: float = 30.0) -> None:
        """Wait, taking nothing from the inbox, until the hello's identity was answered (its
        ``wallet`` or its ``error``, after any proof of work): moves made before it do not
        count as visits for a new identity."""
        cid = self.welcome.cid if self.welcome is not None else None
        async with asyncio.timeout(timeout):
            while not any(isinstance(m, (Wallet, Error)) and m.cid == cid for m in self.inbox):
                if self.closure is not None:
                    raise self.closure
                self._arrived.clear()
                await self._arrived.wait()

    async def move(self, x: float, z: float, heading: float = 0.0, anim: int = Anim.WALK) -> None:
        await self.send(Move(x, z, heading, anim))

    async def chat(self, text: str) -> None:
        await self.send(Chat(text))

    async def emote(self, emote: int) -> None:
        await self.send(EmoteMsg(emote))

    async def ping(self, t: float = 0.0, timeout: float = 10.0) -> Pong:
        reply = await self.request(Ping(t), timeout)
        assert isinstance(reply, Pong)
        return reply

    async def request(self, message: Message, timeout: float = 10.0) -> Message:
        """Send with a fresh ``cid`` and return the reply carrying it; ``error`` raises."""
        cid = next(self._cids)
        await self.send(replace(message, cid=cid))
        reply = await self.next(Message, timeout, lambda m: m.cid == cid)
        if isinstance(reply, Error):
            raise ServerError(reply)
        return reply

    # -- receiving ------------------------------------------------------------------------------

    async def recv(self, timeout: float = 10.0) -> Message:
        """The first message in the inbox; :class:`Closed` once it is empty and closed."""
        return await self.next(Message, timeout)

    async def next(
        self,
        kind: type[M],
        timeout: float = 10.0,
        where: Callable[[M], bool] = lambda _m: True,
    ) -> M:
        """Take the first message of ``kind`` satisfying ``where``, waiting for it."""
        async with asyncio.timeout(timeout):
            while True:
                for i, msg in enumerate(self.inbox):
                    if isinstance(msg, kind) and where(msg):
                        del self.inbox[i]
                        return msg
                if self.closure is not None:
                    raise self.closure
                self._arrived.clear()
                await self._arrived.wait()

    async def closed(self, timeout: float = 10.0) -> Closed:
        """Wait for the server to close the connection; returns the close."""
        async with asyncio.timeout(timeout):
            while self.closure is None:
                self._arrived.clear()
                await self._arrived.wait()
        return self.closure

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def drop(self) -> None:
        """Go without a closing handshake, as a phone that loses its signal does."""
        self.ws.transport.abort()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                if isinstance(data, str):
                    continue
                if self.on_frame is not None and len(data) > 1 and data[1] == _FRAME_BYTE:
                    self.on_frame(data)
                    continue
                msg = decode(data, SERVER_TYPES, None)
                if isinstance(msg, Frame):
                    self._apply(msg)
                elif isinstance(msg, WorkChallenge) and self.solve_work:
                    task = asyncio.create_task(self._prove(msg))
                    self._proving.add(task)
                    task.add_done_callback(self._proving.discard)
                    continue
                self.inbox.append(msg)
                self._arrived.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closure = Closed(self.ws.close_code, self.ws.close_reason or "")
            self._arrived.set()

    async def _prove(self, challenge: WorkChallenge) -> None:
        nonce = await asyncio.to_thread(solve, challenge.challenge, challenge.bits)
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.send(WorkProof(challenge.challenge, nonce, cid=challenge.cid))

    def _apply(self, f: Frame) -> None:
        seen = self.avatars
        if f.reset:
            seen.clear()
        for e in f.enters:
            seen[e.id] = Seen(e.x, e.z, e.heading, e.anim, e.name, e.look)
        for u in f.updates:
            s = seen.get(u.id)
            if s is None:
                continue
            if u.x is not None and u.z is not None:
                s.x, s.z = u.x, u.z
            if u.heading is not None:
                s.heading = u.heading
            if u.anim is not None:
                s.anim = u.anim
        for aid in f.leaves:
            seen.pop(aid, None)
        self.more = f.more
