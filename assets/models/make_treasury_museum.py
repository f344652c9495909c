"""Source of ``treasury-museum.glb``: the Khon Kaen Treasury Museum as an artist's model.

Made by the Sri Chan World team for this project (MIT, like the rest of the repository; see
``assets/models/README.md``). It stands in for what an artist would bring from Blender: its own
materials, vertex normals, metres, +Y up, the front facing +Z, but its origin at the back-left
corner of the podium rather than the centre, so the scene compiler's normalisation has work to
do. Rebuild with ``.venv/bin/python assets/models/make_treasury_museum.py``.

A two-storey cream hall on a podium, a gilded portico of eight columns under a pediment, and a
steep Isan-style hipped roof with gold chofa finials at the ridge ends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely
import trimesh
from trimesh.visual.material import PBRMaterial

OUT = Path(__file__).with_name("treasury-museum.glb")

W, D = 38.0, 21.0  # podium, metres
MATERIALS = {
    "museum-plaster": PBRMaterial(
        "museum-plaster",
        baseColorFactor=(245, 240, 225, 255),
        metallicFactor=0.0,
        roughnessFactor=0.85,
    ),
    "museum-gold": PBRMaterial(
        "museum-gold", baseColorFactor=(201, 162, 39, 255), metallicFactor=0.0, roughnessFactor=0.5
    ),
    "museum-roof": PBRMaterial(
        "museum-roof", baseColorFactor=(123, 94, 59, 255), metallicFactor=0.0, roughnessFactor=0.8
    ),
    "museum-window": PBRMaterial(
        "museum-window", baseColorFactor=(60, 80, 96, 255), metallicFactor=0.0, roughnessFactor=0.3
    ),
}


def box(size: tuple[float, float, float], centre: tuple[float, float, float]) -> trimesh.Trimesh:
    return trimesh.creation.box(
        extents=size, transform=trimesh.transformations.translation_matrix(centre)
    )


def column(x: float, z: float, base: float, height: float) -> trimesh.Trimesh:
    shaft = trimesh.creation.cylinder(radius=0.45, height=height, sections=12)
    shaft.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    shaft.apply_translation((x, base + height / 2, z))
    return shaft


def prism(points: list[tuple[float, float]], depth: float, z0: float) -> trimesh.Trimesh:
    """An XY outline extruded along +Z from ``z0``."""
    mesh = trimesh.creation.extrude_polygon(shapely.Polygon(points), depth)
    mesh.apply_translation((0.0, 0.0, z0))
    return mesh


def hip_roof(
    x0: float, x1: float, z0: float, z1: float, y: float, rise: float, ridge: float
) -> trimesh.Trimesh:
    cx = (x0 + x1) / 2
    cz = (z0 + z1) / 2
    pts = [
        (x0, y, z0),
        (x1, y, z0),
        (x1, y, z1),
        (x0, y, z1),
        (cx - ridge / 2, y + rise, cz),
        (cx + ridge / 2, y + rise, cz),
    ]
    v = np.array(pts)
    faces = np.array(
        [(0, 1, 2), (0, 2, 3), (0, 1, 5), (0, 5, 4), (2, 3, 4), (2, 4, 5), (1, 2, 5), (3, 0, 4)]
    )
    # a convex solid: turn every face away from the centre
    tri = v[faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    outward = np.einsum("ij,ij->i", normal, tri.mean(axis=1) - v.mean(axis=0)) > 0
    faces = np.where(outward[:, None], faces, faces[:, ::-1])
    return trimesh.Trimesh(v, faces, process=False)


def build() -> trimesh.Scene:
    parts: dict[str, list[trimesh.Trimesh]] = {name: [] for name in MATERIALS}
    # Origin at the podium's back-left corner: x 0..W, z 0..D (front at z = D).
    parts["museum-plaster"].append(box((W, 1.2, D), (W / 2, 0.6, D / 2)))
    hall = (W - 6.0, 10.0, D - 7.0)
    parts["museum-plaster"].append(box(hall, (W / 2, 1.2 + hall[1] / 2, 1.0 + hall[2] / 2)))
    for x in (3.0, W - 3.0):  # lower wings
        parts["museum-plaster"].append(
            box((5.0, 7.0, D - 9.0), (x, 1.2 + 3.5, 1.0 + (D - 9.0) / 2))
        )
    front = 1.0 + hall[2]
    # steps up to the portico
    for i in range(3):
        depth = 1.8 - 0.6 * i
        parts["museum-plaster"].append(
            box((14.0, 0.4 * (i + 1), depth), (W / 2, 0.2 * (i + 1), D + depth / 2 - 0.01))
        )
    # portico: eight gilded columns, entablature and pediment
    for i in range(8):
        x = W / 2 - 10.5 + 3.0 * i
        parts["museum-gold"].append(column(x, D - 1.0, 1.2, 8.0))
    parts["museum-gold"].append(box((24.0, 1.0, 5.6), (W / 2, 9.7, front + 2.8 - 0.4)))
    parts["museum-gold"].append(
        prism([(W / 2 - 12.5, 10.2), (W / 2 + 12.5, 10.2), (W / 2, 13.4)], 5.4, front - 0.4)
    )
    # windows: two storeys on the hall front, behind the columns
    for storey in (0, 1):
        for i in range(6):
            x = W / 2 - 11.0 + 4.4 * i
            parts["museum-window"].append(
                box((1.6, 2.6, 0.2), (x, 3.0 + storey * 4.2 + 1.3, front + 0.05))
            )
    # roofs
    parts["museum-roof"].append(hip_roof(2.0, W - 2.0, 0.0, front + 0.6, 11.2, 5.0, hall[0] * 0.6))
    for x in (3.0, W - 3.0):
        parts["museum-roof"].append(hip_roof(x - 3.0, x + 3.0, 0.5, D - 8.5, 8.2, 2.0, 2.0))
    ridge_y = 16.2
    for x in (W / 2 - hall[0] * 0.3, W / 2 + hall[0] * 0.3):
        cone = trimesh.creation.cone(radius=0.35, height=1.6, sections=6)
        cone.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
        cone.apply_translation((x, ridge_y, (front + 0.6) / 2))
        parts["museum-gold"].append(cone)

    scene = trimesh.Scene()
    for name, meshes in parts.items():
        mesh = trimesh.util.concatenate(meshes)
        mesh.visual = trimesh.visual.TextureVisuals(material=MATERIALS[name])
        scene.add_geometry(mesh, node_name=name, geom_name=name)
    scene.metadata["srichan"] = {
        "source": "assets/models/make_treasury_museum.py",
        "licence": "MIT",
    }
    return scene


if __name__ == "__main__":
    data = build().export(file_type="glb")
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data):,} bytes)")
