"""The scene compiler: a validated :class:`Scene` in, deterministic GLBs out.

Static geometry is merged into one mesh per material (a phone pays per draw call, not per
box), welded and written without normals (viewers shade flat). Trees and lamps are stored once
each and drawn as GPU instances (EXT_mesh_gpu_instancing). Game data rides on empty marker
nodes (:mod:`srichan_world.gltf.markers`). The same scene gives byte-identical output on every
run and under any ``PYTHONHASHSEED``: parts are collected in scene order, names are derived from
ids, and the JSON is finished by :func:`_finish`.

Two GLBs come out of one build:

- ``glb``, the lean one a browser downloads: instanced, then quantised and meshopt-compressed
  by gltfpack (:mod:`srichan_world.gltf.pack`);
- ``fallback``, for a client without EXT_meshopt_compression or EXT_mesh_gpu_instancing: plain
  float attributes, the copies merged, no required extension.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh
from PIL import Image
from trimesh.exchange import gltf as trimesh_gltf
from trimesh.exchange.gltf import export_glb
from trimesh.visual.material import PBRMaterial

from srichan_world.gltf.imported import ImportedModel, load_model
from srichan_world.gltf.landmarks import BUILDERS, frame
from srichan_world.gltf.lod import LOD_EXTRAS_KEY, far_from
from srichan_world.gltf.markers import markers, scene_extras
from srichan_world.gltf.pack import pack
from srichan_world.gltf.palette import Material, Palette
from srichan_world.gltf.signs import Signs, signs
from srichan_world.gltf.solids import Solid, merged
from srichan_world.gltf.stats import BuildStats, over_budget, stats_of
from srichan_world.gltf.street import Instances, furniture, street_parts
from srichan_world.scene.model import Scene

__all__ = ["BuildResult", "BuildStats", "build_glb", "over_budget", "stats_of"]

GENERATOR = "srichan-world scene compiler"
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
FLOAT = 5126
INSTANCING = "EXT_mesh_gpu_instancing"
UNLIT = "KHR_materials_unlit"
SIGN_MATERIAL = "sign"
WELD_DECIMALS = 3
"""Vertices closer than a millimetre are one vertex (no normals or UVs to keep apart)."""


@dataclass(frozen=True)
class BuildResult:
    glb: bytes
    """The lean GLB (instanced, quantised, meshopt-compressed)."""
    stats: BuildStats
    fallback: bytes = b""
    """The same street with no required extension (plain attributes, copies merged)."""


def build_glb(
    scene: Scene,
    lean: bool = True,
    base: Path | None = None,
    validated: Iterable[Path] = (),
) -> BuildResult:
    """Compile ``scene`` (as returned by the loader) into GLBs and measure the one shipped.

    ``lean=False`` skips gltfpack: ``glb`` is then the fallback (no node.js needed). ``base``
    is the scene file's folder, where landmark ``model`` paths start (default: the current
    directory); a bad model raises :class:`~srichan_world.gltf.imported.ModelError`.
    ``validated``: model files the caller just ran the Khronos validator on (not run again).
    """
    models = load_models(scene, base, validated)
    fallback = assemble(scene, instanced=False, models=models)
    if not lean:
        return BuildResult(glb=fallback, stats=stats_of(fallback), fallback=fallback)
    glb = pack(assemble(scene, instanced=True, models=models))
    return BuildResult(glb=glb, stats=stats_of(glb), fallback=fallback)


def load_models(
    scene: Scene, base: Path | None = None, validated: Iterable[Path] = ()
) -> dict[str, ImportedModel]:
    """Every landmark's imported model, by landmark id (checked, fitted, measured)."""
    folder = Path(".") if base is None else base
    valid: set[Path] = set(validated)  # validate each file once, however many landmarks use it
    models = {}
    for lm in scene.landmarks:
        if lm.model:
            path = folder / lm.model
            models[lm.id] = load_model(path, lm, scene.budget, validated=path in valid)
            valid.add(path)
    return models


