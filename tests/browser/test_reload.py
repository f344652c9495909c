"""Live reload in the browser: an author edits the scene file while visitors look at the
street; the 3D view and the list mode swap to the new street on the same connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from server.app import create_app
from server.config import Settings
from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    NewPage,
    Server,
    save_shot,
    wait_first_frame,
    wait_welcomed,
)
from tools.bench.reload import copy_street
from tools.serve_cmd import first_build

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

KEEP_WATCH = """
window.__socket = window.srichan.conn.socket;
window.__welcomes = 0;
window.srichan.state.addEventListener("change", (e) => {
  if (e.detail.what === "welcome") window.__welcomes += 1;
});
"""


@pytest_asyncio.fixture(loop_scope="session")
async def watched(tmp_path: Path) -> AsyncIterator[tuple[Server, Path]]:
    """The real street served with ``--watch`` on a copy of its scene file."""
    scene = copy_street(tmp_path)
    settings = Settings(
        port=0,
        scene_dir=tmp_path / "build",
        store=f"sqlite:///{tmp_path}/test.db",
        watch=scene,
        watch_interval_s=0.1,
    )
    assert first_build(settings)
    app = create_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Server(runner, app, runner.addresses[0][1]), scene
    finally:
        await runner.cleanup()


async def test_the_street_is_swapped_without_reconnecting(
    watched: tuple[Server, Path], new_page: NewPage
) -> None:
    server, scene = watched
    desktop = await new_page(f"{server.url}/?quality=high", DESKTOP)
    phone = await new_page(f"{server.url}/?quality=low", PHONE)
    listed = await new_page(f"{server.url}/?mode=list", PHONE)
    for page in (desktop, phone):
        await wait_first_frame(page)
    await listed.wait_for_selector("[data-landmark=city-gate]")
    for page in (desktop, phone, listed):
        await wait_welcomed(page)
        await page.evaluate(KEEP_WATCH)
    before = [await p.screenshot() for p in (desktop, phone)]
    old_hash = await desktop.evaluate("window.srichan.state.manifest.content_hash")

    text = scene.read_text(encoding="utf-8")
    gate = 'name = { th = "ประตูเมือง", en = "City Gate" }'
    renamed = 'name = { th = "ซุ้มประตูเมืองขอนแก่น", en = "Khon Kaen City Arch" }'
    colours = 'colors = { primary = "#b3261e", secondary = "#e0b646", roof = "#6b1d1d" }'
    blue = 'colors = { primary = "#1565c0", secondary = "#ffffff", roof = "#0d47a1" }'
    assert gate in text and colours in text
    scene.write_text(text.replace(gate, renamed, 1).replace(colours, blue, 1), encoding="utf-8")

    for page in (desktop, phone, listed):
        await page.wait_for_function(
            f"document.body.dataset.scene && document.body.dataset.scene !== '{old_hash}'",
            timeout=90_000,
        )
        told = await page.evaluate(
            "document.getElementById('toasts').textContent + document.getElementById('live')"
            ".textContent"
        )
        assert "ถนนได้รับการปรับปรุงแล้ว" in told, "the visitor is told, on screen and aloud"
        kept = await page.evaluate(
            "window.srichan.conn.socket === window.__socket && window.__welcomes === 0"
        )
        assert kept, "the same WebSocket, no new welcome"
        name = await page.evaluate("window.srichan.state.landmarkIndex.get('city-gate').name.th")
        assert name == "ซุ้มประตูเมืองขอนแก่น"
    for page in (desktop, phone):
        drawn = await page.evaluate(
            """() => {
              const s = window.srichan.street;
              const ext = s.scene.children.filter((c) => c.name === "world-extension").length;
              return [s.manifest.content_hash, ext, s.quizMarkers.size,
                      s.manifest.quiz_points.length, s.scene.children.includes(s.street)];
            }"""
        )
        new_hash, extensions, markers, quizzes, attached = drawn
        assert new_hash != old_hash and extensions == 1 and markers == quizzes and attached
    heading = await listed.locator("#lm-city-gate").inner_text()
    assert "ซุ้มประตูเมืองขอนแก่น" in heading

    await desktop.wait_for_timeout(600)
    after = [await p.screenshot() for p in (desktop, phone)]
    for shot, old, new in zip(("desktop", "phone"), before, after, strict=True):
        assert old != new, f"the {shot} view shows the new street"
        save_shot(f"reload-{shot}-before.png", old)
        save_shot(f"reload-{shot}-after.png", new)
    save_shot("reload-list-phone.png", await listed.screenshot(full_page=False))
