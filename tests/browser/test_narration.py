"""Narration: a speaker button reads landmarks, questions, choices and explanations aloud in
Thai where the device has a Thai voice, and is not there at all where it has none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, NewPage, Server, wait_welcomed

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# A device with one Thai voice; what it is asked to say is kept in window.spoken.
THAI_VOICE_JS = """
window.spoken = [];
const voices = [{ lang: 'th-TH', name: 'Thai', voiceURI: 'th', default: true, localService: true }];
Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: {
  getVoices: () => voices, cancel: () => {}, addEventListener: () => {},
  speak: (u) => window.spoken.push({ text: u.text, lang: u.lang }),
} });
window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
"""


async def test_a_thai_voice_reads_landmarks_and_questions(
    server: Server, new_page: NewPage, compiled_scene: Path
) -> None:
    page = await new_page("about:blank", PHONE)
    await page.context.add_init_script(THAI_VOICE_JS)
    await page.goto(f"{server.url}/?mode=list")
    await wait_welcomed(page)
    gate = page.locator("[data-landmark=city-gate]")
    await gate.locator(".speak-btn").tap()
    said = await page.evaluate("window.spoken.at(-1)")
    assert said["lang"] == "th-TH"
    assert said["text"].startswith("ประตูเมือง") and "ซุ้มประตู" in said["text"]

    quiz = "q-gate-gnlc-date"
    answers = json.loads((compiled_scene / "srichan.answers.json").read_text(encoding="utf-8"))
    wrong = (answers["quiz_points"][quiz]["correct"] + 1) % 3
    await page.locator(f"[data-quiz={quiz}] button").tap()
    dialog = page.locator("#quiz-dialog")
    await dialog.locator(".quiz-form").wait_for(timeout=20_000)
    await dialog.locator(".speak-btn").tap()
    said = (await page.evaluate("window.spoken.at(-1)"))["text"]
    assert "ยูเนสโก" in said and "1. " in said and "2. " in said  # question, then choices
    await dialog.locator(f"label[for=choice-{wrong}]").tap()
    await dialog.locator("[data-key=quiz-answer]").tap()
    await dialog.locator(".quiz-result").wait_for(timeout=10_000)
    await dialog.locator(".speak-btn").tap()
    said = (await page.evaluate("window.spoken.at(-1)"))["text"]
    assert said.startswith("ยังไม่ถูก") and "คำตอบของคุณ" in said


async def test_no_voice_no_speaker_button(server: Server, new_page: NewPage) -> None:
    page = await new_page("about:blank", PHONE)
    await page.context.add_init_script(
        "Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: {"
        " getVoices: () => [], cancel() {}, speak() {}, addEventListener() {} } });"
    )
    await page.goto(f"{server.url}/?mode=list")
    await wait_welcomed(page)
    await page.locator("[data-landmark=city-gate]").wait_for()
    assert await page.locator(".speak-btn").count() > 0
    assert await page.locator(".speak-btn:visible").count() == 0
