"""A first visit on a cheap phone: the street gets most of the screen, everything is big enough
to read and to press, and a new visitor reaches the first question with a tap or two."""

from __future__ import annotations

import json
import time

import pytest
from playwright.async_api import Page

from srichan_world.world.visitors import default_name
from tests.browser.conftest import (
    PHONE,
    NewPage,
    Server,
    artifact,
    axe_violations,
    wait_first_frame,
    wait_welcomed,
)
from tests.browser.ui import street_share, tap_targets, text_sizes

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

MEASURED = artifact("measurements.json")


def record(key: str, value: object) -> None:
    """Keep a measurement in test-artifacts/measurements.json (for people, not for asserts)."""
    data = json.loads(MEASURED.read_text()) if MEASURED.exists() else {}
    data[key] = value
    MEASURED.write_text(json.dumps(data, ensure_ascii=False, indent=2))


async def street_page(new_page: NewPage, url: str, device: dict | None = None) -> Page:
    page = await new_page(f"{url}/?quality=low", device)
    await wait_first_frame(page)
    await wait_welcomed(page)
    await page.wait_for_function("srichan.hud.guideEl.childElementCount > 0", timeout=5000)
    await page.wait_for_timeout(300)
    return page


async def test_the_street_gets_most_of_the_phone_screen(server: Server, new_page: NewPage) -> None:
    phone = await street_page(new_page, server.url, PHONE)
    share = await street_share(phone)
    record("street_share_phone", round(share, 3))
    assert share >= 0.70, f"the street gets only {share:.0%} of a 390×844 screen"
    desktop = await street_page(new_page, server.url)
    share = await street_share(desktop)
    record("street_share_desktop", round(share, 3))
    assert share >= 0.70, f"the street gets only {share:.0%} of a 1280×800 screen"


async def test_the_share_check_can_fail(server: Server, new_page: NewPage) -> None:
    """With the chat sheet open the street loses a good part of the screen: the sampling sees it."""
    phone = await street_page(new_page, server.url, PHONE)
    before = await street_share(phone)
    await phone.locator("#chat-toggle").tap()
    after = await street_share(phone)
    assert after < before - 0.1


@pytest.mark.parametrize("where", ["3d-phone", "list-phone", "list-desktop", "3d-desktop"])
async def test_big_enough_to_press_and_to_read(
    server: Server, new_page: NewPage, where: str
) -> None:
    device = PHONE if where.endswith("phone") else None
    if where.startswith("3d"):
        page = await street_page(new_page, server.url, device)
    else:
        page = await new_page(f"{server.url}/?mode=list", device)
        await wait_welcomed(page)
        await page.locator("#list .landmark").first.wait_for()
    targets = await tap_targets(page)
    text = await text_sizes(page)
    record(f"smallest_tap_target_{where}", targets["smallest"])
    record(f"smallest_text_{where}", text["smallest"])
    assert targets["small"] == [], f"tap targets under 44 px: {targets['small']}"
    assert text["small"] == [], f"text under 14 px: {text['small']}"


async def test_the_size_checks_can_fail(server: Server, new_page: NewPage) -> None:
    page = await new_page(f"{server.url}/?mode=list", PHONE)
    await page.locator("#list .landmark").first.wait_for()
    await page.evaluate(
        "() => { const b = document.createElement('button'); b.textContent = 'x';"
        " b.style.cssText = 'min-height:0;min-width:0;padding:0;font-size:11px';"
        " document.getElementById('list').prepend(b); }"
    )
    targets = await tap_targets(page)
    text = await text_sizes(page)
    assert [t["text"] for t in targets["small"]] == ["x"]
    assert [t["text"] for t in text["small"]] == ["x"]


