"""Stats read from GLB bytes, and the budget gate."""

from __future__ import annotations

import struct

import pytest
import trimesh
from trimesh.exchange.gltf import export_glb

from srichan_world.gltf.stats import BuildStats, GlbError, over_budget, stats_of
from srichan_world.scene.model import Budget

STATS = BuildStats(
    triangles=1000, materials=5, draw_calls=5, nodes=9, glb_bytes=20_000, glb_gzip_bytes=6_000
)


def test_within_budget_is_silent() -> None:
    assert over_budget(STATS, Budget()) == []


def test_tiny_budget_names_every_excess() -> None:
    problems = over_budget(STATS, Budget(max_triangles=10, max_materials=1, max_glb_bytes=100))
    assert len(problems) == 3
    assert problems[0] == "triangles: 1,000 is over the budget of 10"
    assert problems[1].startswith("materials: 5") and problems[2].startswith("GLB bytes: 20,000")


def test_exactly_at_the_limit_is_within() -> None:
    assert over_budget(STATS, Budget(1000, 5, 20_000)) == []


def test_an_instanced_mesh_counts_once_per_node() -> None:
    scene = trimesh.Scene()
    box = trimesh.creation.box()
    scene.add_geometry(box, geom_name="box", node_name="a")
    move = trimesh.transformations.translation_matrix([3, 0, 0])
    scene.graph.update(frame_to="b", geometry="box", matrix=move)
    stats = stats_of(export_glb(scene))
    assert stats.triangles == 24 and stats.draw_calls == 2 and stats.nodes == 2


def glb_with_json(text: bytes) -> bytes:
    text += b" " * (-len(text) % 4)
    return struct.pack("<IIIII", 0x46546C67, 2, 20 + len(text), len(text), 0x4E4F534A) + text


@pytest.mark.parametrize(
    "blob, message",
    [
        (b"", "too short"),
        (b"PK\x03\x04" + bytes(30), "bad magic"),
        (struct.pack("<III", 0x46546C67, 2, 999) + bytes(8), "header says 999"),
        (glb_with_json(b"{x"), "does not parse"),
        (glb_with_json(b'{"meshes":[{}],"nodes":[{"mesh":3}]}'), "malformed"),
        (
            glb_with_json(b'{"meshes":[{"primitives":[{"indices":0}]}],"nodes":[{"mesh":0}]}'),
            "malformed",
        ),
    ],
)
def test_unreadable_glb_is_a_clear_error(blob: bytes, message: str) -> None:
    with pytest.raises(GlbError, match=message):
        stats_of(blob)
