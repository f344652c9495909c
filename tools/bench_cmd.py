"""`srichan bench …`: the load benchmarks, each a module under tools/ with its own flags."""

from __future__ import annotations

import argparse

from tools.bench import blockfit as bench_blockfit
from tools.bench import decode as bench_decode
from tools.bench import presence as bench_presence
from tools.bench import reload as bench_reload
from tools.bench import scale as bench_scale


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="load benchmarks (127.0.0.1 only, bounded)")
    sub = bench.add_subparsers(dest="bench_command", required=True)
    presence = sub.add_parser("presence", help="moving avatars vs a bare relay, one process")
    bench_presence.add_arguments(presence)
    presence.set_defaults(func=bench_presence.main)
    scale = sub.add_parser("scale", help="one process vs --workers 2 on Redis")
    bench_scale.add_arguments(scale)
    scale.set_defaults(func=bench_scale.main)
    reload = sub.add_parser("reload", help="live reload: saving the scene to every visitor")
    bench_reload.add_arguments(reload)
    reload.set_defaults(func=bench_reload.main)
    decode = sub.add_parser("decode", help="distance tiers: bytes and browser decode time")
    bench_decode.add_arguments(decode)
    decode.set_defaults(func=bench_decode.main)
    blockfit = sub.add_parser("blockfit", help="crowded blocks: what observers see, and cost")
    bench_blockfit.add_arguments(blockfit)
    blockfit.set_defaults(func=bench_blockfit.main)
