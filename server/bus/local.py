"""The bus of one process: endpoints on one :class:`LocalHub` hear each other, nobody else.

The default when there is no Redis. With one app in a process nothing is ever heard (an
endpoint ignores its own echo), which is exactly right for one process; tests join several
apps to one hub to share a street without Redis. Delivery happens on the next turn of the event
loop, as it would from a socket, so a listener never runs inside a publisher's call.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable

from server.bus import Listener

log = logging.getLogger(__name__)


class LocalHub:
    """Where local endpoints meet: channel -> the endpoints subscribed to it."""

    def __init__(self) -> None:
        self.channels: dict[str, set[LocalBus]] = {}

    def deliver(self, sender: LocalBus, channel: str, payload: bytes) -> None:
        for endpoint in list(self.channels.get(channel, ())):
            if endpoint is not sender:
                endpoint.heard(channel, payload)


class LocalBus:
    """One endpoint on a :class:`LocalHub` (its own hub unless one is given)."""

    def __init__(self, hub: LocalHub | None = None) -> None:
        self.hub = hub or LocalHub()
        self.origin = os.urandom(8)
        self.shared = hub is not None
        self.on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self.on_disconnect: list[Callable[[BaseException], None]] = []
        self.published = self.received = 0
        self._listeners: dict[str, list[Listener]] = {}

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        for channel in list(self._listeners):
            await self.unsubscribe(channel)

    async def subscribe(self, channel: str, listener: Listener) -> None:
        self._listeners.setdefault(channel, []).append(listener)
        self.hub.channels.setdefault(channel, set()).add(self)

    async def unsubscribe(self, channel: str) -> None:
        self._listeners.pop(channel, None)
        members = self.hub.channels.get(channel)
        if members is not None:
            members.discard(self)
            if not members:
                del self.hub.channels[channel]

    async def publish(self, channel: str, payload: bytes) -> bool:
        return await self.publish_many(((channel, payload),)) == 1

    async def publish_many(self, messages: Iterable[tuple[str, bytes]]) -> int:
        batch = list(messages)
        loop = asyncio.get_running_loop()
        for channel, payload in batch:
            loop.call_soon(self.hub.deliver, self, channel, payload)
        self.published += len(batch)
        return len(batch)

    def heard(self, channel: str, payload: bytes) -> None:
        listeners = self._listeners.get(channel, ())
        if listeners:
            self.received += 1
        for listener in list(listeners):
            try:
                listener(payload)
            except Exception:
                log.exception("bus listener for %s failed", channel)
