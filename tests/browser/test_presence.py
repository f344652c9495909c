"""Two visitors in two browsers: they see each other walk, talk and leave; a drop resumes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.async_api import Page

from server.keys import PUMP
from tests.browser.conftest import NewPage, Server, wait_first_frame, wait_welcomed

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

SEEN = "[...srichan.state.avatars.values()].map(a => ({id: a.id, name: a.name, x: a.last.x}))"


async def two_at_the_gate(server: Server, new_page: NewPage) -> tuple[Page, Page]:
    """New visitors start side by side where the first quest starts: the City Gate."""
    a = await new_page(f"{server.url}/?quality=low")
    await wait_welcomed(a)
    b = await new_page(f"{server.url}/?quality=low")
    await wait_welcomed(b)
    await wait_first_frame(a)
    await wait_first_frame(b)
    return a, b


async def test_two_visitors_see_each_other_walk_and_leave(
    server: Server, new_page: NewPage
) -> None:
    a, b = await two_at_the_gate(server, new_page)
    a_id, a_name = await a.evaluate("[srichan.state.me.id, srichan.state.me.name]")
    await b.wait_for_function(f"srichan.state.avatars.has({a_id})", timeout=5000)
    start_x = await b.evaluate(f"srichan.state.avatars.get({a_id}).last.x")
    # A walks forward (towards the first question, along +x) a few metres with the keyboard
    # (held until then: frame rates vary on a busy machine).
    await a.evaluate("document.activeElement.blur()")  # keys to the street, not a button
    await a.keyboard.down("KeyW")
    try:
        # At most 0.4 m a frame (frames are capped at 0.1 s): slow on a loaded machine.
        await a.wait_for_function(f"srichan.local.x > {start_x} + 2.5", timeout=40_000)
    finally:
        await a.keyboard.up("KeyW")
    a_x = await a.evaluate("srichan.local.x")
    await b.wait_for_function(
        f"Math.abs(srichan.state.avatars.get({a_id}).last.x - {a_x}) < 0.05", timeout=5000
    )
    assert await a.evaluate("srichan.state.corrections") == 0
    # B draws A where the server says, with A's Thai name over its head.
    await b.wait_for_timeout(400)  # the interpolation runs 100 ms behind
    drawn_x = await b.evaluate(f"srichan.street.avatar({a_id}).root.position.x")
    assert abs(drawn_x - a_x) < 0.05
    assert a_name in await b.locator(".name-label").all_inner_texts()
    # A says something in Thai (chat and emotes sit behind one button): B sees the bubble over
    # A, a short-lived line over the bottom bar, a count on the chat button, and the line in
    # the chat log.
    await a.locator("#chat-toggle").click()
    await a.fill("#chat-input", "สวัสดีครับ ถนนศรีจันทร์")
    await a.press("#chat-input", "Enter")
    await b.wait_for_function(
        "[...document.querySelectorAll('.bubble')].some(e => !e.hidden && "
        "e.textContent === 'สวัสดีครับ ถนนศรีจันทร์')",
        timeout=5000,
    )
    assert "สวัสดีครับ ถนนศรีจันทร์" in await b.locator("#chat-feed").inner_text()
    assert await b.locator("#chat-count").inner_text() == "1"
    await b.locator("#chat-toggle").click()
    assert "สวัสดีครับ ถนนศรีจันทร์" in await b.locator("#chat-log").inner_text()
    assert await b.locator("#chat-count").is_hidden()
    # A greets with a wai: B sees it over A's head.
    await a.locator(".emote-btn[aria-label='ไหว้']").click()
    await b.wait_for_function(
        "[...document.querySelectorAll('.bubble')].some(e => !e.hidden && "
        "e.textContent.includes('ไหว้'))",
        timeout=5000,
    )
    # A leaves (closes the tab): after the resume window A is gone from B's street.
    await a.context.close()
    await b.wait_for_function(f"!srichan.state.avatars.has({a_id})", timeout=8000)
    assert await b.evaluate(f"srichan.street.avatar({a_id}) === undefined")
    assert a_name not in await b.locator(".name-label").all_inner_texts()


async def test_a_dropped_connection_resumes_the_same_avatar(
    server: Server, new_page: NewPage
) -> None:
    page = await new_page(f"{server.url}/?mode=list")
    await wait_welcomed(page)
    avatar = await page.evaluate("srichan.state.me.id")
    presence = server.app[PUMP]
    assert len(presence.conns) == 1
    (conn,) = presence.conns.values()
    conn.transport.close()  # the network drops: no close handshake
    await page.wait_for_function("srichan.state.connection.state === 'offline'", timeout=5000)
    assert await page.locator("#conn").get_attribute("data-state") == "offline"
    await wait_welcomed(page)
    assert await page.evaluate("srichan.conn.welcome.resumed") is True
    assert await page.evaluate("srichan.state.me.id") == avatar
    assert await page.locator("#conn").get_attribute("data-state") == "online"


AGE_KEPT_TOKEN_JS = """(() => {
  // once, before the page's own scripts: what pagehide kept was heard a minute ago
  if (sessionStorage.getItem('test.age') !== '1') return;
  sessionStorage.removeItem('test.age');
  const kept = JSON.parse(sessionStorage.getItem('srichan.resume'));
  kept.heardAt = Date.now() - 60_000;
  sessionStorage.setItem('srichan.resume', JSON.stringify(kept));
})();"""


async def test_a_token_older_than_a_held_avatar_is_not_sent(
    server: Server, new_page: NewPage
) -> None:
    """The server keeps a dropped avatar for RESUME_WINDOW_S: a client silent for longer
    (a phone asleep, a tab reopened) starts afresh at once rather than making the server look
    for an avatar long gone. Aged by hand here: the client is told it last heard the server
    a minute ago, so the avatar it drops is still held and would resume if it asked."""
    page = await new_page(f"{server.url}/?mode=list")
    await wait_welcomed(page)
    first = await page.evaluate("srichan.state.me.id")
    presence = server.app[PUMP]

    # a reconnect: the network drops after a minute of silence
    (conn,) = presence.conns.values()
    await page.evaluate("srichan.conn.backoffMs = 4000")  # time to age it while offline
    conn.transport.close()
    await page.wait_for_function("srichan.state.connection.state === 'offline'", timeout=5000)
    await page.evaluate("srichan.conn.heardAt = Date.now() - 60_000")
    await page.wait_for_function(f"srichan.state.me && srichan.state.me.id !== {first}")
    await wait_welcomed(page)
    assert await page.evaluate("srichan.conn.welcome.resumed") is False
    second = await page.evaluate("srichan.state.me.id")

    # a reload: the page keeps the token across it with when the server was last heard
    await page.reload()
    await wait_welcomed(page)
    assert await page.evaluate("srichan.conn.welcome.resumed") is True, "a reload resumes"
    assert await page.evaluate("srichan.state.me.id") == second
    await page.context.add_init_script(AGE_KEPT_TOKEN_JS)
    await page.evaluate("sessionStorage.setItem('test.age', '1')")
    await page.reload()
    await wait_welcomed(page)
    assert await page.evaluate("srichan.conn.welcome.resumed") is False
    assert await page.evaluate("srichan.state.me.id") not in (first, second)


async def test_list_mode_walks_the_server_known_avatar(server: Server, new_page: NewPage) -> None:
    """Choosing "walk here" sends moves at walking pace until the server has the avatar at
    the landmark (no correction: every step was walkable and within the speed limit)."""
    page = await new_page(f"{server.url}/?mode=list")
    await wait_welcomed(page)
    avatar = await page.evaluate("srichan.state.me.id")
    await page.locator("[data-landmark=city-gate] button[data-key='walk:city-gate']").click()
    await page.locator("#walk-status").filter(has_text="ถึงแล้ว").wait_for(timeout=15_000)
    (view,) = [v for v in server.app[PUMP].views() if v.avatar_id == avatar]
    # The gate spans the road: "walk here" stops 7 m before it, facing it.
    assert abs(view.x - 18.0) < 0.5 and abs(view.z) < 0.5
    where = await page.locator("#where-text").inner_text()
    assert "ประตูเมือง" in where
    # one unit in one language: "18 เมตร" as the distance beside it says, never "18 m"
    assert re.match(r"ระยะจากต้นถนน \d+ เมตร · ", where), where


async def rename(page: Page, name: str) -> None:
    """Change the name where it is changed: the settings."""
    await page.locator("#btn-settings").click()
    await page.locator("#set-nick").fill(name)
    await page.locator("[data-key=nick-save]").click()
    await page.locator("#toasts").filter(has_text=name).wait_for(timeout=5000)
    await page.locator("#panel-dialog [data-key=panel-close]").click()


async def test_one_name_on_the_avatar_and_the_leaderboard(
    server: Server, new_page: NewPage, compiled_scene: Path
) -> None:
    a = await new_page(f"{server.url}/?quality=low")
    await wait_first_frame(a)
    await wait_welcomed(a)
    b = await new_page(f"{server.url}/?mode=list")  # the boards are global: B may be anywhere
    await wait_welcomed(b)
    default = await a.evaluate("srichan.state.me.name")
    assert re.fullmatch(r"ผู้มาเยือน [๐-๙]{4}", default), default
    # A earns tokens (so A is on the boards): the guide walks to the first question.
    correct = json.loads((compiled_scene / "srichan.answers.json").read_text(encoding="utf-8"))
    correct = correct["quiz_points"]["q-gate-gnlc-date"]["correct"]
    await a.locator("#guide [data-key=guide-go]").click()
    await a.locator("#quiz-dialog .quiz-form").wait_for(timeout=30_000)
    await a.locator(f"#quiz-dialog label[for=choice-{correct}]").click(timeout=30_000)
    await a.locator("#quiz-dialog [data-key=quiz-answer]").click()
    await a.locator("#quiz-dialog [data-key=quiz-close]").click()
    # B's leaderboard shows A by the name over A's head, not "ผู้เรียน / Learner …".
    board = b.locator("#leaderboard .leaderboard").first
    await board.filter(has_text=default).wait_for(timeout=10_000)
    assert "Learner" not in await board.inner_text()
    # A renames once, in the settings: A's own label and B's board follow.
    await rename(a, "ยายสมศรี")
    await a.locator(".name-label.mine").filter(has_text="ยายสมศรี").wait_for(timeout=2000)
    await board.filter(has_text="ยายสมศรี").wait_for(timeout=10_000)
    assert default not in await board.inner_text()


async def test_a_new_name_shows_over_the_avatar_for_everyone(
    server: Server, new_page: NewPage
) -> None:
    a, b = await two_at_the_gate(server, new_page)
    a_id = await a.evaluate("srichan.state.me.id")
    await b.wait_for_function(f"srichan.state.avatars.has({a_id})", timeout=5000)
    await rename(a, "ยายสมศรี")
    await b.wait_for_function(
        f"srichan.state.avatars.get({a_id})?.name === 'ยายสมศรี'", timeout=5000
    )
    assert "ยายสมศรี" in await b.locator(".name-label").all_inner_texts()
