"""Toasts and the live region over a modal dialog (server/web/js/dom.js): a toast raised while
a dialog is open is the topmost thing where it shows, yet lets taps through to the dialog; a
screen reader still hears it; it takes no focus; Escape still closes the dialog and the toast
stays on screen after. Shown with the quiz, the dialog older visitors meet most."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    NewPage,
    Server,
    save_shot,
    wait_first_frame,
    wait_welcomed,
)

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

QUIZ = "q-hub-kgo"
"""A quiz point at the Business Hub, where a jump takes the visitor."""

TOAST_JS = """() => {
  // The newest toast: what the browser hits at its centre. Toasts let taps through
  // (pointer-events: none), so the probe turns hits on for a moment to ask what is drawn on top.
  const toast = [...document.querySelectorAll('.toast')].pop();
  if (!toast) return null;
  const r = toast.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const tap = document.elementFromPoint(x, y);
  toast.style.pointerEvents = 'auto';
  const drawn = document.elementFromPoint(x, y);
  toast.style.pointerEvents = '';
  return {
    text: toast.textContent,
    topmost: drawn === toast,
    tapGoesTo: tap?.closest('dialog')?.id ?? tap?.tagName ?? null,
    pointerEvents: getComputedStyle(toast).pointerEvents,
    size: [r.width, r.height],
  };
}"""


async def heard(page: Page, text: str) -> bool:
    """Whether `text` is in the accessibility tree (what a screen reader can announce)."""
    cdp = await page.context.new_cdp_session(page)
    try:
        tree = await cdp.send("Accessibility.getFullAXTree")
    finally:
        await cdp.detach()
    return any(
        not node.get("ignored") and node.get("name", {}).get("value") == text
        for node in tree["nodes"]
    )


async def open_quiz(page: Page) -> None:
    await page.evaluate(
        "import('/static/protocol.js').then(({ MsgType }) =>"
        " srichan.conn.request(MsgType.TRAVEL, { landmark: 'business-hub' }))"
    )
    # In the 3D street, arriving inside the quiz point's circle opens its question by itself
    # (app3d.js checkQuizPoints), and an open already under way refuses another (returns
    # false): open it here only when the street has not.
    opened = await page.evaluate(
        f"srichan.quiz.isOpen || srichan.quiz.busy || srichan.quiz.open('{QUIZ}')"
    )
    assert opened, "the quiz opens at the hub"
    await page.locator("#quiz-dialog[open] #quiz-title").wait_for()


async def toast_over_the_quiz(page: Page) -> dict[str, Any]:
    """Answer the quiz: the quiz draws its result anew (a redraw detaches the hosts) and says
    right or wrong in a toast."""
    await page.locator("#quiz-dialog label[for=choice-0]").click()
    await page.locator("#quiz-dialog [data-key=quiz-answer]").click()
    await page.locator("#quiz-dialog .quiz-result").wait_for()
    await page.locator(".toast").wait_for()
    found = await page.evaluate(TOAST_JS)
    assert found is not None
    return dict(found)


@pytest.mark.parametrize(("device", "path"), [(PHONE, "/?mode=list"), (DESKTOP, "/")])
async def test_a_toast_shows_over_an_open_dialog(
    new_page: NewPage, server: Server, device: dict[str, Any], path: str
) -> None:
    page = await new_page(f"{server.url}{path}", device)
    await wait_welcomed(page)
    if path == "/":
        await wait_first_frame(page)
    await open_quiz(page)
    toast = await toast_over_the_quiz(page)
    assert toast["topmost"], f"the toast is drawn under the dialog: {toast}"
    assert toast["pointerEvents"] == "none" and toast["tapGoesTo"] == "quiz-dialog", toast
    assert await heard(page, toast["text"]), "the live region is out while the dialog is open"
    width = device["viewport"]["width"]
    shot = f"toast-over-dialog-{'phone' if width < 500 else 'desktop'}.png"
    save_shot(shot, await page.screenshot())

    # A toast takes no focus.
    focused = "document.activeElement?.dataset.key ?? document.activeElement?.id"
    before = await page.evaluate(focused)
    await page.evaluate("import('/static/js/dom.js').then((m) => m.announce('ทดสอบ · test'))")
    assert await page.evaluate(focused) == before
    assert await page.evaluate("!!document.activeElement.closest('#quiz-dialog')")

    # The quiz draws itself anew with no announcement: the toasts come back on top.
    await page.evaluate("srichan.quiz.render()")
    again = await page.evaluate(TOAST_JS)
    assert again["topmost"], again

    # Escape still closes the dialog; the toast and the live region go back to the page.
    await page.keyboard.press("Escape")
    await page.locator("#quiz-dialog").wait_for(state="hidden")
    home = "['toasts', 'live'].map((id) => document.getElementById(id).parentElement.localName)"
    assert await page.evaluate(home) == ["body", "body"]
    await page.evaluate("import('/static/js/dom.js').then((m) => m.announce('ปิดแล้ว · closed'))")
    assert (await page.evaluate(TOAST_JS))["topmost"]
    assert await heard(page, "ปิดแล้ว · closed")
