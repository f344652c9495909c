"""The presence world's helpers: the walkable raster, name and chat rules, the token bucket."""

from __future__ import annotations

import random

import pytest

from srichan_world.scene.load import load_scene_text
from srichan_world.scene.manifest import Manifest, public_manifest
from srichan_world.world.names import Why, clean_chat, clean_name
from srichan_world.world.ratelimit import TokenBucket
from srichan_world.world.walkmap import WalkMap


@pytest.mark.parametrize("cell", [0.5, 2.0, 7.0])
def test_walkmap_agrees_with_the_exact_polygon_test(small_scene_text: str, cell: float) -> None:
    walkable = Manifest.parse(public_manifest(load_scene_text(small_scene_text))).walkable
    fast = WalkMap(walkable, cell)
    rng = random.Random(cell)
    points = [(rng.uniform(-10, 220), rng.uniform(-40, 60)) for _ in range(20000)]
    # and points hugging every edge, where the raster must defer to the exact test
    for poly in (walkable.corridor, *walkable.obstacles):
        for (ax, az), (bx, bz) in zip(poly, poly[1:] + poly[:1], strict=True):
            for _ in range(200):
                t = rng.random()
                points.append((ax + (bx - ax) * t + rng.gauss(0, 0.05), az + (bz - az) * t))
    wrong = [p for p in points if fast.contains(*p) != walkable.contains(p)]
    assert wrong == []
    assert sum(map(walkable.contains, points)) > len(points) // 3  # a real mix of both answers


def test_walkmap_of_the_real_street_rarely_needs_the_exact_test(srichan_scene_text: str) -> None:
    walk = WalkMap(Manifest.parse(public_manifest(load_scene_text(srichan_scene_text))).walkable)
    assert 0 < walk.edge_share < 0.1


def test_walkmap_needs_a_corridor() -> None:
    from srichan_world.scene.geometry import Walkable

    with pytest.raises(ValueError, match="corridor"):
        WalkMap(Walkable((), ()))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  สมศรี  ", "สมศรี"),
        ("Nok", "Nok"),
        ("ก" * 24, "ก" * 24),
        ("ก" * 25, None),
        ("", None),
        ("tab\tname", None),
        ("rtl\u202eoverride", None),
        ("e\u0301", "é"),  # NFC: two code points become one
    ],
)
def test_display_names(raw: str, clean: str | None) -> None:
    assert clean_name(raw) == clean


def test_chat_text() -> None:
    assert clean_chat(" ไปพิพิธภัณฑ์กันไหม ") == ("ไปพิพิธภัณฑ์กันไหม", None)
    assert clean_chat("ก" * 200)[0] == "ก" * 200
    assert clean_chat("ก" * 201) == (None, Why.TOO_LONG)
    assert clean_chat("\n") == (None, Why.INVISIBLE)
    assert clean_chat("line\nbreak") == (None, Why.CONTROL)


def test_token_bucket_spends_refills_and_caps() -> None:
    b = TokenBucket(rate=2.0, burst=3.0, now=0.0)
    assert [b.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert b.take(0.5)  # one token back after half a second
    assert not b.take(0.5)
    assert b.take(100.0) and b.take(100.0) and b.take(100.0) and not b.take(100.0)  # capped
    assert not b.take(100.0, cost=0.5)
    assert b.take(100.25, cost=0.5)
