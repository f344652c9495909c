"""Benchmark of the scene compiler: build time, peak memory and GLB size, Sri Chan and bigger.

Builds the Sri Chan scene and generated streets with 10× and 100× as many landmarks (the
seven repeated along a longer road, with their quiz points and spawns; booths while the
``Bnn`` ids last). Compares the lean GLB we ship with the plain fallback GLB of the same street
and with what ``gltfpack -cc`` makes of that fallback (the issue's yardstick: it also drops the
marker nodes and extras the game needs) and ``gltfpack -cc -kn -km -ke`` (keeps them). Prints a
table and writes JSON.

Usage: .venv/bin/python -m tools.bench.scene [--json bench-results/scene.json] [--repeat 3]
Targets: Sri Chan builds in < 2 s, gzipped GLB ≤ 300 KB, time grows no worse than linearly.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import trimesh  # noqa: E402

from srichan_world.gltf.compile import build_glb  # noqa: E402
from srichan_world.gltf.lod import far_copy  # noqa: E402
from srichan_world.gltf.pack import PackError, gltfpack_command  # noqa: E402
from srichan_world.scene.load import load_scene  # noqa: E402
from srichan_world.scene.model import Budget, Scene  # noqa: E402

SCENE = ROOT / "scenes" / "srichan.toml"
BASELINE_GZIP_BYTES = 67_825
"""The Sri Chan GLB before the lean build (commit 7264dfa: plain floats, 32-bit indices)."""
TARGET_RATIO_TO_GLTFPACK = 1.1
TARGET_SECONDS = 2.0
TARGET_GZIP_BYTES = 300_000
MAX_GROWTH_EXPONENT = 1.1
"""Time ∝ size^k; k ≤ 1.1 counts as linear (noise and cache effects)."""


def repeated(data: dict[str, Any], copies: int) -> dict[str, Any]:
    """The scene ``copies`` times along one straight road; copy 0 is the original."""
    points = data["street"]["centreline"]
    if len(points) != 2 or points[0][1] != points[1][1]:
        raise SystemExit("bench_scene: repeating needs a straight west-east centreline")
    length = points[1][0] - points[0][0]
    out = copy.deepcopy(data)
    out["street"]["centreline"] = [points[0], [points[0][0] + length * copies, points[0][1]]]
    booth_number = len(data["booth_slots"])
    for i in range(1, copies):
        shift = length * i
        suffix = f"-{i:03d}"
        for lm in data["landmarks"]:
            out["landmarks"].append(
                lm | {"id": lm["id"] + suffix, "station": lm["station"] + shift}
            )
        for q in data["quiz_points"]:
            moved = {"id": q["id"] + suffix, "landmark": q["landmark"] + suffix}
            out["quiz_points"].append(q | moved | {"station": q["station"] + shift})
        for s in data["spawn_points"]:
            out["spawn_points"].append(
                s | {"id": s["id"] + suffix, "station": s["station"] + shift}
            )
        for b in data["booth_slots"]:
            if booth_number >= 99:
                break
            booth_number += 1
            out["booth_slots"].append(
                b | {"id": f"B{booth_number:02d}", "station": b["station"] + shift}
            )
    return out


def gltfpack_sizes(glb: bytes, *flags: str) -> dict[str, Any]:
    """Size of ``gltfpack <flags>`` applied to ``glb``, or why it could not run."""
    try:
        command = gltfpack_command()
    except PackError as exc:
        return {"error": str(exc)}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.glb", Path(tmp) / "out.glb"
        src.write_bytes(glb)
        done = subprocess.run(
            [*command, "-i", str(src), "-o", str(dst), *flags],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not dst.exists():
            return {"error": f"gltfpack failed: {(done.stderr or done.stdout).strip()[:200]}"}
        packed = dst.read_bytes()
    return {"bytes": len(packed), "gzip_bytes": len(gzip.compress(packed, 9, mtime=0))}


def measure(name: str, scene: Scene, repeat: int) -> dict[str, Any]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = build_glb(scene, base=SCENE.parent)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    build_glb(scene, base=SCENE.parent)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stats = result.stats
    return {
        "scene": name,
        "landmarks": len(scene.landmarks),
        "quiz_points": len(scene.quiz_points),
        "booth_slots": len(scene.booth_slots),
        "road_m": round(scene.street.centreline.length),
        "build_s_median": round(statistics.median(times), 4),
        "build_s_all": [round(t, 4) for t in times],
        "peak_mib": round(peak / 2**20, 1),
        **stats.to_json(),
        "fallback_bytes": len(result.fallback),
        "fallback_gzip_bytes": len(gzip.compress(result.fallback, 9, mtime=0)),
        "gltfpack": gltfpack_sizes(result.fallback, "-cc"),
        "gltfpack_keep": gltfpack_sizes(result.fallback, "-cc", "-kn", "-km", "-ke"),
    }


def far_copy_cost(repeat: int) -> dict[str, Any]:
    """What a far level of detail costs to make for a model at the budget's triangle limit."""
    rings = math.isqrt(Budget().max_model_triangles // 4)  # a UV sphere has ~4 rings² faces
    model = trimesh.creation.uv_sphere(radius=10.0, count=[rings, rings])
    model.visual = trimesh.visual.TextureVisuals(uv=np.zeros((len(model.vertices), 2)))
    times, far = [], ()
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        far = far_copy((("model", model),))
        times.append(time.perf_counter() - start)
    return {
        "near_triangles": len(model.faces),
        "far_triangles": sum(len(m.faces) for _, m in far),
        "seconds_median": round(statistics.median(times), 4),
    }


def kib(n: int | None) -> str:
    return "—" if n is None else f"{n / 1024:,.0f}"


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'scene':<13}{'landmarks':>10}{'build s':>9}{'peak MiB':>9}{'triangles':>11}"
        f"{'mat':>5}{'draws':>6}{'nodes':>7}{'GLB KiB':>9}{'gzip KiB':>9}"
        f"{'fallback gz':>12}{'-cc gz':>8}{'-cc -k* gz':>11}{'vs -cc':>8}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        cc, keep = r["gltfpack"], r["gltfpack_keep"]
        ratio = r["glb_gzip_bytes"] / cc["gzip_bytes"] if "gzip_bytes" in cc else None
        lines.append(
            f"{r['scene']:<13}{r['landmarks']:>10}{r['build_s_median']:>9.3f}{r['peak_mib']:>9.1f}"
            f"{r['triangles']:>11,}{r['materials']:>5}{r['draw_calls']:>6}{r['nodes']:>7,}"
            f"{kib(r['glb_bytes']):>9}{kib(r['glb_gzip_bytes']):>9}"
            f"{kib(r['fallback_gzip_bytes']):>12}{kib(cc.get('gzip_bytes')):>8}"
            f"{kib(keep.get('gzip_bytes')):>11}{'—' if ratio is None else f'{ratio:.2f}×':>8}"
        )
    errors = {r["gltfpack"]["error"] for r in rows if "error" in r["gltfpack"]}
    lines += [f"gltfpack: {e}" for e in sorted(errors)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "scene.json")
    parser.add_argument("--repeat", type=int, default=3, help="timed builds per scene (median)")
    parser.add_argument("--scales", default="1,10,100", help="copies of the street to build")
    args = parser.parse_args(argv)
    data = tomllib.loads(SCENE.read_text(encoding="utf-8"))
    rows = []
    for copies in (int(x) for x in args.scales.split(",")):
        start = time.perf_counter()
        scene = load_scene(data if copies == 1 else repeated(data, copies))
        loaded = time.perf_counter() - start
        name = "srichan" if copies == 1 else f"srichan×{copies}"
        row = measure(name, scene, args.repeat)
        row["load_s"] = round(loaded, 3)
        rows.append(row)
        print(f"built {name}: {row['build_s_median']:.3f} s", file=sys.stderr)
    print(table(rows))

    checks: dict[str, Any] = {}
    base = rows[0]
    if base["scene"] == "srichan":
        checks["srichan_under_2s"] = base["build_s_median"] < TARGET_SECONDS
        checks["srichan_gzip_under_300kb"] = base["glb_gzip_bytes"] <= TARGET_GZIP_BYTES
        checks["smaller_than_before"] = round(BASELINE_GZIP_BYTES / base["glb_gzip_bytes"], 2)
        if "gzip_bytes" in base["gltfpack"]:
            ratio = base["glb_gzip_bytes"] / base["gltfpack"]["gzip_bytes"]
            checks["ratio_to_gltfpack_cc"] = round(ratio, 3)
            checks["within_1_1x_of_gltfpack_cc"] = ratio <= TARGET_RATIO_TO_GLTFPACK
            keep = base["gltfpack_keep"]["gzip_bytes"]
            checks["ratio_to_gltfpack_cc_keeping_game_data"] = round(
                base["glb_gzip_bytes"] / keep, 3
            )
    if len(rows) >= 2:
        small, big = rows[-2], rows[-1]
        exponent = math.log(big["build_s_median"] / small["build_s_median"]) / math.log(
            big["landmarks"] / small["landmarks"]
        )
        checks["growth_exponent"] = round(exponent, 3)
        checks["growth_linear"] = exponent <= MAX_GROWTH_EXPONENT
    lod = far_copy_cost(args.repeat)
    print(
        f"far copy (LOD) of a {lod['near_triangles']:,}-triangle model: "
        f"{lod['far_triangles']:,} triangles in {lod['seconds_median']:.3f} s (median)"
    )
    print("checks: " + ", ".join(f"{k}={v}" for k, v in checks.items()))

    report = {
        "benchmark": "scene build",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "targets": {
            "srichan_seconds": TARGET_SECONDS,
            "gzip_bytes": TARGET_GZIP_BYTES,
            "max_growth_exponent": MAX_GROWTH_EXPONENT,
        },
        "checks": checks,
        "scenes": rows,
        "far_copy": lod,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
