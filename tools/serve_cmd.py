"""`srichan serve`: run the service until SIGINT/SIGTERM, then shut down gracefully.

Shutdown order: stop accepting, close every WebSocket with GOING_AWAY, let handlers finish,
then close the store (flushing it) — aiohttp's runner cleanup does exactly this sequence.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable

from aiohttp import web

from server.app import create_app
from server.config import ConfigError, Settings, add_arguments, load_settings


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the street: scene, browser client, WebSocket")
    add_arguments(serve)
    serve.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args)
        app = create_app(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"srichan serve: {problem}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        from server.workers import run_workers

        del app  # checked; each worker builds its own
        return run_workers(settings)
    asyncio.run(serve(app, settings))
    return 0


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
