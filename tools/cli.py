"""The `srichan` command: one entry point, one subcommand module per area."""

from __future__ import annotations

import argparse
import sys

from tools import (
    admin_cmd,
    badge_cmd,
    bench_cmd,
    ledger_cmd,
    owner_cmd,
    scene_cmd,
    serve_cmd,
    visitor_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="srichan", description="Sri Chan World tools")
    sub = parser.add_subparsers(dest="command", required=True)
    scene_cmd.add_parser(sub)
    serve_cmd.add_parser(sub)
    ledger_cmd.add_parser(sub)
    owner_cmd.add_parser(sub)
    admin_cmd.add_parser(sub)
    bench_cmd.add_parser(sub)
    badge_cmd.add_parser(sub)
    visitor_cmd.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
        sys.stderr.reconfigure(encoding="utf-8")
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except SystemExit as exc:
        return int(exc.code or 0)


if __name__ == "__main__":
    raise SystemExit(main())
