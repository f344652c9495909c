"""Name signs: every landmark carries a board with its Thai and English name, so the street
reads as Khon Kaen.

The names are rendered at build time with Pillow (libraqm shapes the Thai: stacked vowels and
tone marks) into one texture atlas, one cell per landmark; the boards are quads whose UVs pick
their cell, merged into one mesh with one unlit textured material (one draw call for all signs,
readable in any light). A building's sign stands on two posts in front of it, facing the road;
the gate's sign fills the plaque on both faces of its arch.

The font is the first of :data:`FONTS` found (fonts-thai-tlwg's Garuda is what
``tools/setup.sh`` installs); the same font and names give the same atlas bytes.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

from srichan_world.gltf.landmarks import frame
from srichan_world.gltf.solids import Solid, box, rotation_y
from srichan_world.scene.model import Landmark

CELL = (512, 128)
"""Pixels per sign in the atlas: a 4:1 board."""
MAX_ATLAS = 4096
"""Longest side of the atlas (every WebGL device takes 4096)."""
MARGIN = 18
BOARD = (0x1E, 0x5B, 0x3A)
"""Thai municipal green; white letters."""
INK = (0xFF, 0xFF, 0xFF)
GOLD = (0xE0, 0xB6, 0x46)
"""Border of the highlighted landmark's sign."""
POST_HEIGHT = 1.6
STANDOFF = 0.1
"""Gap between a sign's face and the board behind it: more than two steps of the lean GLB's
position grid (gltfpack's 14-bit quantisation: ~4 cm on a 600 m street), so they never z-fight."""
FONTS = (
    os.environ.get("SRICHAN_SIGN_FONT", ""),
    "/usr/share/fonts/truetype/noto/NotoSansThai-Bold.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansThai-Bold.ttf",
    "/usr/share/fonts/truetype/tlwg/Garuda-Bold.ttf",
    "/usr/share/fonts/truetype/tlwg/Loma-Bold.ttf",
)


class SignError(RuntimeError):
    """No Thai font is installed, or Pillow cannot shape Thai."""


@dataclass(frozen=True)
class Signs:
    """All boards of a street: ``posts`` as ``(role, Solid)`` parts, ``faces`` the textured quads
    (``vertices (n, 3)``, ``faces (m, 3)``, ``uv (n, 2)`` in glTF's top-left convention) and the
    ``atlas`` PNG they sample."""

    posts: list[tuple[str, Solid]]
    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    atlas: bytes


def signs(landmarks: tuple[Landmark, ...]) -> Signs | None:
    """The signs of ``landmarks`` (``None`` when there are none)."""
    if not landmarks:
        return None
    layout = Layout.of(landmarks)
    posts: list[tuple[str, Solid]] = []
    quads: list[tuple[np.ndarray, np.ndarray]] = []
    for lm in landmarks:
        cell_uv = layout.uv(_key(lm))
        place = frame(lm)
        for local, width in _boards(lm):
            m = place @ local
            corners = np.array(
                [
                    [-width / 2, -width / 8, 0],
                    [width / 2, -width / 8, 0],
                    [width / 2, width / 8, 0],
                    [-width / 2, width / 8, 0],
                ]
            )
            quads.append((corners @ m[:3, :3].T + m[:3, 3], cell_uv))
        if lm.kind != "gate":
            posts += [(role, solid.moved(place)) for role, solid in _posts(lm)]
    vertices = np.concatenate([q for q, _ in quads])
    uv = np.concatenate([u for _, u in quads])
    base = np.arange(len(quads))[:, None] * 4
    faces = np.concatenate([base + np.array([0, 1, 2]), base + np.array([0, 2, 3])])
    return Signs(posts, vertices, faces.astype(np.int64), uv, atlas(layout))


SignKey = tuple[str, str, bool]


def _key(lm: Landmark) -> SignKey:
    """Landmarks with the same names (and highlight) share one cell of the atlas."""
    return (lm.name.th, lm.name.en, lm.highlight)


def _pow2(n: float) -> int:
    return 1 << max(0, math.ceil(math.log2(max(n, 1))))


