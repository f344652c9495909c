"""Shared fixtures: paths to the scene data every layer of the tests builds on."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def small_scene_text() -> str:
    return (DATA / "small.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def srichan_scene_text() -> str:
    return (ROOT / "scenes" / "srichan.toml").read_text(encoding="utf-8")


@pytest.fixture(params=("picows", "aiohttp"))
def ws_transport(request: pytest.FixtureRequest) -> str:
    """Each WebSocket transport (``--ws-transport``): a test using this runs on both."""
    return str(request.param)
