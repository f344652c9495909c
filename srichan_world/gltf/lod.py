"""A far level of detail for heavy imported landmarks.

A photogrammetry or artist's model may carry up to ``budget.max_model_triangles``; seen from the
other end of the street it covers a few dozen pixels, and a cheap phone still pays for every
triangle. So a model of at least :data:`LOD_MIN_TRIANGLES` gets a far copy with
:data:`FAR_SHARE` of its triangles, drawn beyond :func:`far_from` metres (the client builds a
``THREE.LOD`` from the two nodes). Our own procedural landmarks are a few hundred triangles each
and are merged per material across the street, so splitting them into levels would cost more
draw calls than it saves triangles: they get none.

The simplifier is fast-simplification's quadric decimation (the one trimesh uses); it keeps no
texture coordinates, so each far vertex takes the coordinates of an original vertex that
collapsed into it (close enough at a distance).
"""

from __future__ import annotations

import fast_simplification
import numpy as np
import trimesh

from srichan_world.scene.model import Landmark

LOD_MIN_TRIANGLES = 4_000
"""A model with fewer triangles than this costs too little to be worth a second copy."""
FAR_SHARE = 0.25
"""The far copy keeps about this share of the triangles."""
LOD_EXTRAS_KEY = "srichan_lod"
"""The node extras naming a level: ``{"of": landmark id, "level": 0 | 1, "far_m": metres}``."""


def far_from(lm: Landmark) -> float:
    """Metres from which the far copy is drawn: six times the landmark's largest side, so it
    is small on screen by then, and never nearer than 80 m."""
    return max(80.0, 6.0 * max(lm.width, lm.depth, lm.height))


def far_copy(
    meshes: tuple[tuple[str, trimesh.Trimesh], ...],
) -> tuple[tuple[str, trimesh.Trimesh], ...]:
    """The meshes simplified to about :data:`FAR_SHARE` of their triangles, materials kept;
    ``()`` when the model is too light to need one."""
    if sum(len(m.faces) for _, m in meshes) < LOD_MIN_TRIANGLES:
        return ()
    return tuple((name, _simplified(mesh)) for name, mesh in meshes)


def _simplified(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    points = np.asarray(mesh.vertices, dtype=np.float32)
    faces = np.asarray(mesh.faces, dtype=np.int32)
    _, _, collapses = fast_simplification.simplify(
        points, faces, target_reduction=1.0 - FAR_SHARE, return_collapses=True
    )
    far_points, far_faces, mapping = fast_simplification.replay_simplification(
        points, faces, collapses
    )
    far = trimesh.Trimesh(far_points, far_faces, process=False, validate=False)
    visual = mesh.visual
    uv = getattr(visual, "uv", None)
    material = getattr(visual, "material", None)
    if uv is not None and len(uv) == len(points):
        far_uv = np.zeros((len(far_points), 2), dtype=np.float64)
        far_uv[mapping] = np.asarray(uv)
        far.visual = trimesh.visual.TextureVisuals(uv=far_uv, material=material)
    elif material is not None:
        far.visual = trimesh.visual.TextureVisuals(material=material)
    return far
