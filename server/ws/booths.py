"""Booths on the WebSocket: ``booth_state`` to whoever can see a booth, and ``redeem``.

:class:`BoothFanout` subscribes to the booth service's publish hook: an update is queued at once
(never awaited per client) for every session whose interest area holds the booth's cell. A
visitor who walks into sight of a booth, or has just arrived, is caught up by a sweep a few
times a second that sends each session the booths around it whose version it has not seen.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Sequence

from server.services.booths import BoothService, BoothUpdate
from server.ws.pump import Pump, RequestContext
from srichan_world.protocol.codes import ErrorCode
from srichan_world.protocol.messages import BoothState, CouponIssued, Error, Message, Redeem
from srichan_world.world.coupons import KEY
from srichan_world.world.refusals import Refused

SWEEP_S = 0.25


class BoothFanout:
    def __init__(
        self, service: BoothService, pump: Pump, clock: Callable[[], float] = time.time
    ) -> None:
        self.service = service
        self.pump = pump
        self.clock = clock
        self.seen: dict[int, dict[str, int]] = {}
        """Per session, the booth versions it was sent."""

    def on_update(self, update: BoothUpdate) -> None:
        grid = self.service.grid
        around = set(grid.neighbourhood(update.cell))
        for view in self.pump.views():
            if grid.cell_of((view.x, view.z)) in around:
                self._send(view.session, update.slot, update.message)

    def sweep(self) -> int:
        """Send every session the booths in its area it has not seen yet; returns how many."""
        sent = 0
        for view in self.pump.views():
            seen = self.seen.get(view.session, {})
            for state in self.service.states_near(view.x, view.z):
                if seen.get(state.slot) != state.version:
                    self._send(view.session, state.slot, state)
                    sent += 1
        return sent

    async def sweep_forever(self, interval: float = SWEEP_S) -> None:
        while True:
            await asyncio.sleep(interval)
            self.sweep()

    async def forget(self, session: int) -> None:
        self.seen.pop(session, None)

    def _send(self, session: int, slot: str, message: BoothState) -> None:
        if self.pump.send(session, message):
            self.seen.setdefault(session, {})[slot] = message.version

    async def redeem(self, ctx: RequestContext, msg: Message) -> Sequence[Message]:
        """``redeem`` from a visitor who gave their id and secret in ``hello``."""
        assert isinstance(msg, Redeem)
        view = ctx.view
        if not view.visitor_id or not view.visitor_secret:
            return [Error(ErrorCode.NO_IDENTITY, "hello needs visitor_id and visitor_secret")]
        try:
            await self.service.store.authenticate_visitor(view.visitor_id, view.visitor_secret)
            coupon, balance = await self.service.redeem(
                view.visitor_id,
                msg.slot,
                msg.promotion,
                redeem_key(view.session, msg),
                (view.x, view.z),
                self.clock(),
                getattr(msg, "expected_cost", None),
            )
        except Refused as exc:
            return [Error(int(exc.code), exc.refusal.detail)]
        return [CouponIssued(coupon.to_message(), balance)]


def redeem_key(session: int, msg: Redeem) -> str:
    """The idempotency key of a redeem: the client's ``key`` when the message carries one
    (the browser sends it; the protocol's ``Redeem`` is to gain the field), else the session
    and the request's ``cid``, so a duplicate on one connection at least spends once."""
    key = getattr(msg, "key", None)
    if isinstance(key, str) and KEY.match(key):
        return key
    if msg.cid is None:
        return f"ws-{session}-{secrets.token_hex(8)}"  # nothing to recognise a duplicate by
    return f"ws-{session:06d}-{msg.cid}"
