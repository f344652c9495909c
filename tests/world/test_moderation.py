"""Moderation rules without sockets: sanctions on two clocks, the chat log, and the street's
reports, mutes, kicks and bans driven through its one entry point."""

from __future__ import annotations

import itertools
import math

import pytest

from srichan_world.protocol.codec import decode, encode
from srichan_world.protocol.codes import CloseCode, ErrorCode, NoticeKind, ReportReason
from srichan_world.protocol.messages import (
    MESSAGES,
    Chat,
    ChatSaid,
    Error,
    Hello,
    Notice,
    Report,
    Reported,
    Welcome,
)
from srichan_world.street.moderation import ModerationDesk
from srichan_world.street.steps import FileReport
from srichan_world.street.street import Apply, Street
from srichan_world.world.chatfilter import WordFilter
from srichan_world.world.moderation import (
    CHAT_LOG_LINES,
    CONTEXT_LINES,
    ChatLog,
    Guard,
    Line,
    ReportRecord,
    Sanction,
    Sanctions,
    network,
)
from srichan_world.world.presence import Close, PresenceWorld, Send
from tests.world.test_presence import manifest

WALL = 1_778_300_000.0
ALL = frozenset(MESSAGES)


# -- sanctions ---------------------------------------------------------------------------------


def test_a_mute_lasts_its_minutes_on_the_presence_clock() -> None:
    table = Sanctions()
    mute = Sanction.checked("mute", "bob", ReportReason.SPAM, "operator:noi", WALL, minutes=10)
    table.apply(mute, now=50.0, wall=WALL + 60)  # heard a minute after it was given
    assert table.muted_for("bob", 50.0) == pytest.approx(540.0)
    assert table.muted_for("alice", 50.0) == 0.0 and table.muted_for(None, 50.0) == 0.0
    assert table.muted_for("bob", 50.0 + 540.0) == 0.0
    table.apply(mute, 0.0, WALL)
    table.apply(Sanction.checked("unmute", "bob", 0, "op", WALL), 0.0, WALL)
    assert table.muted_for("bob", 1.0) == 0.0


def test_bans_by_identity_and_by_address_prefix() -> None:
    table = Sanctions()
    table.apply(Sanction.checked("ban", "bob", 1, "op", WALL), 0.0, WALL)
    assert table.is_banned("bob", 1e9) and not table.is_banned("alice", 0.0)
    table.apply(Sanction.checked("unban", "bob", 1, "op", WALL), 0.0, WALL)
    assert not table.is_banned("bob", 0.0)
    v4 = Sanction.checked("ban", "203.0.113.77/24", 0, "op", WALL, by_address=True)
    v6 = Sanction.checked("ban", "2001:db8:1::/48", 0, "op", WALL, by_address=True, minutes=60)
    table.apply(v4, 0.0, WALL)
    table.apply(v6, 0.0, WALL)
    assert table.address_banned("203.0.113.5", 0.0)
    assert not table.address_banned("203.0.114.5", 0.0)
    assert table.address_banned("2001:db8:1:2::/64", 0.0)  # admission's name for an IPv6 home
    assert not table.address_banned("2001:db8:1:2::/64", 3601.0)  # the hour is over
    assert not table.address_banned("not an address", 0.0)
    table.apply(
        Sanction.checked("unban", "203.0.113.0/24", 0, "op", WALL, by_address=True), 0, WALL
    )
    assert not table.address_banned("203.0.113.5", 0.0)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("explode", "bob", 0), "action"),
        (("warn", "bob", 9), "reason"),
        (("warn", "", 0), "target"),
        (("mute", "bob", 0), "minutes"),
        (("kick", "203.0.113.0/24", 0, "op", WALL, None, True), "by_address"),
        (("ban", "0.0.0.0/0", 0, "op", WALL, None, True), "at most /16"),
        (("ban", "2001:db8::/20", 0, "op", WALL, None, True), "at most /32"),
        (("ban", "example.com", 0, "op", WALL, None, True), "not an address"),
    ],
)
def test_bad_sanctions_name_their_field(args: tuple, problem: str) -> None:  # type: ignore[type-arg]
    full = args if len(args) > 3 else (*args, "op", WALL)
    with pytest.raises(ValueError, match=problem):
        Sanction.checked(*full)  # type: ignore[arg-type]


def test_a_sanction_survives_the_bus_and_says_why_in_both_languages() -> None:
    mute = Sanction.checked("mute", "bob", ReportReason.HATE, "operator:noi", WALL, minutes=5)
    assert Sanction.from_json(mute.to_json()) == mute
    kind, text = mute.notice() or (None, None)
    assert kind == NoticeKind.MUTE and "เกลียดชัง" in text.th and "hateful" in text.en
    assert Sanction.checked("unban", "bob", 0, "op", WALL).notice() is None
    with pytest.raises((ValueError, KeyError, TypeError)):
        Sanction.from_json({**mute.to_json(), "action": "explode"})
    assert str(network("203.0.113.9/24")) == "203.0.113.0/24"