async def test_larger_text_scales_the_interface_and_is_remembered(
    server: Server, new_page: NewPage
) -> None:
    page = await new_page(f"{server.url}/?mode=list", PHONE)
    await wait_welcomed(page)
    body = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body == 16
    await page.locator("#btn-settings").tap()
    await page.locator("label.option", has_text="ใหญ่มาก").tap()
    await page.locator("label.option", has_text="สีตัดกันชัดเจน").tap()
    assert await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == 22
    button = await page.locator("#btn-lang").bounding_box()
    assert button and button["height"] >= 60  # the buttons grew with the text
    await page.reload()
    await wait_welcomed(page)
    assert await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == 22
    assert await page.evaluate("document.documentElement.dataset.contrast") == "high"
    # Still big enough everywhere, and nothing breaks the layout sideways.
    assert (await tap_targets(page))["small"] == []
    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")


async def test_axe_phone(server: Server, new_page: NewPage) -> None:
    listing = await new_page(f"{server.url}/?mode=list", PHONE)
    await wait_welcomed(listing)
    await listing.locator("#list .landmark").first.wait_for()
    assert await axe_violations(listing) == []
    street = await street_page(new_page, server.url, PHONE)
    assert await axe_violations(street) == []


async def test_welcome_is_shown_once(server: Server, new_page: NewPage) -> None:
    page = await new_page(f"{server.url}/?mode=list", PHONE, welcomed=False)
    dialog = page.locator("#welcome-dialog")
    await dialog.locator("#welcome-title").wait_for()
    text = await dialog.inner_text()
    assert "ยินดีต้อนรับ" in text and "โทเค็น" in text and "คูปอง" in text
    assert await axe_violations(page) == []
    await dialog.locator("[data-key=welcome-skip]").tap()
    assert not await dialog.is_visible()
    await page.reload()
    await wait_welcomed(page)
    await page.wait_for_timeout(300)
    assert not await dialog.is_visible()


async def first_quiz(page: Page, tap_go: str) -> tuple[int, float]:
    """Taps and seconds from the street's first frame until the first question is open."""
    await wait_first_frame(page)
    started = time.monotonic()
    taps = 0
    await page.locator(tap_go).tap()
    taps += 1
    try:
        await page.locator("#quiz-dialog #quiz-title").wait_for(timeout=60_000)
    except Exception as err:
        where = await page.evaluate(
            "JSON.stringify({at: [srichan.local.x, srichan.local.z], auto: !!srichan.auto,"
            " corrections: srichan.state.corrections, said: document.getElementById('live')"
            ".textContent, toasts: document.getElementById('toasts').textContent})"
        )
        seconds = time.monotonic() - started
        raise AssertionError(f"no question after {seconds:.0f} s: {where}") from err
    return taps, time.monotonic() - started


async def test_a_new_visitor_reaches_the_first_question(server: Server, new_page: NewPage) -> None:
    page = await new_page(f"{server.url}/?quality=low", PHONE, welcomed=False)
    taps, seconds = await first_quiz(page, "#welcome-dialog [data-key=welcome-go]")
    record("first_quiz_spawn_gate", {"taps": taps, "seconds": round(seconds, 1)})
    assert taps <= 3 and seconds <= 60
    assert await page.evaluate("srichan.state.corrections") == 0
    # The question has focus, so a screen reader reads it first.
    assert await page.evaluate("document.activeElement.id") == "quiz-title"


async def test_far_away_take_me_there_jumps_then_walks(server: Server, new_page: NewPage) -> None:
    """A step 150 m away (the Kaen tower's question): *take me there* asks the server for a jump
    to the landmark's arrival point, walks the few metres left and opens the question."""
    page = await street_page(new_page, server.url, PHONE)
    started = time.monotonic()
    jumped = await page.evaluate(
        """async () => {
          const s = srichan;
          const kaen = s.state.landmarkIndex.get('kaen-building');
          const x0 = s.local.x;
          await s.takeMeThere({ point: s.state.quizIndex.get('q-kaen-sdg4').position,
                                quizId: 'q-kaen-sdg4', landmark: kaen, label: 'ตึกแก่น' });
          return s.local.x - x0;
        }"""
    )
    assert jumped > 100, "the avatar jumped, it did not walk 150 m"
    await page.locator("#quiz-dialog #quiz-title").wait_for(timeout=60_000)
    seconds = time.monotonic() - started
    record("far_question_by_jump", {"taps": 1, "seconds": round(seconds, 1)})
    assert seconds <= 60
    assert await page.evaluate("srichan.quiz.quizId") == "q-kaen-sdg4"
    assert await page.evaluate("srichan.state.corrections") == 0


