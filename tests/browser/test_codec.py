"""The browser's codec (server/web/js/net.js) against the server's (srichan_world.protocol):
messages the server encodes decode in the page, and the page's requests decode on the server."""

from __future__ import annotations

import pytest

from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.messages import (
    CLIENT_TYPES,
    Coupon,
    Enter,
    Frame,
    Hello,
    Leaderboard,
    LeaderboardEntry,
    Move,
    QuizAnswer,
    QuizResult,
    Redeem,
    Update,
    Wallet,
)
from srichan_world.scene.model import Text
from tests.browser.conftest import NewPage, Server

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

DECODE_JS = """async (bytes) => {
  const { decodeMessage } = await import('/static/js/net.js');
  return bytes.map((b) => decodeMessage(new Uint8Array(b)));
}"""


async def test_server_messages_decode_in_the_browser(server: Server, new_page: NewPage) -> None:
    coupon = Coupon("c1", "B01", "p1", Text("ลด 10 บาท", "10 baht off"), "ABCD2345", 1_900_000_000)
    messages = [
        Frame(
            tick=42,
            reset=True,
            enters=(Enter(7, 1250, -300, 64, 1, "นกน้อย", (1, 2, 3)),),
            updates=(
                Update(7, 1300, -310),
                Update(8, None, None, 200),
                Update(9, None, None, None, 2),
            ),
            leaves=(5, 6),
            more=3,
        ),
        Wallet(balance=25, coupons=(coupon,), cid=9),
        Leaderboard(
            entries=(LeaderboardEntry(1, "ครูแดง", 120, 2),),
            you=1,
            all_time=(LeaderboardEntry(1, "ครูแดง", 300), LeaderboardEntry(2, "Ann", 250, 4)),
            you_all_time=1,
            week="2026-W47",
        ),
        QuizResult("q-gate-uil", True, 10, 2, 0.0, 35, Text("ถูก", "Right"), capped=False),
    ]
    page = await new_page(f"{server.url}/?mode=list")
    frame, wallet, board, result = await page.evaluate(
        DECODE_JS, [list(encode(m)) for m in messages]
    )
    assert frame["tick"] == 42 and frame["reset"] is True and frame["more"] == 3
    assert frame["enters"] == [
        {
            "id": 7,
            "x": 1250,
            "z": -300,
            "heading": 64,
            "anim": 1,
            "name": "นกน้อย",
            "look": [1, 2, 3],
        }
    ]
    assert frame["updates"] == [
        {"id": 7, "x": 1300, "z": -310, "heading": None, "anim": None},
        {"id": 8, "x": None, "z": None, "heading": 200, "anim": None},
        {"id": 9, "x": None, "z": None, "heading": None, "anim": 2},
    ]
    assert frame["leaves"] == [5, 6]
    assert wallet["cid"] == 9 and wallet["balance"] == 25
    assert wallet["coupons"][0] == {
        "coupon_id": "c1",
        "slot": "B01",
        "promotion": "p1",
        "title": {"th": "ลด 10 บาท", "en": "10 baht off"},
        "code": "ABCD2345",
        "expires_at": 1_900_000_000,
    }
    assert board["entries"] == [{"rank": 1, "name": "ครูแดง", "score": 120, "quests": 2}]
    assert [e["name"] for e in board["all_time"]] == ["ครูแดง", "Ann"]
    assert board["all_time"][0]["quests"] is None
    assert (board["you_all_time"], board["week"]) == (1, "2026-W47")
    assert result["correct"] is True and result["explanation"] == {"th": "ถูก", "en": "Right"}
    assert result["already_awarded"] is None  # a trailing optional left out by the server


async def test_browser_requests_decode_on_the_server(server: Server, new_page: NewPage) -> None:
    page = await new_page(f"{server.url}/?mode=list")
    wire = await page.evaluate(
        """async () => {
          const { encodeMessage } = await import('/static/js/net.js');
          const { MsgType } = await import('/static/protocol.js');
          return [
            encodeMessage(MsgType.HELLO, { version: 1, name: 'นกน้อย', look: [1, 2, 3],
              visitor_id: 'abcdefgh12', visitor_secret: 'x'.repeat(43) }),
            encodeMessage(MsgType.MOVE, { x: 12.5, z: -3, heading: 90, anim: 1 }, 77),
            encodeMessage(MsgType.QUIZ_ANSWER, { quiz_id: 'q-gate-uil', choice: 2 }, 78),
            encodeMessage(MsgType.REDEEM, { slot: 'B01', promotion: 'p1', key: 'k'.repeat(22),
              expected_cost: 5 }, 79),
          ].map((b) => Array.from(b));
        }"""
    )
    hello, move, answer, redeem = (decode(bytes(b), CLIENT_TYPES) for b in wire)
    assert hello == Hello(1, "นกน้อย", (1, 2, 3), None, "abcdefgh12", "x" * 43)
    assert move == Move(12.5, -3.0, 90.0, 1, cid=77)
    assert answer == QuizAnswer("q-gate-uil", 2, cid=78)
    assert redeem == Redeem("B01", "p1", "k" * 22, 5, cid=79)
