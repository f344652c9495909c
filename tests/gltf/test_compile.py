"""The GLB as a whole: one mesh per material, flat PBR materials, byte-identical builds, and
the Sri Chan scene inside its mobile budget."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from srichan_world.gltf.compile import BuildResult, build_glb, over_budget
from srichan_world.gltf.stats import glb_json, stats_of
from srichan_world.scene.model import Scene

from .conftest import MINI

ROOT = Path(__file__).resolve().parents[2]


def test_one_mesh_per_material_and_draw_calls_equal_materials(mini_build: BuildResult) -> None:
    doc = glb_json(mini_build.fallback)
    used = [p["material"] for m in doc["meshes"] for p in m["primitives"]]
    assert sorted(used) == list(range(len(doc["materials"]))), "each material drawn exactly once"
    stats = stats_of(mini_build.fallback)
    assert stats.draw_calls == stats.materials == len(doc["meshes"])
    names = [m["name"] for m in doc["materials"]]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("which", ["glb", "fallback"])
def test_materials_are_flat_pbr_without_vertex_colours(mini_build: BuildResult, which: str) -> None:
    doc = glb_json(getattr(mini_build, which))
    for material in doc["materials"]:
        if material["name"] == "sign":
            continue  # the textured name signs: tests/gltf/test_signs.py
        pbr = material["pbrMetallicRoughness"]
        assert pbr["metallicFactor"] == 0.0
        assert 0.1 <= pbr.get("roughnessFactor", 1.0) <= 1.0
        assert len(pbr["baseColorFactor"]) == 4
        assert ("alphaMode" in material) == (pbr["baseColorFactor"][3] < 1.0)
    glass = [m for m in doc["materials"] if m["name"] == "glass"]
    assert glass and glass[0]["alphaMode"] == "BLEND"
    for mesh in doc["meshes"]:
        for prim in mesh["primitives"]:
            textured = doc["materials"][prim["material"]]["name"] == "sign"
            expected = {"POSITION", "TEXCOORD_0"} if textured else {"POSITION"}
            assert set(prim["attributes"]) == expected, "no COLOR_0, no normals: flat shading"


def test_author_colours_become_linear_base_colours(mini_build: BuildResult) -> None:
    doc = glb_json(mini_build.glb)
    by_name = {
        m["name"]: m["pbrMetallicRoughness"]["baseColorFactor"]
        for m in doc["materials"]
        if m["name"] != "sign"
    }
    # The gate's #b3261e: sRGB 179/255 decodes to linear 0.4508.
    r, g, b, a = by_name["color-b3261e"]
    assert round(r, 3) == 0.451 and g < 0.03 and b < 0.02 and a == 1.0


def test_trees_and_lamps_are_gpu_instances_in_the_lean_glb(mini_build: BuildResult) -> None:
    doc = glb_json(mini_build.glb)
    instanced = [n for n in doc["nodes"] if "EXT_mesh_gpu_instancing" in n.get("extensions", {})]
    assert len(instanced) == 4, "tree trunk and crown, lamp pole and head"
    assert mini_build.stats.draw_calls == mini_build.stats.materials + 4
    counts = {
        doc["accessors"][n["extensions"]["EXT_mesh_gpu_instancing"]["attributes"]["TRANSLATION"]][
            "count"
        ]
        for n in instanced
    }
    assert min(counts) > 1
    assert {"EXT_meshopt_compression", "KHR_mesh_quantization"} <= set(doc["extensionsUsed"])
    indices = {
        doc["accessors"][p["indices"]]["componentType"]
        for m in doc["meshes"]
        for p in m["primitives"]
    }
    assert indices <= {5121, 5123}, "8- or 16-bit indices"
    assert len(mini_build.glb) * 2 < len(mini_build.fallback)


def test_same_scene_builds_byte_identical_in_process(mini_scene: Scene) -> None:
    assert build_glb(mini_scene).glb == build_glb(mini_scene).glb


def _digest_in_subprocess(seed: str) -> str:
    code = (
        "import hashlib, pathlib, sys\n"
        "from srichan_world.scene.load import load_scene_text\n"
        "from srichan_world.gltf.compile import build_glb\n"
        "scene = load_scene_text(pathlib.Path(sys.argv[1]).read_text(encoding='utf-8'))\n"
        "print(hashlib.sha256(build_glb(scene).glb).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", code, str(MINI)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_build_is_byte_identical_across_hash_seeds(mini_build: BuildResult) -> None:
    here = hashlib.sha256(mini_build.glb).hexdigest()
    assert _digest_in_subprocess("0") == _digest_in_subprocess("4242") == here


def test_srichan_fits_its_budget_with_room_to_spare(
    srichan_scene: Scene, srichan_build: BuildResult
) -> None:
    stats, budget = srichan_build.stats, srichan_scene.budget
    assert over_budget(stats, budget) == []
    assert stats.triangles <= budget.max_triangles // 2
    assert stats.materials <= budget.max_materials - 4
    assert stats.glb_bytes <= budget.max_glb_bytes // 4


def test_stats_agree_with_the_exported_json(mini_build: BuildResult) -> None:
    doc = glb_json(mini_build.fallback)
    accessors = doc["accessors"]
    triangles = sum(
        accessors[p["indices"]]["count"] // 3 for m in doc["meshes"] for p in m["primitives"]
    )
    stats = stats_of(mini_build.fallback)
    assert stats.triangles == triangles > 1000
    assert stats.nodes == len(doc["nodes"])
    assert stats.glb_bytes == len(mini_build.fallback)
    assert mini_build.stats.triangles == stats.triangles, "GPU instances are counted"
    assert 0 < stats.glb_gzip_bytes < stats.glb_bytes
    assert stats.to_json()["draw_calls"] == stats.draw_calls