@dataclass(frozen=True)
class Layout:
    """Where each distinct sign sits in the atlas: a grid of power-of-two size, at most
    ``MAX_ATLAS`` pixels a side (cells shrink by halves when there are very many signs)."""

    cells: dict[SignKey, tuple[int, int]]
    """``(column, row)`` of each sign."""
    cell: tuple[int, int]
    size: tuple[int, int]

    @classmethod
    def of(cls, landmarks: tuple[Landmark, ...]) -> Layout:
        keys = list(dict.fromkeys(_key(lm) for lm in landmarks))
        shrink = 1
        while len(keys) > (MAX_ATLAS // (CELL[0] // shrink)) * (MAX_ATLAS // (CELL[1] // shrink)):
            shrink *= 2
            if CELL[1] // shrink < 16:
                raise SignError(f"{len(keys)} distinct signs do not fit one atlas")
        cell = (CELL[0] // shrink, CELL[1] // shrink)
        # roughly square: cells are 4:1, so about half as many columns as rows
        cols = min(MAX_ATLAS // cell[0], _pow2(math.sqrt(len(keys)) / 2))
        if len(keys) <= 8:
            cols = 1
        rows = _pow2(math.ceil(len(keys) / cols))
        cells = {key: (i % cols, i // cols) for i, key in enumerate(keys)}
        return cls(cells, cell, (cols * cell[0], rows * cell[1]))

    def uv(self, key: SignKey) -> np.ndarray:
        """The cell's corners (bottom-left, bottom-right, top-right, top-left) in glTF UVs."""
        col, row = self.cells[key]
        (cw, ch), (w, h) = self.cell, self.size
        u0, u1 = col * cw / w, (col + 1) * cw / w
        v_top, v_bottom = row * ch / h, (row + 1) * ch / h
        return np.array([[u0, v_bottom], [u1, v_bottom], [u1, v_top], [u0, v_top]])


def _front_board(lm: Landmark) -> tuple[float, float, float, float]:
    """``(x, centre y, z, width)`` of a building's board in its frame."""
    width = min(8.0, max(4.0, 0.4 * lm.width))
    x = -(lm.width / 2 - width / 2 - 0.5) if lm.width > width + 1.0 else 0.0
    return x, POST_HEIGHT + width / 8, lm.depth / 2 + 1.5, width


def _boards(lm: Landmark) -> list[tuple[np.ndarray, float]]:
    """``(4, 4)`` placement (board centre, facing +Z) and width of each face of the sign."""
    if lm.kind == "gate":
        # The plaque of landmarks.gate: span * 0.28 wide, 0.1 h tall, on both faces of the arch.
        h, span, post = lm.height, lm.width, lm.depth
        width = min(span * 0.28 - 0.2, 4 * (0.1 * h - 0.1))
        y = 0.48 * h + 0.12 * h + 0.05 * h
        out = []
        for turn in (0.0, 180.0):
            m = rotation_y(90.0) @ rotation_y(turn)
            m[:3, 3] = rotation_y(90.0)[:3, :3] @ [0.0, y, 0.0]
            local = np.eye(4)
            local[:3, 3] = (0.0, 0.0, (post + 0.2) / 2 + STANDOFF)
            out.append((m @ local, width))
        return out
    x, y, z, width = _front_board(lm)
    m = np.eye(4)
    m[:3, 3] = (x, y, z)
    return [(m, width)]


def _posts(lm: Landmark) -> list[tuple[str, Solid]]:
    x, y, z, width = _front_board(lm)
    top = y + width / 8
    back = z - STANDOFF - 0.03
    backing = box((width + 0.16, width / 4 + 0.16, 0.06), (x, y - width / 8 - 0.08, back))
    legs = [
        box((0.12, top, 0.12), (x + dx, 0.0, back - 0.09))
        for dx in (-width / 2 + 0.3, width / 2 - 0.3)
    ]
    return [("metal", backing), *(("metal", leg) for leg in legs)]


@cache
def font_path() -> str:
    for path in FONTS:
        if path and Path(path).is_file():
            return path
    raise SignError("no Thai font found: install fonts-thai-tlwg (tools/setup.sh does)")


def _font(size: int) -> ImageFont.FreeTypeFont:
    if not features.check("raqm"):
        raise SignError("Pillow lacks libraqm: Thai marks would not stack (install libraqm0)")
    return ImageFont.truetype(font_path(), size, layout_engine=ImageFont.Layout.RAQM)


def _fitted(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> ImageFont.FreeTypeFont:
    """The largest font no bigger than ``size`` in which ``text`` fits ``width`` pixels."""
    while size > 8:
        font = _font(size)
        left, _, right, _ = draw.textbbox((0, 0), text, font=font)
        if right - left <= width:
            return font
        size -= 2
    return _font(8)


def atlas(layout: Layout) -> bytes:
    """The atlas PNG: each distinct sign drawn once in its cell, Thai above English."""
    image = Image.new("RGB", layout.size, BOARD)
    for (th, en, highlight), (col, row) in layout.cells.items():
        cell = _cell(th, en, highlight)
        if cell.size != layout.cell:
            cell = cell.resize(layout.cell, Image.Resampling.LANCZOS)
        image.paste(cell, (col * layout.cell[0], row * layout.cell[1]))
    out = io.BytesIO()
    # 16 grey-green levels are plenty for anti-aliased white on green: a 4-bit palette PNG.
    image = image.quantize(colors=16, dither=Image.Dither.NONE)
    image.save(out, format="PNG", optimize=True, bits=4)
    return out.getvalue()


def _cell(th: str, en: str, highlight: bool) -> Image.Image:
    w, h = CELL
    image = Image.new("RGB", CELL, BOARD)
    draw = ImageDraw.Draw(image)
    inner = w - 2 * MARGIN
    draw.rectangle((4, 4, w - 5, h - 5), outline=GOLD if highlight else INK, width=4)
    # Baselines leave room for Thai marks above (ตึ, เจ้า) and below (ฎ, ุ) the line.
    thai = _fitted(draw, th, 46, inner)
    english = _fitted(draw, en, 26, inner)
    draw.text((w / 2, 70), th, font=thai, fill=INK, anchor="ms")
    draw.text((w / 2, h - 20), en, font=english, fill=INK, anchor="ms")
    return image
