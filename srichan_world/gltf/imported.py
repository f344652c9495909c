"""Landmarks an artist made: a glTF/GLB checked, normalised and fitted to its footprint.

A landmark with ``model = "…"`` is built from that file instead of its kind's procedural
builder. On the way in, the model

1. passes the Khronos glTF validator (``tools/validate_gltf.mjs``) with no errors;
2. is turned +Y up if the author says ``model_up = "z"``;
3. is scaled uniformly to fit inside the landmark's box (``width`` × ``depth`` × ``height``:
   the footprint the walkable area and the cross-checks already use), so a model in
   centimetres or inches comes out the right size; its base is put on the ground and its
   footprint centred on the landmark's, its front (+Z, glTF's forward) facing the road;
4. must fit the budget: triangles, materials and the longest side of any texture.

Every failure is a :class:`ModelError` that names the file. The meshes keep their own
materials (renamed ``model-<file stem>-<name>`` so they never collide with the palette; two
landmarks using one file share them) and hang below the landmark's marker node, so the client
finds the building under its marker.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh
from trimesh.visual.material import PBRMaterial

from srichan_world.gltf.lod import far_copy
from srichan_world.scene.model import Budget, Landmark

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "tools" / "validate_gltf.mjs"
Z_UP_TO_Y_UP = trimesh.transformations.rotation_matrix(-np.pi / 2, [1.0, 0.0, 0.0])


class ModelError(ValueError):
    """An imported model is invalid or over budget; the message names the file."""


@dataclass(frozen=True)
class ImportedModel:
    """The model's meshes in the landmark's frame (metres, +Y up, front +Z, base on y = 0)."""

    path: Path
    meshes: tuple[tuple[str, trimesh.Trimesh], ...]
    scale: float
    """How much the file was scaled to fit (1.0: it was in metres and the right size)."""
    triangles: int
    materials: int
    far: tuple[tuple[str, trimesh.Trimesh], ...] = ()
    """A simplified copy to draw from afar (:mod:`~srichan_world.gltf.lod`); ``()``: none."""


def validate(path: Path) -> list[str]:
    """The Khronos validator's errors for ``path`` (``[]`` when it has none)."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "gltf-validator").is_dir():
        raise ModelError(f"{path}: cannot validate: node or gltf-validator missing (npm ci)")
    done = subprocess.run(
        ["node", str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120
    )
    if done.returncode not in (0, 1):
        raise ModelError(f"{path}: the glTF validator could not run: {done.stderr.strip()}")
    report = json.loads(done.stdout)
    return [
        f"{m.get('pointer', '')}: {m['message']}"
        for m in report["issues"]["messages"]
        if m["severity"] == 0
    ]


def load_model(path: Path, lm: Landmark, budget: Budget, validated: bool = False) -> ImportedModel:
    """Validate (unless ``validated`` already), normalise and measure ``path`` for ``lm``."""
    errors = [] if validated else validate(path)
    if errors:
        shown = "; ".join(errors[:3]) + (f" (+{len(errors) - 3} more)" if len(errors) > 3 else "")
        raise ModelError(f"{path}: {len(errors)} glTF validation error(s): {shown}")
    try:
        loaded = trimesh.load_scene(path)
    except Exception as exc:  # trimesh raises many kinds on files the validator accepted
        raise ModelError(f"{path}: cannot read: {exc}") from None
    meshes = [m for m in loaded.dump() if isinstance(m, trimesh.Trimesh) and len(m.faces)]
    if not meshes:
        raise ModelError(f"{path}: has no triangle meshes")
    if lm.model_up == "z":
        for mesh in meshes:
            mesh.apply_transform(Z_UP_TO_Y_UP)
    lo = np.min([m.bounds[0] for m in meshes], axis=0)
    hi = np.max([m.bounds[1] for m in meshes], axis=0)
    size = np.maximum(hi - lo, 1e-9)
    scale = float(min(lm.width / size[0], lm.height / size[1], lm.depth / size[2]))
    move = trimesh.transformations.scale_matrix(scale)
    move[:3, 3] = -np.array([(lo[0] + hi[0]) / 2, lo[1], (lo[2] + hi[2]) / 2]) * scale
    named: list[tuple[str, trimesh.Trimesh]] = []
    materials: set[str] = set()
    for i, mesh in enumerate(meshes):
        mesh.apply_transform(move)
        material = getattr(mesh.visual, "material", None)
        base = getattr(material, "name", None) or f"material-{i}"
        name = f"model-{path.stem}-{base}"
        _check_textures(path, material, budget)
        if isinstance(material, PBRMaterial):
            material.name = name
        materials.add(name)
        named.append((name, mesh))
    triangles = sum(len(m.faces) for _, m in named)
    if triangles > budget.max_model_triangles:
        raise ModelError(
            f"{path}: {triangles:,} triangles is over the model budget of "
            f"{budget.max_model_triangles:,} (budget.max_model_triangles)"
        )
    if len(materials) > budget.max_model_materials:
        raise ModelError(
            f"{path}: {len(materials)} materials is over the model budget of "
            f"{budget.max_model_materials} (budget.max_model_materials)"
        )
    meshes_in_frame = tuple(named)
    return ImportedModel(
        path, meshes_in_frame, scale, triangles, len(materials), far_copy(meshes_in_frame)
    )


def _check_textures(path: Path, material: object, budget: Budget) -> None:
    for slot in (
        "baseColorTexture",
        "metallicRoughnessTexture",
        "normalTexture",
        "occlusionTexture",
        "emissiveTexture",
        "image",
    ):
        image = getattr(material, slot, None)
        size = getattr(image, "size", None)
        if size and max(size) > budget.max_texture_size:
            raise ModelError(
                f"{path}: texture {slot} is {size[0]}×{size[1]} px, over the budget of "
                f"{budget.max_texture_size} px a side (budget.max_texture_size)"
            )
