"""Run one app on a port until SIGINT/SIGTERM, then shut down gracefully.

Shutdown order: stop accepting, close every WebSocket with GOING_AWAY, let handlers finish,
then close the store (flushing it) — aiohttp's runner cleanup does exactly this sequence.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from aiohttp import web

from server.config import Settings


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
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port or None)
    await site.start()
    host, port = runner.addresses[0][:2]
    if announce is not None:
        announce(f"http://{host}:{port}/")
    else:
        print(f"Sri Chan World is open: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    try:
        await stop.wait()
    finally:
        print("srichan serve: shutting down", flush=True)
        await runner.cleanup()
