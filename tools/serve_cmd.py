"""`srichan serve`: check the settings, then run the street (server/runner.py) until stopped.

With ``--watch SCENE.toml`` the scene is built from that file first (into ``--scene-dir``),
and again whenever it changes while the server runs (server/reload.py).
"""

from __future__ import annotations

import argparse
import sys

from server.app import create_app
from server.config import ConfigError, Settings, add_arguments, load_settings
from server.reload import describe, write_build
from server.runner import run, serve
from server.workers import run_workers
from srichan_world.gltf.bundle import build_file


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help="run the street: scene, browser client, WebSocket")
    add_arguments(parser)
    parser.set_defaults(func=cmd_serve)


def first_build(settings: Settings) -> bool:
    """``--watch``: build the file before serving it; every problem printed when it fails."""
    assert settings.watch is not None
    report = build_file(settings.watch)
    if report.bundle is None:
        for problem in report.problems:
            print(f"srichan serve: {describe(problem)}", file=sys.stderr)
        print(f"srichan serve: {settings.watch}: not built", file=sys.stderr)
        return False
    settings.scene_dir.mkdir(parents=True, exist_ok=True)
    write_build(settings.scene_dir, settings.scene_name, report.bundle)
    built = f"built {settings.watch} ({report.summary}); watching it for changes"
    print(f"srichan serve: {built}", file=sys.stderr)  # stdout's first line is the address
    return True


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args)
        if settings.watch is not None and not first_build(settings):
            last = settings.scene_dir / f"{settings.scene_name}.manifest.json"
            if not last.is_file():
                return 2
            print(
                "srichan serve: serving the last good build until the file is fixed",
                file=sys.stderr,
            )
        app = create_app(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"srichan serve: {problem}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        del app  # checked; each worker builds its own
        return run_workers(settings, create_app)
    run(serve(app, settings))
    return 0