async def test_list_mode_guides_to_the_nearest_quest(server: Server, new_page: NewPage) -> None:
    """After a jump to the Business Hub (no quest begun yet), the guide follows the quest
    nearest to where the avatar now is: the hub's, not the gate's 555 m away."""
    page = await new_page(f"{server.url}/?mode=list", PHONE, welcomed=False)
    await wait_welcomed(page)
    await page.evaluate(
        "import('/static/protocol.js').then(({ MsgType }) =>"
        " srichan.conn.request(MsgType.TRAVEL, { landmark: 'business-hub' }))"
    )
    await page.wait_for_function("srichan.state.me.x > 500", timeout=5000)
    started = time.monotonic()
    await page.locator("#welcome-dialog [data-key=welcome-go]").tap()
    await page.locator("#quiz-dialog #quiz-title").wait_for(timeout=60_000)
    seconds = round(time.monotonic() - started, 1)
    record("first_quiz_list_spawn_hub", {"taps": 1, "seconds": seconds})
    assert seconds <= 60
    assert "KGO" in await page.locator("#quiz-title").inner_text()
    next_text = await page.locator("#next-step").inner_text()
    assert "ร้านค้าท้องถิ่น" in next_text, next_text


async def test_take_me_there_and_stop(server: Server, new_page: NewPage) -> None:
    page = await street_page(new_page, server.url, PHONE)
    # Far away: the City Pillar Shrine, by tapping its quest's step in the quests panel is not
    # needed; the guide's button walks to the next step, and Stop ends the walk.
    await page.evaluate(
        "srichan.walkTo([95, -8], 'ศาลเจ้าพ่อหลักเมือง', {landmark: srichan.state.landmarkIndex"
        ".get('city-pillar-shrine')})"
    )
    guide = page.locator("#guide")
    await guide.locator("[data-key=guide-stop]").wait_for()
    text = await guide.inner_text()
    assert "กำลังเดินไป" in text and "ศาลเจ้าพ่อหลักเมือง" in text and "เมตร" in text
    x0 = await page.evaluate("srichan.local.x")
    await page.wait_for_function(f"srichan.local.x > {x0} + 5", timeout=30_000)
    await guide.locator("[data-key=guide-stop]").tap()
    assert await page.evaluate("srichan.auto") is None
    assert await page.evaluate("srichan.state.corrections") == 0


async def test_tap_on_the_street_walks_there(server: Server, new_page: NewPage) -> None:
    page = await street_page(new_page, server.url)
    start = await page.evaluate("[srichan.local.x, srichan.local.z]")
    box = await page.locator("#street-canvas").bounding_box()
    assert box
    # Below the middle of the view is the road ahead of the avatar.
    await page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.78)
    await page.wait_for_function("srichan.auto !== null", timeout=3000)
    end = await page.evaluate("srichan.auto.route.end")
    await page.wait_for_function("srichan.auto === null", timeout=40_000)
    here = await page.evaluate("[srichan.local.x, srichan.local.z]")
    assert abs(here[0] - end[0]) < 0.2 and abs(here[1] - end[1]) < 0.2
    assert here != start
    assert await page.evaluate("srichan.state.corrections") == 0


