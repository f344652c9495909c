"""Quizzes in the browser: step into a quiz point (3D) or choose it (list mode), answer, and
the tokens show up in the HUD."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Page

from tests.browser.conftest import (
    PHONE,
    NewPage,
    Server,
    save_shot,
    wait_first_frame,
    wait_welcomed,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

QUIZ = "q-gate-gnlc-date"  # 12 m from the first spawn point, at the City Gate


def quiz_facts(compiled_scene: Path, quiz_id: str) -> tuple[list[float], int, int]:
    """Position and reward from the public manifest; the correct choice from the server-only
    answers (a test may read them; the browser never gets them)."""
    manifest = json.loads((compiled_scene / "srichan.manifest.json").read_text(encoding="utf-8"))
    answers = json.loads((compiled_scene / "srichan.answers.json").read_text(encoding="utf-8"))
    quiz = next(q for q in manifest["quiz_points"] if q["id"] == quiz_id)
    return quiz["position"], quiz["reward"], answers["quiz_points"][quiz_id]["correct"]


async def hold_until(page: Page, key: str, condition: str, timeout: float = 60_000) -> None:
    """Hold a key until a condition on the page holds (frame rates vary, so no fixed times; on a
    loaded machine headless chromium may draw a few frames a second, hence the long limit)."""
    await page.keyboard.down(key)
    try:
        await page.wait_for_function(condition, timeout=timeout)
    finally:
        await page.keyboard.up(key)


async def answer_and_check(page: Page, choice: int, reward: int, shot: str) -> None:
    dialog = page.locator("#quiz-dialog")
    await dialog.locator("#quiz-title").wait_for(timeout=10_000)
    assert "ยูเนสโก" in await dialog.locator("#quiz-title").inner_text()  # Thai first
    await dialog.locator(f"label[for=choice-{choice}]").click()
    await dialog.locator("button[type=submit]").click()
    await dialog.locator(".quiz-result.correct").wait_for(timeout=10_000)
    await page.wait_for_timeout(1600)  # let the celebration finish for the picture
    save_shot(shot, await page.screenshot())
    assert f"+{reward}" in await dialog.locator(".earned-value").inner_text()
    assert await dialog.locator(".explanation").inner_text()
    await page.wait_for_function(
        f"document.getElementById('balance-value').textContent === '{reward}'", timeout=5000
    )
    await dialog.locator("[data-key=quiz-close]").click()
    assert not await dialog.is_visible()


async def test_quiz_in_3d_credits_tokens(
    server: Server, new_page: NewPage, compiled_scene: Path
) -> None:
    (qx, qz), reward, correct = quiz_facts(compiled_scene, QUIZ)
    page = await new_page(f"{server.url}/?quality=low")
    await wait_welcomed(page)
    await wait_first_frame(page)
    assert await page.evaluate("[srichan.local.x, srichan.local.z]") == [6, -3]
    await page.evaluate("document.activeElement.blur()")  # keys to the street
    # Walk along the road (+x), then step left (north, −z) into the glowing circle.
    # A new avatar faces the guide's next step: this question.
    await hold_until(page, "KeyW", f"srichan.local.x >= {qx - 0.5} || srichan.quiz.isOpen")
    await hold_until(page, "KeyA", f"srichan.local.z <= {qz + 1.5} || srichan.quiz.isOpen")
    await answer_and_check(page, correct, reward, "quiz-desktop.png")
    # The quest tracker counts the answered quiz as a step of "Learning City 101".
    await page.wait_for_function(
        "srichan.state.quests.get('learning-city-101')?.done >= 1", timeout=5000
    )


async def test_quiz_in_list_mode_walks_there_and_credits_tokens(
    server: Server, new_page: NewPage, compiled_scene: Path
) -> None:
    (qx, qz), reward, correct = quiz_facts(compiled_scene, QUIZ)
    page = await new_page(f"{server.url}/?mode=list")
    await wait_welcomed(page)
    await page.locator(f"[data-quiz={QUIZ}] button").click()
    # The avatar really walks there: the server-known position follows at walking pace.
    await page.locator("#walk-status").filter(has_text="ถึงแล้ว").wait_for(timeout=15_000)
    me = await page.evaluate("[srichan.state.me.x, srichan.state.me.z]")
    assert abs(me[0] - qx) < 1 and abs(me[1] - qz) < 1
    await answer_and_check(page, correct, reward, "quiz-list.png")
    assert str(reward) in await page.locator("#wallet .balance-value").inner_text()
    status = page.locator(f"[data-quiz={QUIZ}] .quiz-status")
    assert "ตอบแล้ว" in await status.inner_text()


async def test_wrong_then_try_again_then_right_in_one_dialog(
    server: Server, new_page: NewPage, compiled_scene: Path
) -> None:
    _, reward, correct = quiz_facts(compiled_scene, QUIZ)
    wrong = (correct + 1) % 3
    page = await new_page(f"{server.url}/?quality=low", PHONE)
    await wait_first_frame(page)
    await wait_welcomed(page)
    # "Take me there" walks to the first question and opens it.
    go = page.locator("#guide [data-key=guide-go]")
    await go.tap()
    dialog = page.locator("#quiz-dialog")
    await dialog.locator("#quiz-title").wait_for(timeout=40_000)
    await page.evaluate(
        "window.closes = 0;"
        " document.getElementById('quiz-dialog').addEventListener('close', () => closes++)"
    )
    assert await page.evaluate("document.activeElement.id") == "quiz-title"
    wrong_text = await dialog.locator(f"label[for=choice-{wrong}]").inner_text()
    # Keyboard: Tab from the question reaches the first choice; Space picks, Enter answers.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.name") == "choice"
    await dialog.locator(f"#choice-{wrong}").focus()
    await page.keyboard.press("Space")
    await page.keyboard.press("Enter")
    await dialog.locator(".quiz-result.wrong").wait_for(timeout=10_000)
    assert await page.evaluate("document.activeElement.className") == "verdict"
    mine = await dialog.locator(".your-choice").inner_text()
    assert "คำตอบของคุณ" in mine and wrong_text in mine
    assert "เหลือโอกาส 2" in await dialog.inner_text()
    save_shot("quiz-wrong-phone.png", await page.screenshot())
    # Try again: the same question in the same dialog, the wrong choice marked.
    await dialog.locator("[data-key=quiz-again]").tap()
    await dialog.locator(".quiz-form").wait_for(timeout=10_000)
    assert await page.evaluate("document.activeElement.id") == "quiz-title"
    assert "ตอบไปแล้ว" in await dialog.locator(f"label[for=choice-{wrong}]").inner_text()
    await dialog.locator(f"label[for=choice-{correct}]").tap()
    await dialog.locator("[data-key=quiz-answer]").tap()
    await dialog.locator(".quiz-result.correct").wait_for(timeout=10_000)
    halved = reward // 2  # one miss halves the reward (docs/security.md, guessing policy)
    assert f"+{halved}" in await dialog.locator(".earned-value").inner_text()
    assert await page.evaluate("closes") == 0, "one dialog from question to right answer"
    await page.wait_for_function(
        f"document.getElementById('balance-value').textContent === '{halved}'", timeout=5000
    )
    # Close gives focus back to what opened the dialog.
    await dialog.locator("[data-key=quiz-close]").tap()
    await page.wait_for_function("document.activeElement.dataset.key === 'guide-go'", timeout=2000)


async def test_every_attempt_used_counts_the_cooldown_down(
    server: Server, new_page: NewPage, compiled_scene: Path
) -> None:
    _, _, correct = quiz_facts(compiled_scene, QUIZ)
    page = await new_page(f"{server.url}/?mode=list", PHONE)
    await wait_welcomed(page)
    await page.locator(f"[data-quiz={QUIZ}] button").tap()
    dialog = page.locator("#quiz-dialog")
    for attempt in range(3):
        await dialog.locator(".quiz-form").wait_for(timeout=20_000)
        await dialog.locator(f"label[for=choice-{(correct + 1 + attempt % 2) % 3}]").tap()
        await dialog.locator("[data-key=quiz-answer]").tap()
        await dialog.locator(".quiz-result.wrong").wait_for(timeout=10_000)
        if attempt < 2:
            await dialog.locator("[data-key=quiz-again]").tap()
    again = dialog.locator("[data-key=quiz-again]")
    assert await again.is_disabled()
    first = await dialog.locator(".quiz-result .quiz-meta").first.inner_text()
    assert "ลองใหม่ได้ในอีก" in first and "วินาที" in first
    await page.wait_for_timeout(2100)
    later = await dialog.locator(".quiz-result .quiz-meta").first.inner_text()
    seconds = lambda text: int("".join(c for c in text if c.isdigit()))  # noqa: E731
    assert seconds(later) < seconds(first)


async def test_closing_inside_the_circle_offers_the_question_again(
    server: Server, new_page: NewPage
) -> None:
    page = await new_page(f"{server.url}/?quality=low", PHONE)
    await wait_first_frame(page)
    await wait_welcomed(page)
    await page.locator("#guide [data-key=guide-go]").tap()
    dialog = page.locator("#quiz-dialog")
    await dialog.locator("#quiz-title").wait_for(timeout=40_000)
    await dialog.locator("[data-key=quiz-close]").tap()
    again = page.locator("#guide [data-key=guide-open]")
    await again.wait_for(timeout=3000)
    assert "คุณอยู่ที่จุดตอบคำถาม" in await page.locator("#guide").inner_text()
    await again.tap()
    await dialog.locator("#quiz-title").wait_for(timeout=10_000)
