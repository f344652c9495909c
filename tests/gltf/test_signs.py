"""Thai name signs: one atlas cell per landmark with its Thai and English name, one unlit
textured mesh, in both GLBs."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from srichan_world.gltf.compile import BuildResult
from srichan_world.gltf.glb import read_glb
from srichan_world.gltf.signs import BOARD, CELL, Layout, signs
from srichan_world.scene.model import Scene, Text


def test_one_cell_per_landmark_with_thai_and_english_ink(srichan_scene: Scene) -> None:
    boards = signs(srichan_scene.landmarks)
    assert boards is not None
    image = Image.open(io.BytesIO(boards.atlas)).convert("RGB")
    w, h = CELL
    assert image.size == (w, 8 * h), "7 landmarks, a power-of-two atlas"
    pixels = np.asarray(image).astype(int)
    board = np.array(BOARD)
    for row in range(len(srichan_scene.landmarks)):
        cell = pixels[row * h + 12 : (row + 1) * h - 12, 12 : w - 12]
        ink = np.abs(cell - board).sum(axis=2) > 200
        top, bottom = ink[: h // 2 + 6].mean(), ink[h // 2 + 16 :].mean()
        assert top > 0.04 and bottom > 0.02, f"row {row}: Thai {top:.3f}, English {bottom:.3f}"
    empty = pixels[7 * h + 12 : 8 * h - 12]
    assert (np.abs(empty - board).sum(axis=2) < 30).all()


def test_the_atlas_is_deterministic(srichan_scene: Scene) -> None:
    a, b = signs(srichan_scene.landmarks), signs(srichan_scene.landmarks)
    assert a is not None and b is not None and a.atlas == b.atlas


def test_each_board_samples_its_own_cell(srichan_scene: Scene) -> None:
    boards = signs(srichan_scene.landmarks)
    assert boards is not None
    # the gate has a sign on both faces of its arch, every other landmark one
    assert len(boards.vertices) == 4 * (len(srichan_scene.landmarks) + 1)
    rows = {round(float(v) * 8, 3) for v in boards.uv[:, 1]}
    assert rows == set(range(8)) - {8}  # v edges 0/8 … 7/8
    for quad in boards.vertices.reshape(-1, 4, 3):
        assert quad[:, 1].min() > 1.0 and np.ptp(quad[:, 1]) > 0.5, "upright, above head height"


@pytest.mark.parametrize("which", ["glb", "fallback"])
def test_signs_are_one_unlit_textured_draw(
    srichan_scene: Scene, srichan_build: BuildResult, which: str
) -> None:
    doc, binary = read_glb(getattr(srichan_build, which))
    (sign,) = [m for m in doc["materials"] if m["name"] == "sign"]
    assert "KHR_materials_unlit" in sign["extensions"]
    assert "KHR_materials_unlit" in doc["extensionsUsed"]
    index = next(i for i, m in enumerate(doc["materials"]) if m["name"] == "sign")
    prims = [p for m in doc["meshes"] for p in m["primitives"] if p["material"] == index]
    assert len(prims) == 1
    (image,) = doc["images"]
    view = doc["bufferViews"][image["bufferView"]]
    assert image["mimeType"] == "image/png"
    if which == "fallback":  # the lean GLB's buffers are meshopt-compressed
        boards = signs(srichan_scene.landmarks)
        assert boards is not None
        start = view.get("byteOffset", 0)
        png = binary[start : start + view["byteLength"]]
        assert png[: len(boards.atlas)] == boards.atlas, "our 4-bit palette PNG, not a re-encode"


def test_long_streets_share_cells_and_stay_within_one_4096_atlas(srichan_scene: Scene) -> None:
    lm = srichan_scene.landmarks[1]
    repeated = tuple(dataclasses.replace(lm, id=f"x-{i}") for i in range(50))
    assert Layout.of(repeated).size == (CELL[0], CELL[1]), "one name, one cell"
    many = tuple(
        dataclasses.replace(lm, id=f"x-{i}", name=Text(f"ศาล {i}", f"Shrine {i}"))
        for i in range(300)
    )
    layout = Layout.of(many)
    assert max(layout.size) <= 4096 and layout.cell == (256, 64)
    assert len(set(layout.cells.values())) == 300
