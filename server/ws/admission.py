"""Admission at the WebSocket door: ask the rules once per handshake, answer before upgrading.

:class:`SocketAdmission` wraps the ``/ws`` handler. Before the upgrade it asks
:class:`~srichan_world.world.admission.Admission` whether the client's address
(server/client_address.py) may open another socket now; a refusal is an HTTP 429 with
``Retry-After`` and costs no WebSocket, no session and no presence work. An admitted socket is
counted until its handler returns, and after that while the avatar it leaves waits for a
resume (the handler sets :data:`HELD`). Nothing here runs per message: the presence hot path never
sees admission.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from server.client_address import client_address
from server.metrics import Metrics
from srichan_world.protocol.codes import ErrorCode
from srichan_world.world.admission import Admission, Network

WsHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HELD = web.RequestKey("held", tuple[str, float])
"""Set by the handler when its session's avatar is left waiting for a resume: ``(resume
token, end of the window)``. The address keeps counting it until then."""


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

    def wrap(self, handler: WsHandler) -> WsHandler:
        """``handler`` behind the door: called only for admitted handshakes."""
        admission, refusals = self.admission, self.metrics.admission_refusals

        async def admitted(request: web.Request) -> web.StreamResponse:
            address = client_address(request, self.trusted)
            if self.banned is not None and self.banned(address, self.clock()):
                refusals.labels("banned").inc()
                return web.json_response(
                    {"error": "banned", "code": int(ErrorCode.BANNED)}, status=403
                )
            denial = admission.open_socket(address, self.clock(), self.still_held)
            if denial is not None:
                refusals.labels(denial.reason.value).inc()
                return web.json_response(
                    {
                        "error": "too_many_connections",
                        "reason": denial.reason.value,
                        "retry_after_s": denial.retry_after_s,
                    },
                    status=429,
                    headers={"Retry-After": str(denial.retry_after_s)},
                )
            try:
                return await handler(request)
            finally:
                admission.close_socket(address, request.get(HELD))

        return admitted
