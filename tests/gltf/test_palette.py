"""Materials: author colours exact (decoded to linear), builder colours share an author's
material only when they look alike, glass always blended and never shared."""

from __future__ import annotations

import pytest

from srichan_world.gltf.palette import BUILDER_MATERIALS, Material, Palette
from srichan_world.scene.model import Colors


def test_srgb_is_decoded_to_linear() -> None:
    white, grey, black = (
        Material(n, c).to_gltf() for n, c in (("w", "#ffffff"), ("g", "#808080"), ("b", "#000000"))
    )
    assert white["pbrMetallicRoughness"]["baseColorFactor"] == [1.0, 1.0, 1.0, 1.0]
    assert grey["pbrMetallicRoughness"]["baseColorFactor"][:3] == [0.21586] * 3
    assert black["pbrMetallicRoughness"]["baseColorFactor"][:3] == [0.0] * 3
    assert "alphaMode" not in white


def test_author_colours_are_deduplicated_and_exact() -> None:
    a = Colors("#B3261E", "#e0b646", "#6b1d1d")
    b = Colors("#b3261e", "#123456", "#6b1d1d")
    palette = Palette([a, b])
    assert palette.pick("primary", a) is palette.pick("primary", b)
    assert palette.pick("primary", a).name == "color-b3261e"
    assert palette.pick("secondary", b).color == "#123456"


def test_builder_colour_snaps_to_a_lookalike_author_colour_only() -> None:
    asphalt = BUILDER_MATERIALS["asphalt"]
    near = Colors("#3b3b3b", "#ff00ff", "#00ffff")  # a dark grey roof, ΔE ≈ 6 from asphalt
    far = Colors("#ff00ff", "#00ffff", "#ffff00")
    assert Palette([near]).pick("asphalt").name == "color-3b3b3b"
    assert Palette([far]).pick("asphalt") == asphalt
    assert Palette([]).pick("asphalt") == asphalt


def test_glass_is_blended_and_never_snaps() -> None:
    glass = Palette([Colors("#9cc7e0", "#9cc7e0", "#9cc7e0")]).pick("glass")
    assert glass.name == "glass" and glass.blend
    assert glass.to_gltf()["alphaMode"] == "BLEND"


def test_unknown_role_and_missing_colours_are_errors() -> None:
    palette = Palette([])
    with pytest.raises(ValueError, match="unknown material role 'chrome'"):
        palette.pick("chrome")
    with pytest.raises(ValueError, match="needs the landmark's colors"):
        palette.pick("roof")
