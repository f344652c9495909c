"""One Thai glossary (srichan_world/scene/glossary.py, in the browser through protocol.js) for
the interface's terms: the interface strings and the scene's text (everything a visitor reads:
names, descriptions, questions, choices, explanations, quest titles) use its spelling, never
one it avoids. `scene check` holds scene files to it too (tests/scene/test_glossary.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import NewPage, Server

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

CHECK_JS = """async (texts) => {
  const { glossaryProblems } = await import('/static/js/glossary.js');
  const { interfaceStrings } = await import('/static/js/i18n.js');
  const scene = texts.flatMap(([where, text]) =>
    glossaryProblems(text).map((p) => ({ where, ...p })));
  const ui = interfaceStrings().flatMap((text) =>
    glossaryProblems(text).map((p) => ({ where: 'interface: ' + text, ...p })));
  return { scene, ui };
}"""


def strings(value: Any, where: str = "") -> list[tuple[str, str]]:
    """Every string inside a JSON value, with where it was found."""
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in strings(v, f"{where}[{i}]")]
    return []


async def test_scene_and_interface_follow_the_glossary(
    server: Server, new_page: NewPage, compiled_scene: Path
) -> None:
    manifest = json.loads((compiled_scene / "srichan.manifest.json").read_text(encoding="utf-8"))
    answers = json.loads((compiled_scene / "srichan.answers.json").read_text(encoding="utf-8"))
    texts = strings(manifest, "manifest") + strings(answers, "answers")
    page = await new_page(f"{server.url}/?mode=list")
    found = await page.evaluate(CHECK_JS, texts)
    assert found["scene"] == [], found["scene"]
    assert found["ui"] == [], found["ui"]


async def test_the_glossary_check_finds_an_avoided_spelling(
    server: Server, new_page: NewPage
) -> None:
    page = await new_page(f"{server.url}/?mode=list")
    found = await page.evaluate(CHECK_JS, [["planted", "สะสมโทเคนแลกโปรโมชั่น"]])
    assert {(p["found"], p["use"]) for p in found["scene"]} == {
        ("โทเคน", "โทเค็น"),
        ("โปรโมชั่น", "โปรโมชัน"),
    }
