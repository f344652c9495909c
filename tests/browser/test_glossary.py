"""One Thai glossary (srichan_world/scene/glossary.py, in the browser through protocol.js) for
the interface's terms: the interface strings and the scene's text (everything a visitor reads:
names, descriptions, questions, choices, explanations, quest titles) use its spelling, never
one it avoids. `scene check` holds scene files to it too (tests/scene/test_glossary.py)."""

from __future__ import annotations

import json
import re
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


WEB_JS = Path(__file__).resolve().parents[2] / "server" / "web" / "js"
THAI = re.compile(r"[\u0E00-\u0E7F]")
COMMENTS = re.compile(r"(?s:/\*.*?\*/)|^\s*//.*$|\s//\s.*$", re.MULTILINE)
KEYS = re.compile(r"""\bt\(\s*["'](\w+)["']|["'](dialogue[A-Z]\w*)["']""")
"""Keys a module names: `t("key")`, and the dialogue's keys also kept in tables (errors,
report reasons) before they reach `t`."""
OWN_WORDS = {
    "identity.js": "the default name, ผู้มาเยือน and Thai digits",
    "settings.js": "each language's name written in that language",
    "safety.js": "its own Thai and English table (TEXT), not moved yet",
}
"""Modules allowed Thai outside comments; every other module takes its words from i18n.js."""

KEYS_JS = """async (keys) => {
  // `t` gives back the key itself when it is missing: no Thai string is an ASCII key name.
  const { currentLang, setLang, t } = await import('/static/js/i18n.js');
  const was = currentLang();
  const words = {};
  for (const lang of ['th', 'en']) {
    setLang(lang);
    words[lang] = keys.map((key) => t(key));
  }
  setLang(was);
  return keys.filter((key, i) => words.th[i] === key || !words.th[i].trim() || !words.en[i].trim());
}"""


def thai_outside_i18n(source: str) -> list[str]:
    """Lines of a module, comments left out, that hold Thai (a string a visitor reads)."""
    code = COMMENTS.sub("", source)
    return [line.strip() for line in code.splitlines() if THAI.search(line)]


async def test_interface_strings_come_from_i18n(server: Server, new_page: NewPage) -> None:
    """Every key a client module asks i18n.js for is there in Thai and English, and no module
    but i18n.js (and the few in OWN_WORDS) writes Thai of its own, so the language switch
    reaches everything: the dialogue space included."""
    keys: set[str] = set()
    stray: dict[str, list[str]] = {}
    for path in sorted(WEB_JS.glob("*.js")):
        source = path.read_text(encoding="utf-8")
        keys.update(a or b for a, b in KEYS.findall(source))
        found = thai_outside_i18n(source)
        if found and path.name not in ("i18n.js", *OWN_WORDS):
            stray[path.name] = found
    assert stray == {}, f"Thai outside i18n.js: {stray}"
    assert {"dialogueTitle", "dialogueVote", "dialogueTooFar", "dialogueReportSpam"} <= keys
    page = await new_page(f"{server.url}/?mode=list")
    assert await page.evaluate(KEYS_JS, sorted(keys)) == []


async def test_the_check_finds_thai_and_skips_comments() -> None:
    """(async only for this module's asyncio mark)"""
    source = (
        '// สานเสวนา\n/** "ห่าง" */\nconst a = "ok"; // ปิด\nconst S = { close: ["ปิด", "Close"] };\n'
    )
    assert thai_outside_i18n(source) == ['const S = { close: ["ปิด", "Close"] };']
