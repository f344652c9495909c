"""Flat PBR materials: the author's colours, plus the few the builder adds (road, trees, …).

Every material is one draw call on a phone, so the palette is kept small: author colours are
used exactly (deduplicated), and each colour the *builder* picks for itself (asphalt, lamp
metal, …) is replaced by the nearest author colour when the two look alike (CIE76 ΔE ≤
``SNAP_DELTA_E``). Glass never snaps: it is the one blended material.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from srichan_world.scene.model import Colors

SNAP_DELTA_E = 10.0
"""How far a builder colour may move to share an author's material (ΔE 2.3 is barely visible)."""

AUTHOR_ROLES = ("primary", "secondary", "roof")


@dataclass(frozen=True)
class Material:
    """A flat material; ``color`` is sRGB ``#rrggbb`` as an author writes it."""

    name: str
    color: str
    alpha: float = 1.0
    roughness: float = 0.8

    @property
    def blend(self) -> bool:
        return self.alpha < 1.0

    @property
    def rgba8(self) -> tuple[int, int, int, int]:
        r, g, b = (round(c * 255) for c in _rgb(self.color))
        return (r, g, b, round(self.alpha * 255))

    def to_gltf(self) -> dict[str, object]:
        """The glTF material; glTF colour factors are linear, so sRGB is decoded here."""
        rgb = [round(_linear(c), 5) for c in _rgb(self.color)]
        out: dict[str, object] = {
            "name": self.name,
            "pbrMetallicRoughness": {
                "baseColorFactor": [*rgb, round(self.alpha, 3)],
                "metallicFactor": 0.0,
                "roughnessFactor": self.roughness,
            },
        }
        if self.blend:
            out["alphaMode"] = "BLEND"
        return out


BUILDER_MATERIALS: dict[str, Material] = {
    m.name: m
    for m in (
        Material("asphalt", "#45474b", roughness=0.95),
        Material("paving", "#c9c2b4"),
        Material("ground", "#93ad6c", roughness=1.0),
        Material("paint", "#f4f3ee", roughness=0.7),
        Material("paint-yellow", "#e8b931", roughness=0.7),
        Material("metal", "#5d636b", roughness=0.6),
        Material("bark", "#6b4a32", roughness=0.9),
        Material("foliage", "#4e8a3e", roughness=0.9),
        Material("glass", "#9cc7e0", alpha=0.45, roughness=0.15),
    )
}


class Palette:
    """Maps a part's role (``"primary"``, ``"glass"``, …) to a :class:`Material`."""

    def __init__(self, author_colors: Iterable[Colors]) -> None:
        seen: dict[str, Material] = {}
        for colors in author_colors:
            for role in AUTHOR_ROLES:
                hex_ = getattr(colors, role).lower()
                seen.setdefault(hex_, Material(f"color-{hex_[1:]}", hex_))
        self._authored = seen
        self._builder = {name: self._snap(m) for name, m in BUILDER_MATERIALS.items()}

    def _snap(self, material: Material) -> Material:
        if material.blend or not self._authored:
            return material
        lab = _lab(material.color)
        best = min(self._authored.values(), key=lambda m: _delta_e(lab, _lab(m.color)))
        return best if _delta_e(lab, _lab(best.color)) <= SNAP_DELTA_E else material

    def pick(self, role: str, colors: Colors | None = None) -> Material:
        """``role`` is an author role (needs ``colors``) or a builder material's name."""
        if role in AUTHOR_ROLES:
            if colors is None:
                raise ValueError(f"role {role!r} needs the landmark's colors")
            return self._authored[getattr(colors, role).lower()]
        try:
            return self._builder[role]
        except KeyError:
            raise ValueError(f"unknown material role {role!r}") from None


def _rgb(color: str) -> tuple[float, float, float]:
    return (int(color[1:3], 16) / 255, int(color[3:5], 16) / 255, int(color[5:7], 16) / 255)


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _lab(color: str) -> tuple[float, float, float]:
    r, g, b = (_linear(c) for c in _rgb(color))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x), f(y), f(z)
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))


def _delta_e(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    return math.dist(a, b)
