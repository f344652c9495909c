"""The street page tells the server how it is used (``usage``) in real chromium: a phone in the
list mode with a larger text counts as such, and a change of language, 2 s after it, counts the
other language too; the counts the console reads have no visitor in them."""

from __future__ import annotations

import asyncio
import time

import pytest

from server.keys import LEARNING, STORE
from srichan_world.world.figures import day_of
from srichan_world.world.inclusion import SETTING, VISITORS
from tests.browser.conftest import DESKTOP, PHONE, NewPage, Server, wait_welcomed

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

LARGE_TEXT = "localStorage.setItem('srichan.prefs', JSON.stringify({text: 'large'}));"


async def counted(server: Server, want: set[tuple[str, str, str, int]]) -> set[tuple]:
    """The day's inclusion counters once they hold ``want`` (the learning loop writes them)."""
    today = day_of(time.time())
    got: set[tuple] = set()
    for _ in range(100):
        await server.app[LEARNING].write_usage()
        rows = await server.app[STORE].usage_totals(today, today)
        got = {
            (r.kind, r.subject, r.detail, r.count) for r in rows if r.kind in (SETTING, VISITORS)
        }
        if want <= got:
            return got
        await asyncio.sleep(0.1)
    raise AssertionError(f"{want - got} not counted; got {got}")


@pytest.mark.parametrize("device", ["phone", "desktop"])
async def test_the_page_reports_its_settings_once_and_again_on_a_change(
    server: Server, new_page: NewPage, device: str
) -> None:
    page = await new_page("about:blank", PHONE if device == "phone" else DESKTOP)
    await page.context.add_init_script(LARGE_TEXT)
    await page.goto(f"{server.url}/?mode=list")
    await wait_welcomed(page)
    first = {
        (VISITORS, "", "", 1),
        (SETTING, "list_mode", "on", 1),
        (SETTING, "larger_text", "on", 1),
        (SETTING, "lang", "th", 1),
        (SETTING, "device", device, 1),
    }
    assert await counted(server, first) == first
    await page.locator("#btn-lang").click()
    assert await counted(server, first | {(SETTING, "lang", "en", 1)}) == first | {
        (SETTING, "lang", "en", 1)
    }, "the visitor once, each setting once, the new language added"
