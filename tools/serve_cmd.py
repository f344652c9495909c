"""`srichan serve`: check the settings, then run the street (server/runner.py) until stopped."""

from __future__ import annotations

import argparse
import asyncio
import sys

from server.app import create_app
from server.config import ConfigError, add_arguments, load_settings
from server.runner import serve
from server.workers import run_workers


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the street: scene, browser client, WebSocket")
    add_arguments(parser)
    parser.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args)
        app = create_app(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"srichan serve: {problem}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        del app  # checked; each worker builds its own
        return run_workers(settings, create_app)
    asyncio.run(serve(app, settings))
    return 0
