"""A refused name says which rule it broke, in the visitor's language (not just "1–24")."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, NewPage, Server, save_shot, wait_welcomed

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize(("device", "shot"), [(PHONE, "phone"), (DESKTOP, "desktop")])
async def test_a_refused_name_tells_the_rule(
    server: Server,
    new_page: NewPage,
    device: dict[str, object],
    shot: str,
) -> None:
    page = await new_page(f"{server.url}/?quality=low", device)
    await wait_welcomed(page)
    before = await page.evaluate("srichan.state.me.name")
    await page.locator("#btn-settings").click()
    await page.locator("#set-nick").fill("นก  น้อย")  # two spaces: a look-alike of "นก น้อย"
    await page.locator("[data-key=nick-save]").click()
    problem = page.locator("#panel-dialog .field-problem")  # next to the field, not only a toast
    await problem.filter(has_text="เว้นวรรคได้ทีละหนึ่งช่อง").wait_for(timeout=5000)
    assert "/" not in await problem.inner_text(), "one language, not both"
    assert await page.locator("#set-nick").get_attribute("aria-invalid") == "true"
    assert await page.evaluate("document.activeElement.id") == "set-nick"
    save_shot(f"name-refused-{shot}.png", await page.screenshot())
    # (set_nickname is limited to 3 at once: the stacked-marks rule is tested without a browser)
    assert await page.evaluate("srichan.state.me.name") == before
    await page.locator("#set-nick").fill("นก น้อย")
    await page.locator("[data-key=nick-save]").click()
    await page.wait_for_function("srichan.state.me.name === 'นก น้อย'", timeout=5000)
    assert await problem.inner_text() == ""
    assert await page.locator("#set-nick").get_attribute("aria-invalid") is None
