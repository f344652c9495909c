"""Messages between the server processes of one street: the :class:`Bus` interface.

Two implementations: :class:`server.bus.local.LocalBus` for one process (the default, no Redis)
and :class:`server.bus.redis.RedisBus` over Redis publish/subscribe. Users (booth notices,
shared presence) see only this interface; the app picks the implementation from the store URL.

Delivery is fire and forget: a message goes to the listeners of *other* endpoints on the same
channel (an endpoint never hears its own echo), published while an endpoint is disconnected it
is lost to it, so each user keeps a way to catch up (``on_reconnect``) and the durable state
stays in the store. Publishing never raises and never waits for a listener.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

Listener = Callable[[bytes], None]
"""Called with a message's payload on the event loop, without awaiting: it must not block."""


class Bus(Protocol):
    origin: bytes
    """This endpoint's id, stamped on what it publishes (so its own echo is ignored)."""
    shared: bool
    """True when other processes may be listening (only then is presence shared)."""
    on_reconnect: list[Callable[[], Awaitable[None]]]
    """Awaited after the bus came back from an outage: time to catch up."""
    on_disconnect: list[Callable[[BaseException], None]]

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def subscribe(self, channel: str, listener: Listener) -> None:
        """Call ``listener`` with every message other endpoints publish on ``channel``."""

    async def unsubscribe(self, channel: str) -> None: ...

    async def publish(self, channel: str, payload: bytes) -> bool:
        """Send ``payload`` to the other endpoints on ``channel``; False if it was lost."""

    async def publish_many(self, messages: Iterable[tuple[str, bytes]]) -> int:
        """Send ``(channel, payload)`` pairs at once; returns how many went out."""
