"""Degraded mode on the WebSocket: a request that needs an unreachable store is retryable.

A handler that hits :class:`~server.store.StoreError` answers ``error store_unavailable``
(not ``internal``), and the client sends the same request again later with the same
idempotency key, so nothing is lost or done twice. A ``hello`` whose identity could not be
checked is remembered and entered again, with its wallet and quests sent, as soon as the store
answers (or before the session's next request). See ``server/health.py`` for how up and down
are decided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from server.health import UNAVAILABLE_EN, StoreHealth
from server.store import StoreError
from server.ws.pump import Handler, RequestContext
from srichan_world.protocol.codes import ErrorCode, MsgType
from srichan_world.protocol.messages import Error, Hello, Message


def unavailable_reply(cid: int | None = None) -> Error:
    return Error(ErrorCode.STORE_UNAVAILABLE, UNAVAILABLE_EN, cid=cid)


class RequestGuard:
    """The request handlers of one app, each wrapped to turn store failures into retries."""

    def __init__(self, health: StoreHealth, handlers: Mapping[MsgType, Handler]) -> None:
        self.health = health
        self.hello: Handler | None = handlers.get(MsgType.HELLO)
        self.handlers: dict[MsgType, Handler] = {
            kind: self._wrap(kind, handler) for kind, handler in handlers.items()
        }
        """The wrapped handlers, for :meth:`server.ws.pump.Pump.serve`."""
        self.pending: dict[int, tuple[RequestContext, Hello]] = {}
        """Sessions whose hello could not be handled for want of the store."""

    def _wrap(self, kind: MsgType, handler: Handler) -> Handler:
        async def guarded(ctx: RequestContext, msg: Message) -> Sequence[Message]:
            session = ctx.view.session
            try:
                if kind == MsgType.HELLO:
                    self.pending.pop(session, None)
                elif session in self.pending:
                    await self._enter(session)
                return await handler(ctx, msg)
            except StoreError as exc:
                self.health.suspect(exc)
                if isinstance(msg, Hello):
                    self.pending[session] = (ctx, msg)
                return [unavailable_reply()]

        return guarded

    async def _enter(self, session: int) -> None:
        """Run a held-back hello now; its replies (wallet, quests) go to the session."""
        held = self.pending.pop(session, None)
        view = held[0].pump.world.view(session) if held is not None else None
        if held is None or view is None or self.hello is None:
            return
        ctx, msg = held
        try:
            replies = await self.hello(RequestContext(view, ctx.pump), msg)
        except StoreError:
            self.pending.setdefault(session, held)
            raise
        for reply in replies:
            ctx.pump.send(session, reply)

    async def retry_pending(self) -> None:
        """The store is back: enter every session that said hello while it was away."""
        for session in list(self.pending):
            await self._enter(session)

    async def forget(self, session: int) -> None:
        self.pending.pop(session, None)
