"""Admission at the WebSocket door: ask the rules once per handshake, answer before upgrading.

:class:`SocketAdmission` wraps the ``/ws`` handler. Before the upgrade it asks
:class:`~srichan_world.world.admission.Admission` whether the client's address
(server/client_address.py) may open another socket now; a refusal is an HTTP 429 with
``Retry-After`` and costs no WebSocket, no session and no presence work. An admitted socket is
counted until its handler returns, and after that while the avatar it leaves waits for a
resume (the handler sets :data:`HELD`). Nothing here runs per message: the presence hot path never
sees admission.

Both WebSocket transports go through this one door: aiohttp's handler through :meth:`wrap`,
the picows door (server/ws/fast.py) through :meth:`enter` and :meth:`leave`, which is the
same decision without aiohttp's request object.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import hdrs, web

from server.client_address import address_of
from server.metrics import Metrics
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.admission import Admission, Network

WsHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ADDRESS = web.RequestKey("address", str)
"""Set for each admitted handshake: the client address it was counted under (the street
counts new identities by it)."""
HELD = web.RequestKey("held", tuple[str, float])
"""Set by the handler when its session's avatar is left waiting for a resume: ``(resume
token, end of the window)``. The address keeps counting it until then."""


@dataclass(frozen=True)
class Refusal:
    """The HTTP answer to a handshake the door turns away (before any upgrade)."""

    status: int
    body: bytes
    headers: dict[str, str]


class SocketAdmission:
    """Counts and limits the WebSockets of each client address (see the module docstring)."""

    def __init__(
        self,
        admission: Admission,
        trusted: Sequence[Network],
        metrics: Metrics,
        clock: Callable[[], float] = time.monotonic,
        banned: Callable[[str, float], bool] | None = None,
        still_held: Callable[[str], bool] | None = None,
    ) -> None:
        self.admission = admission
        self.banned = banned
        """Whether a moderator banned the address's prefix (403 before the upgrade)."""
        self.trusted = tuple(trusted)
        self.metrics = metrics
        self.clock = clock
        self.still_held = still_held
        """Whether an avatar waits for a resume under a token (the presence world's answer);
        ``None``: held avatars are counted until their window ends."""
        metrics.admission_addresses.set_function(admission.tracked)

    def enter(self, peer: str, forwarded: Sequence[str]) -> str | Refusal:
        """The client address to :meth:`leave` once the socket ends, or the refusal to send.
        ``forwarded`` holds the request's ``X-Forwarded-For`` values."""
        address = address_of(peer, forwarded, self.trusted)
        if self.banned is not None and self.banned(address, self.clock()):
            self.metrics.admission_refusals.labels("banned").inc()
            body = {"error": "banned", "code": int(ErrorCode.BANNED)}
            return Refusal(403, json.dumps(body).encode(), {"Content-Type": "application/json"})
        denial = self.admission.open_socket(address, self.clock(), self.still_held)
        if denial is None:
            return address
        self.metrics.admission_refusals.labels(denial.reason.value).inc()
        body = {
            "error": "too_many_connections",
            "reason": denial.reason.value,
            "retry_after_s": denial.retry_after_s,
        }
        return Refusal(
            429,
            json.dumps(body).encode(),
            {"Content-Type": "application/json", "Retry-After": str(denial.retry_after_s)},
        )

    def leave(self, address: str, held: tuple[str, float] | None = None) -> None:
        """The socket :meth:`enter` admitted for ``address`` has ended; ``held``: the avatar
        it left waits for a resume (token, end of the window) and still counts."""
        self.admission.close_socket(address, held)

    def wrap(self, handler: WsHandler) -> WsHandler:
        """``handler`` behind the door: called only for admitted handshakes."""

        async def admitted(request: web.Request) -> web.StreamResponse:
            forwarded = request.headers.getall(hdrs.X_FORWARDED_FOR, ())
            verdict = self.enter(request.remote or "?", forwarded)
            if isinstance(verdict, Refusal):
                return web.Response(
                    status=verdict.status, body=verdict.body, headers=verdict.headers
                )
            request[ADDRESS] = verdict
            try:
                return await handler(request)
            finally:
                self.leave(verdict, request.get(HELD))

        return admitted
