"""What a built GLB costs a phone, read back from the GLB itself, and the budget gate.

The numbers come from the exported bytes, not from the builder's intentions, so they also
measure any GLB (e.g. a gltfpack'd one) and cannot drift from what the browser downloads.
"""

from __future__ import annotations

import gzip
import json
import struct
from dataclasses import asdict, dataclass
from typing import Any

from srichan_world.scene.model import Budget

GLB_MAGIC = 0x46546C67
CHUNK_JSON = 0x4E4F534A
_TRIANGLES = 4


class GlbError(ValueError):
    """The bytes are not a GLB this module can read."""


@dataclass(frozen=True)
class BuildStats:
    triangles: int
    """Triangles drawn, every GPU instance counted."""
    materials: int
    draw_calls: int
    """Primitives drawn, counting every node that uses a mesh (GPU instances: one call)."""
    nodes: int
    glb_bytes: int
    glb_gzip_bytes: int
    """What a phone downloads when the server gzips the GLB (level 9, no timestamp)."""

    def to_json(self) -> dict[str, int]:
        return asdict(self)


def glb_json(glb: bytes) -> dict[str, Any]:
    """The JSON chunk of a GLB (header and first chunk checked)."""
    if len(glb) < 20:
        raise GlbError("too short for a GLB header")
    magic, version, length = struct.unpack_from("<III", glb, 0)
    if magic != GLB_MAGIC or version != 2:
        raise GlbError("not a glTF 2.0 binary (bad magic or version)")
    if length != len(glb):
        raise GlbError(f"header says {length} bytes, got {len(glb)}")
    chunk_length, chunk_type = struct.unpack_from("<II", glb, 12)
    if chunk_type != CHUNK_JSON or 20 + chunk_length > len(glb):
        raise GlbError("first chunk is not a complete JSON chunk")
    try:
        doc = json.loads(glb[20 : 20 + chunk_length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GlbError(f"JSON chunk does not parse: {exc}") from None
    if not isinstance(doc, dict):
        raise GlbError("the JSON chunk is not an object")
    return doc


def stats_of(glb: bytes) -> BuildStats:
    """Count what the GLB asks a renderer to draw; :class:`GlbError` if it cannot be read."""
    doc = glb_json(glb)
    try:
        return _count(doc, glb)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise GlbError(f"glTF JSON is malformed: {exc!r}") from None


def _count(doc: dict[str, Any], glb: bytes) -> BuildStats:
    accessors = doc.get("accessors", [])
    meshes = doc.get("meshes", [])
    per_mesh = []
    for mesh in meshes:
        triangles = 0
        for prim in mesh.get("primitives", []):
            if prim.get("mode", _TRIANGLES) != _TRIANGLES:
                continue
            if "indices" in prim:
                count = accessors[prim["indices"]]["count"]
            else:
                count = accessors[prim["attributes"]["POSITION"]]["count"]
            triangles += count // 3
        per_mesh.append((triangles, len(mesh.get("primitives", []))))
    nodes = doc.get("nodes", [])
    drawn = [(per_mesh[n["mesh"]], _copies(n, accessors)) for n in nodes if "mesh" in n]
    return BuildStats(
        triangles=sum(t * copies for (t, _), copies in drawn),
        materials=len(doc.get("materials", [])),
        draw_calls=sum(p for (_, p), _ in drawn),
        nodes=len(nodes),
        glb_bytes=len(glb),
        glb_gzip_bytes=len(gzip.compress(glb, compresslevel=9, mtime=0)),
    )


def _copies(node: dict[str, Any], accessors: list[dict[str, Any]]) -> int:
    """How many times the node's mesh is drawn: its GPU instances, else once."""
    instancing = node.get("extensions", {}).get("EXT_mesh_gpu_instancing")
    if not instancing:
        return 1
    return int(accessors[next(iter(instancing["attributes"].values()))]["count"])


def over_budget(stats: BuildStats, budget: Budget) -> list[str]:
    """Human-readable reasons the build is over ``budget``; empty when it fits."""
    problems = []
    for what, value, limit in (
        ("triangles", stats.triangles, budget.max_triangles),
        ("materials", stats.materials, budget.max_materials),
        ("GLB bytes", stats.glb_bytes, budget.max_glb_bytes),
    ):
        if value > limit:
            problems.append(f"{what}: {value:,} is over the budget of {limit:,}")
    return problems
