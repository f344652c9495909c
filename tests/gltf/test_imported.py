"""Imported landmark models: validated, fitted to the footprint, budgeted, hung under their
marker node; the procedural builder stays for landmarks without one."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image
from trimesh.visual.material import PBRMaterial

from srichan_world.gltf.compile import BuildResult
from srichan_world.gltf.imported import ModelError, load_model
from srichan_world.gltf.stats import glb_json
from srichan_world.scene.model import Budget, Scene
from tools.bench.reload import copy_street

ROOT = Path(__file__).resolve().parents[2]
MUSEUM = ROOT / "assets" / "models" / "treasury-museum.glb"


def museum(scene: Scene):
    return next(lm for lm in scene.landmarks if lm.id == "treasury-museum")


def write_model(path: Path, extents: tuple[float, float, float], texture: int = 0) -> Path:
    mesh = trimesh.creation.box(extents=extents)
    mesh.apply_translation((500.0, 300.0, -40.0))  # nowhere near the origin
    material = PBRMaterial("brick", baseColorFactor=(200, 80, 60, 255))
    if texture:
        material = PBRMaterial("brick", baseColorTexture=Image.new("RGB", (texture, 8), "red"))
        uv = np.zeros((len(mesh.vertices), 2))
        mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    else:
        mesh.visual = trimesh.visual.TextureVisuals(material=material)
    path.write_bytes(trimesh.Scene(mesh).export(file_type="glb"))
    return path


def test_the_sri_chan_museum_is_the_artists_model(srichan_scene: Scene) -> None:
    lm = museum(srichan_scene)
    assert lm.model == "../assets/models/treasury-museum.glb"
    model = load_model(MUSEUM, lm, srichan_scene.budget)
    lo = np.min([m.bounds[0] for _, m in model.meshes], axis=0)
    hi = np.max([m.bounds[1] for _, m in model.meshes], axis=0)
    assert lo[1] == pytest.approx(0.0, abs=1e-6), "standing on the ground"
    assert (lo[0] + hi[0]) / 2 == pytest.approx(0.0, abs=1e-6)
    assert (lo[2] + hi[2]) / 2 == pytest.approx(0.0, abs=1e-6)
    size = hi - lo
    assert size[0] <= lm.width + 1e-6 and size[1] <= lm.height + 1e-6 and size[2] <= lm.depth + 1e-6
    assert max(size[0] / lm.width, size[1] / lm.height, size[2] / lm.depth) == pytest.approx(1.0)
    assert all(name.startswith("model-treasury-museum-") for name, _ in model.meshes)


@pytest.mark.parametrize("which", ["glb", "fallback"])
def test_model_meshes_hang_under_the_landmark_marker(
    srichan_build: BuildResult, which: str
) -> None:
    doc = glb_json(getattr(srichan_build, which))
    nodes = doc["nodes"]
    (marker,) = [n for n in nodes if n.get("name") == "landmark_treasury-museum"]
    assert "mesh" not in marker and marker["extras"]["srichan"]["id"] == "treasury-museum"

    def meshes_below(node: dict) -> int:
        return ("mesh" in node) + sum(meshes_below(nodes[c]) for c in node.get("children", []))

    assert meshes_below(marker) >= 4, "the model's four materials"
    names = {m["name"] for m in doc["materials"]}
    assert {"model-treasury-museum-museum-gold", "model-treasury-museum-museum-roof"} <= names


def test_centimetres_and_z_up_are_normalised(srichan_scene: Scene, tmp_path: Path) -> None:
    lm = dataclasses.replace(museum(srichan_scene), model_up="z")
    # 30 m × 20 m × 12 m tall, drawn in centimetres with Z up
    path = write_model(tmp_path / "cm.glb", (3000.0, 2000.0, 1200.0))
    model = load_model(path, lm, srichan_scene.budget)
    (_, mesh) = model.meshes[0]
    size = mesh.bounds[1] - mesh.bounds[0]
    assert size[1] / size[0] == pytest.approx(1200 / 3000), "Z became up"
    assert model.scale == pytest.approx(min(40 / 3000, 15 / 1200, 22 / 2000))


def test_over_budget_and_broken_models_name_the_file(srichan_scene: Scene, tmp_path: Path) -> None:
    lm = museum(srichan_scene)
    path = write_model(tmp_path / "big.glb", (10.0, 10.0, 10.0))
    with pytest.raises(ModelError, match=r"big\.glb: 12 triangles is over the model budget of 4"):
        load_model(path, lm, Budget(max_model_triangles=4))
    textured = write_model(tmp_path / "tex.glb", (10.0, 10.0, 10.0), texture=4096)
    with pytest.raises(ModelError, match=r"tex\.glb: texture baseColorTexture is 4096×8 px"):
        load_model(textured, lm, Budget())
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF" + b"\x02\x00\x00\x00" + b"\x00" * 40)
    with pytest.raises(ModelError, match=r"broken\.glb: \d+ glTF validation error"):
        load_model(broken, lm, Budget())


def test_scene_check_points_at_a_missing_or_bad_model(tmp_path: Path) -> None:
    text = (ROOT / "scenes" / "srichan.toml").read_text(encoding="utf-8")
    missing = tmp_path / "missing.toml"
    missing.write_text(text, encoding="utf-8")
    run = [sys.executable, "-m", "tools.cli", "scene", "check"]
    done = subprocess.run([*run, str(missing)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith("model = "))
    assert f"{missing}:{line}:1: landmarks[4].model: file not found" in done.stderr
    assert "[treasury-museum]" in done.stderr
    street = copy_street(tmp_path / "street").parent  # with the lesson images it names
    (street / "models").mkdir()
    write_model(street / "models" / "m.glb", (10.0, 10.0, 10.0))
    bad = street / "bad.toml"
    bad.write_text(
        text.replace("../assets/models/treasury-museum.glb", "models/m.glb").replace(
            "[budget]\n", "[budget]\nmax_model_triangles = 4\n"
        ),
        encoding="utf-8",
    )
    done = subprocess.run([*run, str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1, done.stdout
    assert f"{bad}:{line + 1}:1: landmarks[4].model:" in done.stderr  # one budget line more
    assert "m.glb: 12 triangles is over the model budget" in done.stderr


def test_landmarks_using_one_file_share_its_geometry_and_materials() -> None:
    import tomllib

    from srichan_world.gltf.compile import build_glb
    from srichan_world.scene.load import load_scene
    from tools.bench.scene import SCENE, repeated

    scene = load_scene(repeated(tomllib.loads(SCENE.read_text(encoding="utf-8")), 3))
    doc = glb_json(build_glb(scene, lean=False, base=SCENE.parent).glb)
    nodes = doc["nodes"]
    markers = [n for n in nodes if n.get("name", "").startswith("landmark_treasury-museum")]
    assert len(markers) == 3
    used = [sorted(nodes[c]["mesh"] for c in m["children"]) for m in markers]
    assert used[0] == used[1] == used[2] and len(used[0]) == 4, "one copy of the model's meshes"
    names = [m["name"] for m in doc["materials"] if m["name"].startswith("model-")]
    assert len(names) == len(set(names)) == 4
