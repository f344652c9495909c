"""`srichan scene …`: check, build, preview and schema for content authors.

The thin shell around the pure scene library: it reads files, calls the library and writes
results atomically, so a failed check or build never leaves half an output behind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from srichan_world.gltf.bundle import (
    Bundle,
    bundle_scene,
    canonical_json,
    check_file,
    model_problems,
    summary,
)
from srichan_world.scene.load import SceneError, load_scene_text
from srichan_world.scene.model import Scene
from srichan_world.scene.preview import preview_svg
from srichan_world.scene.preview_page import VIEWER, preview_html
from srichan_world.scene.schema import scene_schema


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    scene = subparsers.add_parser("scene", help="check, build and preview scene descriptions")
    sub = scene.add_subparsers(dest="scene_command", required=True)
    check = sub.add_parser("check", help="report every problem in a scene file")
    check.add_argument("file", type=Path)
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: file:line:column: path: message (stderr); json: one report on stdout",
    )
    check.set_defaults(func=cmd_check)
    build = sub.add_parser("build", help="compile a scene to GLB + manifest + answers")
    build.add_argument("file", type=Path)
    build.add_argument("--out", type=Path, default=Path("assets/build"))
    build.set_defaults(func=cmd_build)
    preview = sub.add_parser(
        "preview", help="write a top-down plan (.svg, or .html to search it), or --serve it"
    )
    preview.add_argument("file", type=Path)
    preview.add_argument("-o", "--output", type=Path, help="plan.svg or plan.html")
    preview.add_argument(
        "--serve", action="store_true", help="build the street and serve plan + 3D view"
    )
    preview.add_argument("--port", type=int, default=8765)
    preview.set_defaults(func=cmd_preview)
    schema = sub.add_parser("schema", help="print the JSON Schema of the scene format")
    schema.add_argument("-o", "--output", type=Path)
    schema.set_defaults(func=cmd_schema)


def read_scene(path: Path) -> Scene:
    """Load and validate; every problem is printed with its path, then SystemExit(1)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path}: cannot read: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    try:
        return load_scene_text(text, path.parent)
    except SceneError as exc:
        for problem in exc.problems:
            print(f"{problem.where(str(path))}: {problem}", file=sys.stderr)
        print(f"{path}: {len(exc.problems)} problem(s); nothing written", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_check(args: argparse.Namespace) -> int:
    if args.format == "json":
        return _check_json(args.file)
    scene = read_scene(args.file)
    problems = model_problems(scene, args.file)
    for problem in problems:
        print(f"{problem.where(str(args.file))}: {problem}", file=sys.stderr)
    if problems:
        print(f"{args.file}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{args.file}: ok — {summary(scene)}")
    return 0


def _check_json(path: Path) -> int:
    """One JSON report on stdout for editors and CI: ``{"file", "ok", "problems": [...]}``;
    each problem has file, line, column (1-based, 0 if unknown), path, id, message and
    did_you_mean."""
    checked = check_file(path)
    report: dict[str, Any] = {"file": str(path), "ok": not checked.problems}
    if checked.scene is not None:
        report["summary"] = summary(checked.scene)
    report["problems"] = list(checked.problems)
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    return 0 if report["ok"] else 1


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def cmd_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    scene = read_scene(args.file)
    built = bundle_scene(scene, args.file.parent)
    if isinstance(built, list):
        for problem in built:
            print(f"{args.file}: {problem}", file=sys.stderr)
        print(f"{args.file}: nothing written", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    budget, stats = scene.budget, built.stats
    rows = [
        ("triangles", stats["triangles"], budget.max_triangles),
        ("materials", stats["materials"], budget.max_materials),
        ("draw calls", stats["draw_calls"], None),
        ("nodes", stats["nodes"], None),
        ("GLB bytes", stats["glb_bytes"], budget.max_glb_bytes),
        ("GLB gzipped", stats["glb_gzip_bytes"], None),
        ("fallback", len(built.fallback), None),
    ]
    print(f"{'':12}{'value':>12}{'budget':>12}")
    for name, value, limit in rows:
        print(f"{name:12}{value:>12,}{'' if limit is None else f'{limit:,}':>12}")
    print(f"build time  {elapsed:>11.2f}s")
    stem = args.file.stem
    args.out.mkdir(parents=True, exist_ok=True)
    write_bundle(args.out, stem, built)
    extra = f", {len(built.images)} lesson image(s)" if built.images else ""
    print(
        f"wrote {args.out}/{stem}.glb, .fallback.glb, .manifest.json, .answers.json{extra} — "
        f"scene {built.content_hash[:12]}"
    )
    return 0


def write_bundle(folder: Path, stem: str, built: Bundle) -> None:
    """The files of a build, each replaced atomically (the manifest last)."""
    for name, data in built.images.items():
        write_atomic(folder / name, data)
    write_atomic(folder / f"{stem}.glb", built.glb)
    write_atomic(folder / f"{stem}.fallback.glb", built.fallback)
    write_atomic(folder / f"{stem}.answers.json", built.answers)
    write_atomic(folder / f"{stem}.manifest.json", built.manifest)


def cmd_preview(args: argparse.Namespace) -> int:
    scene = read_scene(args.file)
    if args.serve:
        server = preview_server(args.file, scene, args.port)
        host, port = server.server_address[:2]
        print(f"author preview on http://{host}:{port}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0
    if args.output is None:
        print("scene preview: give -o plan.svg / plan.html, or --serve", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.output.suffix.lower() in (".html", ".htm"):
        write_atomic(args.output, preview_html(scene).encode())
    else:
        write_atomic(args.output, preview_svg(scene).encode())
    print(f"wrote {args.output}")
    return 0


VENDOR = Path(__file__).resolve().parents[1] / "node_modules" / "three"


def preview_server(path: Path, scene: Scene, port: int = 0) -> ThreadingHTTPServer:
    """A loopback HTTP server for the author page: ``/`` (plan + 3D), ``/street.glb`` (built
    now), ``/viewer.js`` and ``/vendor/three/…`` (from node_modules). Not for the internet."""
    from srichan_world.gltf.compile import build_glb  # trimesh is slow to import

    glb = build_glb(scene, base=path.parent).glb
    files: dict[str, tuple[bytes, str]] = {
        "/": (preview_html(scene, with_3d=True).encode(), "text/html; charset=utf-8"),
        "/street.glb": (glb, "model/gltf-binary"),
        "/viewer.js": (VIEWER.encode(), "text/javascript"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body, kind = files.get(self.path.split("?")[0], (b"", ""))
            if not kind and self.path.startswith("/vendor/three/"):
                target = (VENDOR / self.path.removeprefix("/vendor/three/")).resolve()
                if target.is_relative_to(VENDOR.resolve()) and target.is_file():
                    body, kind = target.read_bytes(), "text/javascript"
            if not kind:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def cmd_schema(args: argparse.Namespace) -> int:
    data = canonical_json(scene_schema())
    if args.output:
        write_atomic(args.output, data)
    else:
        sys.stdout.buffer.write(data)
    return 0