def assemble(
    scene: Scene, instanced: bool = True, models: dict[str, ImportedModel] | None = None
) -> bytes:
    """The scene as a plain trimesh-written GLB; ``instanced`` draws trees and lamps as GPU
    instances, else their copies are merged into the per-material meshes. ``models`` replace
    the procedural builder of their landmarks."""
    models = models or {}
    palette = Palette(lm.colors for lm in scene.landmarks)
    buckets: dict[Material, list[Solid]] = {}
    for lm in scene.landmarks:
        if lm.id in models:
            continue
        place = frame(lm)
        for role, solid in BUILDERS[lm.kind](lm):
            buckets.setdefault(palette.pick(role, lm.colors), []).append(solid.moved(place))
    for role, solid in street_parts(scene):
        buckets.setdefault(palette.pick(role), []).append(solid)
    boards = signs(scene.landmarks)
    if boards is not None:
        for role, solid in boards.posts:
            buckets.setdefault(palette.pick(role), []).append(solid)
    copies = furniture(scene)
    if not instanced:
        for item in copies:
            buckets.setdefault(palette.pick(item.role), []).append(item.merged())

    out = trimesh.Scene(base_frame="world")
    for material, solids in buckets.items():
        _add_mesh(out, f"mesh_{material.name}", material, merged(solids))
    instances: dict[str, Instances] = {}
    if instanced:
        for item in copies:
            material = palette.pick(item.role)
            buckets.setdefault(material, [])
            _add_mesh(out, item.name, material, item.template)
            instances[item.name] = item
    if boards is not None:
        _add_signs(out, boards)
    for marker in markers(scene):
        out.graph.update(
            frame_from="world", frame_to=marker.name, matrix=marker.matrix, metadata=marker.extras
        )
    _add_models(out, scene, models)
    out.metadata.update(scene_extras(scene))
    materials = {m.name: m for m in buckets}
    glb: bytes = export_glb(
        out,
        include_normals=False,
        buffer_postprocessor=lambda items, tree: _buffers(items, tree, instances, boards),
        tree_postprocessor=lambda t: _finish(t, materials),
    )
    return glb


def _add_models(out: trimesh.Scene, scene: Scene, models: dict[str, ImportedModel]) -> None:
    """Each imported model under its landmark's marker; one with a far copy as two levels
    (``lod_<id>_near``, ``lod_<id>_far``) the client draws by distance."""
    by_id = {lm.id: lm for lm in scene.landmarks}
    shared: dict[tuple[Path, float, str], str] = {}
    for lm_id, model in models.items():
        levels = [("", model.meshes, f"landmark_{lm_id}")]
        if model.far:
            far_m = far_from(by_id[lm_id])
            levels = []
            for level, (tag, meshes) in enumerate((("near", model.meshes), ("far", model.far))):
                group = f"lod_{lm_id}_{tag}"
                extras = {LOD_EXTRAS_KEY: {"of": lm_id, "level": level, "far_m": far_m}}
                out.graph.update(frame_from=f"landmark_{lm_id}", frame_to=group, metadata=extras)
                levels.append((f"_{tag}" if level else "", meshes, group))
        for suffix, meshes, parent in levels:
            for i, (name, mesh) in enumerate(meshes):
                # one copy of the geometry per file and size, however many landmarks use it
                key = (model.path, round(model.scale, 9), f"{name}_{i}{suffix}")
                node = f"model_{lm_id}_{i}{suffix}"
                if key in shared:
                    out.graph.update(frame_from=parent, frame_to=node, geometry=shared[key])
                    continue
                shared[key] = geometry = f"{name}_{len(shared)}"
                out.add_geometry(
                    mesh.copy(), node_name=node, geom_name=geometry, parent_node_name=parent
                )


def _add_mesh(out: trimesh.Scene, name: str, material: Material, solid: Solid) -> None:
    vertices, faces = _welded(solid)
    if len(faces) == 0:
        return
    mesh = trimesh.Trimesh(vertices, faces, process=False, validate=False)
    # The colour only keeps trimesh from merging materials; _finish writes the exact one.
    pbr = PBRMaterial(name=material.name, baseColorFactor=material.rgba8)
    mesh.visual = trimesh.visual.TextureVisuals(material=pbr)
    out.add_geometry(mesh, node_name=name, geom_name=name)


def _add_signs(out: trimesh.Scene, boards: Signs) -> None:
    """The sign faces: one mesh, textured from the name atlas (see :func:`_sign_material`)."""
    mesh = trimesh.Trimesh(boards.vertices, boards.faces, process=False, validate=False)
    uv = boards.uv.copy()
    uv[:, 1] = 1.0 - uv[:, 1]  # trimesh counts V from the bottom and flips it on export
    image = Image.open(io.BytesIO(boards.atlas))
    pbr = PBRMaterial(name=SIGN_MATERIAL, baseColorTexture=image)
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=pbr)
    out.add_geometry(mesh, node_name="signs", geom_name="signs")


def _sign_material(written: dict[str, Any]) -> dict[str, Any]:
    """The atlas as an unlit texture: names read the same in sun and shade."""
    texture = written["pbrMetallicRoughness"]["baseColorTexture"]
    return {
        "name": SIGN_MATERIAL,
        "pbrMetallicRoughness": {
            "baseColorTexture": {"index": texture["index"]},
            "metallicFactor": 0.0,
            "roughnessFactor": 1.0,
        },
        "extensions": {UNLIT: {}},
    }


def _buffers(
    buffer_items: MutableMapping[Any, bytes],
    tree: dict[str, Any],
    instances: dict[str, Instances],
    boards: Signs | None,
) -> None:
    _instancing(buffer_items, tree, instances)
    if boards is not None and tree.get("images"):
        # trimesh re-encodes the atlas as 8-bit RGB; ship our 4-bit palette PNG instead.
        (image,) = tree["images"]
        key = list(buffer_items)[image["bufferView"]]
        buffer_items[key] = boards.atlas + b"\0" * (-len(boards.atlas) % 4)


