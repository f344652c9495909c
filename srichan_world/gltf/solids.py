"""Closed low-poly solids as plain arrays, and the rigid moves that place them.

The compiler merges thousands of small parts into one mesh per material, so a part is just
``vertices (n, 3) float`` and ``faces (m, 3) int`` with outward (counter-clockwise) winding:
no normals, no colours. The GLB carries no normals either; glTF viewers then shade flat, which
is the look we want and saves a third of the vertex bytes.

Every solid stands on ``y = 0`` (its base) unless said otherwise; ``at`` moves the base centre.
Axes are glTF's: Y up, X and Z on the ground.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely
import trimesh

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class Solid:
    """``vertices (n, 3) float64`` and ``faces (m, 3) int64``, wound counter-clockwise."""

    vertices: np.ndarray
    faces: np.ndarray

    def moved(self, matrix: np.ndarray) -> Solid:
        """Apply a ``(4, 4)`` rigid transform (rotation + translation, no mirroring)."""
        v = self.vertices @ matrix[:3, :3].T + matrix[:3, 3]
        return Solid(v, self.faces)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _placed(vertices: np.ndarray, faces: np.ndarray, scale: Sequence[float], at: Vec3) -> Solid:
    return Solid(vertices * np.asarray(scale, dtype=float) + np.asarray(at, dtype=float), faces)


@cache
def _unit_box() -> tuple[np.ndarray, np.ndarray]:
    mesh = trimesh.creation.box(extents=(1.0, 1.0, 1.0))
    v = np.array(mesh.vertices, dtype=float)
    v[:, 1] += 0.5
    return _frozen(v), _frozen(np.array(mesh.faces, dtype=np.int64))


# Z-up (trimesh's revolve axis) to Y-up: a proper rotation, so winding is kept.
_Z_TO_Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


@cache
def _unit_cylinder(sections: int) -> tuple[np.ndarray, np.ndarray]:
    mesh = trimesh.creation.cylinder(radius=1.0, height=1.0, sections=sections)
    v = np.array(mesh.vertices, dtype=float) @ _Z_TO_Y.T
    v[:, 1] += 0.5
    return _frozen(v), _frozen(np.array(mesh.faces, dtype=np.int64))


@cache
def _unit_cone(sections: int) -> tuple[np.ndarray, np.ndarray]:
    mesh = trimesh.creation.cone(radius=1.0, height=1.0, sections=sections)
    v = np.array(mesh.vertices, dtype=float) @ _Z_TO_Y.T
    return _frozen(v), _frozen(np.array(mesh.faces, dtype=np.int64))


@cache
def _unit_blob() -> tuple[np.ndarray, np.ndarray]:
    mesh = trimesh.creation.icosphere(subdivisions=0, radius=1.0)
    return (
        _frozen(np.array(mesh.vertices, dtype=float)),
        _frozen(np.array(mesh.faces, dtype=np.int64)),
    )


def box(size: Vec3, at: Vec3 = (0.0, 0.0, 0.0)) -> Solid:
    """Box of ``size = (x, y, z)`` metres, base centre at ``at``: 12 triangles."""
    v, f = _unit_box()
    return _placed(v, f, size, at)


def cylinder(radius: float, height: float, at: Vec3 = (0.0, 0.0, 0.0), sections: int = 8) -> Solid:
    """Upright prism with ``sections`` sides: ``4 * sections`` triangles."""
    v, f = _unit_cylinder(sections)
    return _placed(v, f, (radius, height, radius), at)


def cone(radius: float, height: float, at: Vec3 = (0.0, 0.0, 0.0), sections: int = 6) -> Solid:
    """Upright cone, base at ``at``: ``2 * sections`` triangles."""
    v, f = _unit_cone(sections)
    return _placed(v, f, (radius, height, radius), at)


def blob(radii: Vec3, at: Vec3) -> Solid:
    """Icosahedron stretched to ``radii``, centred at ``at``: 20 triangles (tree crowns)."""
    v, f = _unit_blob()
    return _placed(v, f, radii, at)


def _polyhedron(vertices: Sequence[Vec3], loops: Iterable[Sequence[int]]) -> Solid:
    """Fan-triangulate convex faces given as counter-clockwise vertex loops."""
    faces = [(loop[0], loop[i], loop[i + 1]) for loop in loops for i in range(1, len(loop) - 1)]
    return Solid(np.array(vertices, dtype=float), np.array(faces, dtype=np.int64))


def frustum(
    bottom: tuple[float, float], top: tuple[float, float], height: float, at: Vec3
) -> Solid:
    """Tapered box: ``bottom = (x, z)`` size at the base, ``top`` at ``height``: 12 triangles."""
    (bx, bz), (tx, tz) = bottom, top
    v = [
        (-bx / 2, 0.0, -bz / 2),
        (bx / 2, 0.0, -bz / 2),
        (bx / 2, 0.0, bz / 2),
        (-bx / 2, 0.0, bz / 2),
        (-tx / 2, height, -tz / 2),
        (tx / 2, height, -tz / 2),
        (tx / 2, height, tz / 2),
        (-tx / 2, height, tz / 2),
    ]
    loops = ((0, 1, 2, 3), (4, 7, 6, 5), (3, 2, 6, 7), (0, 4, 5, 1), (1, 5, 6, 2), (0, 3, 7, 4))
    solid = _polyhedron(v, loops)
    return Solid(solid.vertices + np.asarray(at, dtype=float), solid.faces)


def roof(
    size: tuple[float, float], height: float, ridge: float, at: Vec3, along_z: bool = False
) -> Solid:
    """Pitched roof over ``size = (x, z)``; the ridge runs along X (or Z) and is ``ridge`` long.

    ``ridge = 0`` gives a pyramid, ``ridge = length`` a gable (triangular prism), anything
    between a hip roof: 6–8 triangles.
    """
    length, span = (size[1], size[0]) if along_z else size
    r = min(max(ridge, 0.0), length) / 2
    base = [
        (-length / 2, 0.0, -span / 2),
        (length / 2, 0.0, -span / 2),
        (length / 2, 0.0, span / 2),
        (-length / 2, 0.0, span / 2),
    ]
    if r < 1e-6:
        solid = _polyhedron(
            [*base, (0.0, height, 0.0)],
            ((0, 1, 2, 3), (3, 2, 4), (2, 1, 4), (1, 0, 4), (0, 3, 4)),
        )
    else:
        solid = _polyhedron(
            [*base, (-r, height, 0.0), (r, height, 0.0)],
            ((0, 1, 2, 3), (3, 2, 5, 4), (1, 0, 4, 5), (2, 1, 5), (0, 3, 4)),
        )
    if along_z:
        solid = solid.moved(rotation_y(90.0))
    return Solid(solid.vertices + np.asarray(at, dtype=float), solid.faces)


def extruded(outline: Sequence[tuple[float, float]], depth: float, at: Vec3) -> Solid:
    """A flat outline drawn in the X–Y plane (facing +Z), given ``depth`` along Z, centred on
    ``at`` in Z. The outline may be concave (an arch); it is triangulated by earcut."""
    mesh = trimesh.creation.extrude_polygon(shapely.Polygon(outline), depth)
    v = np.array(mesh.vertices, dtype=float)
    v[:, 2] -= depth / 2
    return Solid(v + np.asarray(at, dtype=float), np.array(mesh.faces, dtype=np.int64))


def rotation_y(degrees: float) -> np.ndarray:
    """``(4, 4)`` rotation about +Y; heading ``h`` turns +X towards ``(cos h, 0, -sin h)``,
    the scene format's convention (counter-clockwise seen from above)."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    m = np.eye(4)
    m[0, 0], m[0, 2], m[2, 0], m[2, 2] = c, s, -s, c
    return m


def placement(x: float, z: float, degrees: float, y: float = 0.0) -> np.ndarray:
    """Rotate about +Y by ``degrees``, then move to ``(x, y, z)``."""
    m = rotation_y(degrees)
    m[:3, 3] = (x, y, z)
    return m


def merged(solids: Sequence[Solid]) -> Solid:
    """One solid from many (indices shifted); an empty list gives an empty solid."""
    if not solids:
        return Solid(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64))
    offsets = np.cumsum([0] + [len(s.vertices) for s in solids[:-1]])
    vertices = np.concatenate([s.vertices for s in solids])
    faces = np.concatenate([s.faces + o for s, o in zip(solids, offsets, strict=True)])
    return Solid(vertices, faces)
