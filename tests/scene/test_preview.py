"""The author preview: every item findable by id on the plan, ids legible, and the served page
with its 3D view."""

from __future__ import annotations

import re
import threading
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

from srichan_world.scene.load import load_scene_text
from srichan_world.scene.model import Scene
from srichan_world.scene.preview import preview_svg
from srichan_world.scene.preview_page import preview_html

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"


def srichan() -> Scene:
    return load_scene_text((ROOT / "scenes" / "srichan.toml").read_text(encoding="utf-8"))


def test_every_item_is_a_group_with_its_id_written_on_the_plan() -> None:
    scene = srichan()
    root = ElementTree.fromstring(preview_svg(scene).encode())
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("data-id")}
    for section, items in (
        ("landmarks", scene.landmarks),
        ("quiz_points", scene.quiz_points),
        ("booth_slots", scene.booth_slots),
        ("spawn_points", scene.spawn_points),
    ):
        for item in items:
            group = groups[f"{section}/{item.id}"]
            labels = [t for t in group.iter(f"{SVG}text") if t.get("class") == "id"]
            assert [t.text for t in labels] == [item.id]
            # legible when zoomed, and inside its own item so that ids never overlap
            size = float(labels[0].get("font-size"))
            assert size >= 0.5
            if section == "booth_slots":
                assert size * 0.62 * len(item.id) <= min(item.width, item.depth)
            if section == "quiz_points":
                assert size * 0.62 * len(item.id) <= 2 * item.radius
    quiz = groups[f"quiz_points/{scene.quiz_points[0].id}"]
    (circle, _) = quiz.iter(f"{SVG}circle")
    assert float(circle.get("r")) == scene.quiz_points[0].radius


def test_the_page_lists_every_id_for_search() -> None:
    scene = srichan()
    page = preview_html(scene)
    options = re.findall(r'<option value="([^"]+)">', page)
    assert len(options) == (
        len(scene.landmarks)
        + len(scene.quiz_points)
        + len(scene.booth_slots)
        + len(scene.spawn_points)
    )
    assert "const HAS_3D = false;" in page and "<svg" in page and "<?xml" not in page


def test_served_preview_has_the_plan_the_street_and_three(tmp_path: Path) -> None:
    from tools.scene_cmd import preview_server

    path = ROOT / "scenes" / "srichan.toml"
    server = preview_server(path, load_scene_text(path.read_text(encoding="utf-8"), path.parent))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"

        def get(route: str) -> bytes:
            with urllib.request.urlopen(base + route, timeout=10) as reply:
                return reply.read()

        assert b"const HAS_3D = true;" in get("/")
        assert get("/street.glb")[:4] == b"glTF"
        assert b"setMeshoptDecoder" in get("/viewer.js")
        assert b"MeshoptDecoder" in get("/vendor/three/examples/jsm/libs/meshopt_decoder.module.js")
        try:
            get("/vendor/three/../../package.json")
            raise AssertionError("escaped node_modules/three")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    finally:
        server.shutdown()
        server.server_close()
