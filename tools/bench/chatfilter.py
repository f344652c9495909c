"""Benchmark of the chat word filter: the cost of building it and of masking one chat line.

The presence world masks every chat line on the event loop, so a line must cost far less
than the 1 s between one visitor's lines; building the dictionary happens once per word list,
in a worker thread. Prints a table and writes ``bench-results/chatfilter.json``.
Usage: python -m tools.bench.chatfilter [--lines 2000] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from srichan_world.world.chatfilter import WordFilter

WORDS = ["ควาย", "สัตว์", "เหี้ย", "fuck", "shit"] + [f"คำต้องห้าม{i}" for i in range(95)]
LINES = [
    "สวัสดีครับ ยินดีต้อนรับสู่ถนนศรีจันทร์ ไปพิพิธภัณฑ์กันไหม",
    "ไอ้ควายตัวนี้ ไปให้พ้นเลยนะ",
    "ไปหาสัตวแพทย์ที่ศรีจันทร์ แล้วไปดูสัตว์ป่าสงวนต่อ",
    "hello everyone, where is the Khon Kaen museum?",
    "ชาไทยร้านป้าแดงอร่อยมาก " * 8,  # about 200 characters
]


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=2000, help="lines masked per kind")
    parser.add_argument("--out", type=Path, default=Path("bench-results/chatfilter.json"))
    args = parser.parse_args(argv)

    builds = []
    for _ in range(3):
        started = time.perf_counter()
        words = WordFilter(WORDS)
        builds.append(time.perf_counter() - started)
    rows = [{"what": f"build, {len(WORDS)} words", "median_ms": _median_ms(builds)}]
    for line in LINES:
        samples = []
        for _ in range(args.lines):
            started = time.perf_counter()
            words.mask(line)
            samples.append(time.perf_counter() - started)
        rows.append({"what": f"mask {len(line)} chars", "median_ms": _median_ms(samples)})

    print(f"{'what':<32}{'median ms':>10}")
    for row in rows:
        print(f"{row['what']:<32}{row['median_ms']:>10}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"lines": args.lines, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