# -- the chat log ------------------------------------------------------------------------------


def test_the_chat_log_is_bounded_and_gives_recent_lines_nearby() -> None:
    log = ChatLog()
    for i in range(CHAT_LOG_LINES + 50):
        log.said(Line(float(i), 1, "bob", "บ๊อบ", f"line {i}", 0.0, 0.0))
    assert len(log.lines) == CHAT_LOG_LINES
    near = log.near(0.0, 0.0, float(CHAT_LOG_LINES + 50))
    assert len(near) == CONTEXT_LINES and near[-1]["text"] == f"line {CHAT_LOG_LINES + 49}"
    log.said(Line(3000.0, 2, None, "ไกล", "far away", 500.0, 0.0))
    assert all(line["text"] != "far away" for line in log.near(0.0, 0.0, 3000.0))
    assert log.near(0.0, 0.0, 1e6) == []  # all older than ten minutes


# -- the street ----------------------------------------------------------------------------------


class Street1:
    """One street with moderation, sessions driven by hand."""

    def __init__(self) -> None:
        tokens = (f"token-{i}" for i in itertools.count())
        self.guard = Guard()
        world = PresenceWorld(
            manifest([(10.0, 0.0), (12.0, 0.0)]),
            token_factory=lambda: next(tokens),
            guard=self.guard,
        )
        self.desk = ModerationDesk(world, self.guard, {"B01": (14.0, 0.0)})
        self.street = Street(world, moderation=self.desk)
        self.now = 100.0
        self.sids = itertools.count(1)
        self.inbox: dict[int, list] = {}  # type: ignore[type-arg]
        self.closed: dict[int, CloseCode] = {}
        self.applies: list[Apply] = []

    def apply(self, effects) -> None:  # type: ignore[no-untyped-def]
        for e in effects:
            if isinstance(e, Send):
                self.inbox.setdefault(e.session, []).append(decode(e.data, ALL, None))
            elif isinstance(e, Close):
                self.closed[e.session] = e.code
            elif isinstance(e, Apply):
                self.applies.append(e)

    def send(self, sid: int, msg) -> list:  # type: ignore[no-untyped-def]
        before = len(self.inbox.get(sid, []))
        self.apply(self.street.receive(sid, encode(msg), self.now, WALL))
        return self.inbox.get(sid, [])[before:]

    def join(self, name: str, visitor_id: str) -> tuple[int, int]:
        sid = next(self.sids)
        self.apply(self.street.connect(sid, self.now))
        (welcome,) = self.send(sid, Hello(1, name, (1, 2, 3), visitor_id=visitor_id))
        assert isinstance(welcome, Welcome)
        return sid, welcome.avatar_id

    def sanction(self, action: str, target: str, **kw) -> None:  # type: ignore[no-untyped-def]
        s = Sanction.checked(action, target, ReportReason.HARASSMENT, "operator:noi", WALL, **kw)
        self.apply(self.desk.sanction(s, self.now, WALL))


def test_chat_is_masked_for_everyone_and_kept_for_context() -> None:
    s = Street1()
    s.guard.filter = WordFilter(["ควาย"])
    alice, _ = s.join("อลิซ", "alice")
    bob, _ = s.join("บ๊อบ", "bob")
    s.send(bob, Chat("ไอ้ควาย ไปไกล ๆ"))
    (heard,) = [m for m in s.inbox[alice] if isinstance(m, ChatSaid)]
    assert heard.text == "ไอ้**** ไปไกล ๆ"
    assert s.guard.log.lines[-1].text == heard.text and s.guard.log.lines[-1].visitor_id == "bob"


def test_a_muted_visitor_is_told_why_and_their_chat_is_refused_until_it_ends() -> None:
    s = Street1()
    alice, _ = s.join("อลิซ", "alice")
    bob, _ = s.join("บ๊อบ", "bob")
    s.sanction("mute", "bob", minutes=10)
    (notice,) = [m for m in s.inbox[bob] if isinstance(m, Notice)]
    assert notice.kind == NoticeKind.MUTE and notice.until == 600
    assert "ปิดการแชท" in notice.text.th and "muted" in notice.text.en
    heard_before = len(s.inbox.get(alice, []))
    (refusal,) = s.send(bob, Chat("ยังพูดได้ไหม", cid=7))
    assert isinstance(refusal, Error) and refusal.code == ErrorCode.MUTED and refusal.cid == 7
    assert "600 s" in refusal.message
    assert len(s.inbox.get(alice, [])) == heard_before, "nobody hears a muted visitor"
    s.now += 601
    s.send(bob, Chat("พูดได้แล้ว"))
    assert any(isinstance(m, ChatSaid) and m.text == "พูดได้แล้ว" for m in s.inbox[alice])
    assert bob not in s.closed


