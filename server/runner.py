"""Run one app on a port until SIGINT/SIGTERM, then shut down gracefully.

Connections come in through the gate (server/connection_gate.py): a first request head within
``header_timeout_s``, few unfinished connections per address. aiohttp then closes a kept-alive
connection ``keepalive_timeout_s`` after a response unless the next request head is complete
by then (its default waits an hour), and reads what is left of a body a handler did not want
for at most ``LINGER_S``.

Shutdown order: stop accepting, close every WebSocket with GOING_AWAY, let handlers finish,
then close the store (flushing it) — aiohttp's runner cleanup does exactly this sequence.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from server.config import Settings
from server.connection_gate import Gate, listen, passed_in
from server.handoff import Siblings
from server.keys import ADMISSION, METRICS, WEBSOCKET

LINGER_S = 2.0
"""How long an unread request body is read and thrown away before the connection closes."""


def app_runner(app: web.Application, settings: Settings) -> web.AppRunner:
    """The runner with the settings' HTTP timeouts (``runner.setup()`` is the caller's)."""
    return web.AppRunner(
        app,
        handle_signals=False,
        shutdown_timeout=5.0,
        keepalive_timeout=settings.keepalive_timeout_s,
        lingering_time=LINGER_S,
    )


def gate_of(app: web.Application, settings: Settings) -> Gate:
    """The gate of ``app``'s listener; it hands ``GET /ws`` to picows when the app has it."""
    door = app.get(WEBSOCKET)
    siblings = None
    if settings.siblings_dir is not None:
        siblings = Siblings(settings.siblings_dir, settings.worker_index, settings.workers)
    return Gate(
        app[ADMISSION],
        app[METRICS],
        settings.header_timeout_s,
        settings.trusted_proxies,
        websocket=door.protocol if door is not None else None,
        router=siblings,
    )


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop (a faster event loop, in C) when it is installed."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - a dependency; asyncio's loop still works
        asyncio.run(main)
    else:
        uvloop.run(main)


async def serve(
    app: web.Application,
    settings: Settings,
    *,
    reuse_port: bool = False,
    announce: Callable[[str], None] | None = None,
) -> None:
    """``reuse_port`` and ``announce`` (called with the URL instead of printing it) are for
    the workers of ``--workers N`` (server/workers.py)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = app_runner(app, settings)
    await runner.setup()
    gate = gate_of(app, settings)
    listener = await listen(runner, settings.host, settings.port, gate, reuse_port=reuse_port)
    siblings = gate.router if isinstance(gate.router, Siblings) else None
    if siblings is not None and runner.server is not None:  # zoned workers (server/handoff.py)
        siblings.open(passed_in(gate, runner.server))
    host, port = listener.sockets[0].getsockname()[:2]
    if announce is not None:
        announce(f"http://{host}:{port}/")
    else:
        print(f"Sri Chan World is open: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    try:
        await stop.wait()
    finally:
        print("srichan serve: shutting down", flush=True)
        listener.close()
        if siblings is not None:
            siblings.close()
        await runner.cleanup()
