"""Browser tests: Debian's chromium driven by Playwright's async API against the real app.

The real Sri Chan Road scene is compiled once per session; each test gets a fresh server (so
spawn order and presence start clean) on a loopback port. One browser serves the session;
every test opens its own contexts (separate storage, so separate visitors).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from server.app import create_app
from server.config import Settings
from server.connection_gate import listen
from server.runner import gate_of
from tools.bench.client import CHROMIUM_ARGS
from tools.cli import main as srichan

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("SRICHAN_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"no chromium at {CHROMIUM}")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def compiled_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real scenes/srichan.toml, built once by the same command people run."""
    out = tmp_path_factory.mktemp("scene")
    status = srichan(["scene", "build", str(ROOT / "scenes" / "srichan.toml"), "--out", str(out)])
    assert status == 0, "srichan scene build failed"
    return out


class Server:
    def __init__(self, runner: web.AppRunner, app: web.Application, port: int) -> None:
        self.runner = runner
        self.app = app
        self.url = f"http://127.0.0.1:{port}"


RESUME_WINDOW_S = 2.0
"""Short, so a closed tab's avatar leaves within the test (the default is 30 s)."""


@pytest_asyncio.fixture(loop_scope="session")
async def server(
    compiled_scene: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Server]:
    """The street as served; a test may change documented settings with an indirect
    parametrization (``@pytest.mark.parametrize("server", [{...}], indirect=True)``)."""
    settings = Settings(
        port=0,
        scene_dir=compiled_scene,
        store=f"sqlite:///{tmp_path}/test.db",
        resume_window_s=RESUME_WINDOW_S,
        **getattr(request, "param", {}),
    )
    app = create_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    # through the connection gate, as `srichan serve`: /ws on picows, the rest on aiohttp
    listener = await listen(runner, "127.0.0.1", 0, gate_of(app, settings))
    try:
        yield Server(runner, app, listener.sockets[0].getsockname()[1])
    finally:
        listener.close()
        await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


NewPage = Callable[..., Awaitable[Page]]
WELCOMED_JS = "try { localStorage.setItem('srichan.flag.welcomed', '1'); } catch {}"


@pytest_asyncio.fixture(loop_scope="session")
async def new_page(browser: Browser) -> AsyncIterator[NewPage]:
    """Open a page in a fresh context (a new visitor); page errors fail the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    async def open_page(url: str, device: dict | None = None, *, welcomed: bool = True) -> Page:
        """`welcomed=False` is a first visit: the welcome dialog shows; by default it is taken
        as seen already, so tests about other things start on the street."""
        context = await browser.new_context(**{"locale": "th-TH", **(device or DESKTOP)})
        if welcomed:
            await context.add_init_script(WELCOMED_JS)
        contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(url)
        return page

    yield open_page
    for context in contexts:
        await context.close()
    assert not errors, f"errors in the page: {errors}"


async def wait_welcomed(page: Page, timeout: float = 40_000) -> None:
    await page.wait_for_function(
        "window.srichan && window.srichan.state.me && window.srichan.conn.online",
        timeout=timeout,
    )


async def wait_first_frame(page: Page, timeout: float = 60_000) -> None:
    await page.wait_for_function("document.body.dataset.firstFrame", timeout=timeout)


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


UPDATE_DOCS = bool(os.environ.get("SRICHAN_UPDATE_SCREENSHOTS"))
"""Set SRICHAN_UPDATE_SCREENSHOTS=1 to refresh docs/screenshots/ from this run."""
DOCS_SHOTS = ROOT / "docs" / "screenshots"


def save_shot(name: str, png: bytes) -> None:
    """Keep a screenshot in test-artifacts/ (and in docs/screenshots/ when updating)."""
    artifact(name).write_bytes(png)
    if UPDATE_DOCS:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        (DOCS_SHOTS / name).write_bytes(png)


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


async def axe_violations(page: Page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]