async def test_the_default_name_is_the_one_the_leaderboard_shows(
    server: Server, new_page: NewPage
) -> None:
    """A visitor whose nickname never reached the server still has one name: the browser and
    the leaderboard make it from the visitor id the same way."""
    ids = [
        "a",
        "foobar",
        "4f1c2a9e",
        "Zx_9-kLmNoPqRsTuVwXyZ0",
        *(f"visitor{i:04d}" for i in range(50)),
    ]
    page = await new_page(f"{server.url}/?mode=list")
    shown = await page.evaluate(
        """async (ids) => {
          const { defaultName } = await import('/static/js/identity.js');
          return ids.map(defaultName);
        }""",
        ids,
    )
    assert shown == [default_name(i) for i in ids]
    await page.wait_for_function("localStorage.getItem('srichan.visitor') !== null")
    mine = json.loads(await page.evaluate("localStorage.getItem('srichan.visitor')"))
    assert mine["name"] == default_name(mine["visitor_id"]), "a new browser starts with it"


async def test_the_guide_uses_the_servers_visit_distance(server: Server, new_page: NewPage) -> None:
    """The guide sends a visitor straight to a question only where the server counts the visit
    to its landmark on the way (VISIT_DISTANCE_M, exported in LIMITS)."""
    page = await new_page(f"{server.url}/?mode=list")
    near, far = await page.evaluate(
        """async () => {
          const { countsAsVisit } = await import('/static/js/guide.js');
          const { LIMITS } = await import('/static/protocol.js');
          const lm = { footprints: [[[0, 0], [10, 0], [10, 10], [0, 10]]] };
          const d = LIMITS.VISIT_DISTANCE_M;
          return [countsAsVisit([10 + d - 0.1, 5], lm), countsAsVisit([10 + d + 0.1, 5], lm)];
        }"""
    )
    assert (near, far) == (True, False)


UNSUPPORTED_JS = """async () => {
  const { ask } = await import('/static/js/panels.js');
  const { travel } = await import('/static/js/travel.js');
  const { ErrorCode, MsgType } = await import('/static/protocol.js');
  const asked = [];
  // A server that has presence but answers every request unsupported (an older or partial one).
  const conn = { request: async (type) => {
    asked.push(type);
    return { type: MsgType.ERROR, code: ErrorCode.UNSUPPORTED };
  } };
  const state = srichan.state;
  const toasts = () => document.querySelectorAll('#toasts .toast').length;
  const before = toasts();
  const jumps = [await travel(conn, state, 'city-gate'), await travel(conn, state, 'city-gate')];
  const afterTravel = { learning: state.learningSupported, booths: state.boothsSupported,
                        toasts: toasts() - before };
  await ask(conn, state, MsgType.LEADERBOARD_GET, {});
  return { jumps, asked, afterTravel, learning: state.learningSupported,
           booths: state.boothsSupported, toasts: toasts() - before };
}"""


async def test_an_unsupported_request_marks_only_its_own_feature(
    server: Server, new_page: NewPage
) -> None:
    """A server without fast travel (a presence message) makes "take me there" walk, quietly
    and without asking again; it does not switch off learning or booths. A learning request
    answered unsupported does switch learning off, and says so."""
    page = await new_page(f"{server.url}/?mode=list")
    await wait_welcomed(page)
    # the wallet (after a new visitor's proof of work) says learning is there
    await page.wait_for_function("srichan.state.learningSupported === true", timeout=30_000)
    got = await page.evaluate(UNSUPPORTED_JS)
    msg_type = await page.evaluate("import('/static/protocol.js').then((m) => m.MsgType)")
    assert got["jumps"] == [None, None]
    assert got["asked"] == [msg_type["TRAVEL"], msg_type["LEADERBOARD_GET"]], "travel asked once"
    # learning is known supported once welcomed; booths stay unknown (None) until a booth_state
    assert got["afterTravel"] == {"learning": True, "booths": None, "toasts": 0}
    assert (got["learning"], got["booths"], got["toasts"]) == (False, None, 1)