def test_kick_and_ban_close_the_visitors_sessions_and_a_ban_keeps_them_out() -> None:
    s = Street1()
    alice, _ = s.join("อลิซ", "alice")
    bob, _ = s.join("บ๊อบ", "bob")
    s.sanction("kick", "bob")
    assert s.closed == {bob: CloseCode.ABUSE}
    assert isinstance(s.inbox[bob][-1], Notice) and s.inbox[bob][-1].kind == NoticeKind.KICK
    s.apply(s.street.disconnect(bob, s.now))
    again, _ = s.join("บ๊อบ", "bob")  # a kick is not a ban
    s.sanction("ban", "bob")
    assert s.closed[again] == CloseCode.ABUSE and alice not in s.closed
    sid = next(s.sids)
    s.apply(s.street.connect(sid, s.now))
    (refusal,) = s.send(sid, Hello(1, "บ๊อบ", (1, 2, 3), visitor_id="bob"))
    assert isinstance(refusal, Error) and refusal.code == ErrorCode.BANNED
    assert s.closed[sid] == CloseCode.ABUSE


def test_a_report_of_a_chat_line_is_filed_with_the_chat_nearby() -> None:
    s = Street1()
    alice, _ = s.join("อลิซ", "alice")
    bob, bob_avatar = s.join("บ๊อบ", "bob")
    s.send(bob, Chat("ไปให้พ้น"))
    s.send(alice, Chat("อย่าพูดแบบนี้"))
    report = Report(1, ReportReason.HARASSMENT, avatar=bob_avatar, said="ไปให้พ้น", cid=3)
    assert s.send(alice, report) == []
    (apply,) = s.applies
    assert isinstance(apply.step, FileReport)
    filed: ReportRecord = apply.step.report
    assert (filed.reporter, filed.visitor_id, filed.name, filed.said) == (
        "alice",
        "bob",
        "บ๊อบ",
        "ไปให้พ้น",
    )
    assert [c["text"] for c in filed.context] == ["ไปให้พ้น", "อย่าพูดแบบนี้"]
    s.apply(s.street.stored(apply.job, 42, WALL))
    (reply,) = [m for m in s.inbox[alice] if isinstance(m, Reported)]
    assert reply.report_id == 42 and reply.cid == 3


@pytest.mark.parametrize(
    ("report", "code"),
    [
        (Report(0, 0, avatar=999), ErrorCode.UNKNOWN_AVATAR),
        (Report(0, 0), ErrorCode.BAD_REPORT),
        (Report(1, 0, avatar=1), ErrorCode.BAD_REPORT),  # a chat report quotes the line
        (Report(0, 0, avatar=1, said="x"), ErrorCode.BAD_REPORT),
        (Report(2, 0, slot="Z99"), ErrorCode.BAD_REPORT),
        (Report(7, 0, avatar=1), ErrorCode.BAD_REPORT),
        (Report(0, 77, avatar=1), ErrorCode.BAD_REPORT),
    ],
)
def test_bad_reports_are_refused_and_the_session_stays(report: Report, code: ErrorCode) -> None:
    s = Street1()
    alice, _ = s.join("อลิซ", "alice")
    (refusal,) = s.send(alice, report)
    assert isinstance(refusal, Error) and refusal.code == code and s.applies == []
    assert alice not in s.closed


def test_a_booth_report_carries_the_chat_near_the_booth() -> None:
    s = Street1()
    alice, _ = s.join("อลิซ", "alice")
    s.send(alice, Chat("ซุ้มนี้ขายของปลอม"))
    s.send(alice, Report(2, ReportReason.SCAM, slot="B01", note="ของปลอม"))
    (apply,) = s.applies
    filed = apply.step.report  # type: ignore[attr-defined]
    assert filed.slot == "B01" and filed.note == "ของปลอม"
    assert [c["text"] for c in filed.context] == ["ซุ้มนี้ขายของปลอม"]
    assert math.isclose(filed.at, WALL)


def test_replayed_sanctions_close_only_visitors_banned_now() -> None:
    s = Street1()
    s.join("อลิซ", "alice")
    bob, _ = s.join("บ๊อบ", "bob")
    table = s.guard.sanctions
    for action, who in [("ban", "alice"), ("unban", "alice"), ("ban", "bob"), ("kick", "alice")]:
        table.apply(Sanction.checked(action, who, 0, "op", WALL), s.now, WALL)
    s.apply(s.desk.enforce_bans(s.now))
    assert s.closed == {bob: CloseCode.ABUSE}
