"""The lean GLB: the assembled scene run through gltfpack (meshoptimizer's packer).

gltfpack quantises attributes (KHR_mesh_quantization), writes 16-bit indices where they fit,
reorders for the vertex cache and compresses the buffers with EXT_meshopt_compression (``-cc``);
the browser decodes with three.js' ``meshopt_decoder``. We use the packer from its npm package
(run under node) instead of encoding anything ourselves.

What our client relies on must survive it:

- ``-kn -km -ke`` keep named nodes (every marker), named materials and ``extras``;
- gltfpack drops node extensions it does not know (``OMI_spawn_point``), so :func:`pack` copies
  them back from the input, by node name.

The tool is found at ``node_modules/gltfpack/cli.js`` in the repository (``npm ci``), or at the
path in ``SRICHAN_GLTFPACK``. Same input, same bytes: gltfpack is deterministic.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from srichan_world.gltf.glb import read_glb, write_glb

ROOT = Path(__file__).resolve().parents[2]
GLTFPACK_ARGS = ("-cc", "-kn", "-km", "-ke")
"""Highest meshopt compression; keep named nodes, named materials and extras."""


class PackError(RuntimeError):
    """gltfpack is missing or refused the input."""


def gltfpack_command() -> list[str]:
    """How to run gltfpack here: ``[node, cli.js]``; :class:`PackError` if it is not installed."""
    script = Path(os.environ.get("SRICHAN_GLTFPACK", ROOT / "node_modules/gltfpack/cli.js"))
    node = shutil.which("node")
    if node is None or not script.is_file():
        raise PackError(
            f"gltfpack not found ({script}; node {'found' if node else 'missing'}): "
            "run `npm ci` (tools/setup.sh does)"
        )
    return [node, str(script)]


def pack(glb: bytes, extra_args: tuple[str, ...] = ()) -> bytes:
    """``glb`` compressed by gltfpack, markers, extras and node extensions intact."""
    command = gltfpack_command()
    with tempfile.TemporaryDirectory(prefix="srichan-pack-") as tmp:
        src, dst = Path(tmp, "in.glb"), Path(tmp, "out.glb")
        src.write_bytes(glb)
        done = subprocess.run(
            [*command, "-i", str(src), "-o", str(dst), *GLTFPACK_ARGS, *extra_args],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not dst.is_file():
            raise PackError(f"gltfpack failed ({done.returncode}): {done.stderr.strip()}")
        packed = dst.read_bytes()
    return _restore_node_extensions(glb, packed)


def _restore_node_extensions(original: bytes, packed: bytes) -> bytes:
    before, _ = read_glb(original)
    after, binary = read_glb(packed)
    lost: dict[str, dict[str, Any]] = {}
    for node in before.get("nodes", []):
        kept = {
            k: v
            for k, v in node.get("extensions", {}).items()
            if k != "EXT_mesh_gpu_instancing"  # gltfpack rewrites that one itself
        }
        if kept and "name" in node:
            lost[node["name"]] = kept
    if not lost:
        return packed
    used = set(after.get("extensionsUsed", []))
    for node in after.get("nodes", []):
        restore = lost.get(node.get("name", ""))
        if restore:
            node.setdefault("extensions", {}).update(restore)
            used.update(restore)
    after["extensionsUsed"] = sorted(used)
    return write_glb(after, binary)
