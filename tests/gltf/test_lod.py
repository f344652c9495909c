"""A far level of detail for heavy imported models: simplified, materials and texture
coordinates kept, hung as two named levels the client draws by distance; light models get none."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import trimesh
from trimesh.visual.material import PBRMaterial

from srichan_world.gltf.compile import build_glb
from srichan_world.gltf.imported import load_model
from srichan_world.gltf.lod import FAR_SHARE, LOD_EXTRAS_KEY, LOD_MIN_TRIANGLES, far_from
from srichan_world.gltf.stats import glb_json
from srichan_world.scene.model import Scene
from tests.gltf.test_imported import MUSEUM, museum
from tests.gltf.test_validator import validate


def heavy_model(path: Path) -> Path:
    """A dome of 5,120 triangles with texture coordinates (over LOD_MIN_TRIANGLES)."""
    mesh = trimesh.creation.icosphere(subdivisions=4, radius=10.0)
    uv = (mesh.vertices[:, [0, 2]] / 20.0) + 0.5
    material = PBRMaterial("stone", baseColorFactor=(180, 170, 150, 255))
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    path.write_bytes(trimesh.Scene(mesh).export(file_type="glb"))
    return path


def test_a_heavy_model_gets_a_far_copy_with_a_quarter_of_its_triangles(
    srichan_scene: Scene, tmp_path: Path
) -> None:
    lm = museum(srichan_scene)
    model = load_model(heavy_model(tmp_path / "dome.glb"), lm, srichan_scene.budget)
    assert model.triangles >= LOD_MIN_TRIANGLES
    far = sum(len(m.faces) for _, m in model.far)
    assert far == pytest.approx(model.triangles * FAR_SHARE, rel=0.1)
    (name, near), (far_name, far_mesh) = model.meshes[0], model.far[0]
    assert far_name == name and far_mesh.visual.material is near.visual.material
    assert far_mesh.visual.uv.shape == (len(far_mesh.vertices), 2)
    # the simplified shape keeps the model's size and place
    assert np.allclose(far_mesh.bounds, near.bounds, atol=0.05 * float(np.ptp(near.bounds)))


def test_a_light_model_gets_none(srichan_scene: Scene) -> None:
    model = load_model(MUSEUM, museum(srichan_scene), srichan_scene.budget)
    assert model.triangles < LOD_MIN_TRIANGLES and model.far == ()


def meshes_below(nodes: list[dict], node: dict) -> int:
    return ("mesh" in node) + sum(meshes_below(nodes, nodes[c]) for c in node.get("children", []))


@pytest.mark.parametrize("lean", [True, False])
def test_the_levels_hang_under_the_marker_and_validate(
    srichan_scene: Scene, tmp_path: Path, lean: bool
) -> None:
    heavy_model(tmp_path / "dome.glb")
    lm = museum(srichan_scene)
    heavy = dataclasses.replace(lm, model="dome.glb")
    scene = dataclasses.replace(
        srichan_scene,
        landmarks=tuple(heavy if x.id == lm.id else x for x in srichan_scene.landmarks),
    )
    glb = build_glb(scene, lean=lean, base=tmp_path).glb
    nodes = glb_json(glb)["nodes"]
    (marker,) = [n for n in nodes if n.get("name") == f"landmark_{lm.id}"]
    levels = {nodes[c]["name"]: nodes[c] for c in marker["children"]}
    assert set(levels) == {f"lod_{lm.id}_near", f"lod_{lm.id}_far"}
    far_m = far_from(lm)
    for level, tag in enumerate(("near", "far")):
        node = levels[f"lod_{lm.id}_{tag}"]
        assert node["extras"][LOD_EXTRAS_KEY] == {"of": lm.id, "level": level, "far_m": far_m}
        assert meshes_below(nodes, node) >= 1
    issues = validate(glb, tmp_path)["issues"]
    assert (issues["numErrors"], issues["numWarnings"]) == (0, 0), issues["messages"]