def _instancing(
    buffer_items: MutableMapping[Any, bytes], tree: dict[str, Any], instances: dict[str, Instances]
) -> None:
    """Give each furniture node its EXT_mesh_gpu_instancing TRANSLATION/ROTATION/SCALE."""
    for node in tree.get("nodes", []):
        item = instances.get(node.get("name", ""))
        if item is None:
            continue
        attributes = {}
        for attribute, data in zip(
            ("TRANSLATION", "ROTATION", "SCALE"), _trs_arrays(item.matrices), strict=True
        ):
            blob = {"componentType": FLOAT, "type": f"VEC{data.shape[1]}", "count": len(data)}
            attributes[attribute] = trimesh_gltf._data_append(
                tree["accessors"],
                buffer_items,  # type: ignore[arg-type]  # trimesh's IndexedDict, passed through
                blob,
                np.ascontiguousarray(data, dtype="<f4"),
            )
        node["extensions"] = {INSTANCING: {"attributes": attributes}}
        tree["extensionsUsed"] = sorted({*tree.get("extensionsUsed", []), INSTANCING})


def _trs_arrays(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(n, 4, 4)`` yaw + uniform scale + move as ``(n, 3)`` translations, ``(n, 4)`` xyzw
    quaternions and ``(n, 3)`` scales."""
    translation = matrices[:, :3, 3]
    scale = np.linalg.norm(matrices[:, :3, 0], axis=1)
    yaw = np.arctan2(matrices[:, 0, 2], matrices[:, 0, 0])
    zeros = np.zeros_like(yaw)
    rotation = np.column_stack([zeros, np.sin(yaw / 2), zeros, np.cos(yaw / 2)])
    return translation, rotation, np.repeat(scale[:, None], 3, axis=1)


def _welded(solid: Solid) -> tuple[np.ndarray, np.ndarray]:
    """Merge coincident vertices (sorted, so deterministic) and drop degenerate triangles."""
    if len(solid.faces) == 0:
        return solid.vertices, solid.faces
    rounded = np.round(solid.vertices, WELD_DECIMALS) + 0.0  # +0.0 folds -0.0 into 0.0
    unique, inverse = np.unique(rounded, axis=0, return_inverse=True)
    faces = inverse.reshape(-1)[solid.faces]
    keep = (
        (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    )
    return unique, faces[keep]


def _finish(tree: dict[str, Any], materials: dict[str, Material]) -> None:
    """Last touches to the glTF JSON: exact linear colours, TRS nodes, sorted extension list."""
    tree["asset"] = {"version": "2.0", "generator": GENERATOR}
    tree["materials"] = [_material(m, materials) for m in tree.get("materials", [])]
    if any(m["name"] == SIGN_MATERIAL for m in tree["materials"]):
        tree["extensionsUsed"] = [*tree.get("extensionsUsed", []), UNLIT]
    accessors, views = tree.get("accessors", []), tree.get("bufferViews", [])
    for mesh in tree.get("meshes", []):
        if not mesh.get("extras"):
            mesh.pop("extras", None)
        for prim in mesh["primitives"]:
            for index in prim["attributes"].values():
                views[accessors[index]["bufferView"]]["target"] = ARRAY_BUFFER
            views[accessors[prim["indices"]]["bufferView"]]["target"] = ELEMENT_ARRAY_BUFFER
    for node in tree.get("nodes", []):
        if "matrix" in node:
            node.update(_trs(node.pop("matrix")))
    if "extensionsUsed" in tree:
        tree["extensionsUsed"] = sorted(tree["extensionsUsed"])


def _material(written: dict[str, Any], materials: dict[str, Material]) -> dict[str, Any]:
    """Ours exactly as the palette says; the signs' atlas; an imported model's as trimesh
    wrote it."""
    name = written.get("name", "")
    if name == SIGN_MATERIAL:
        return _sign_material(written)
    if name in materials:
        return materials[name].to_gltf()
    return written


def _trs(matrix: list[float]) -> dict[str, list[float]]:
    """A column-major yaw-and-move matrix as glTF ``translation`` + ``rotation``."""
    m = np.asarray(matrix, dtype=float).reshape(4, 4).T
    yaw = math.atan2(m[0, 2], m[0, 0])
    if not np.allclose(m[:3, :3], trimesh.transformations.rotation_matrix(yaw, [0, 1, 0])[:3, :3]):
        raise ValueError("marker nodes may only turn about +Y")
    out = {}
    translation = [round(float(v), 4) + 0.0 for v in m[:3, 3]]
    if any(translation):
        out["translation"] = translation
    half = yaw / 2
    if abs(half) > 1e-12:
        out["rotation"] = [0.0, round(math.sin(half), 7) + 0.0, 0.0, round(math.cos(half), 7)]
    return out
