"""The data-protection part of the Store contract (SQLite, Redis, Redis Cluster, all real):
one visitor's export holds everything about them; their erasure leaves nothing personal,
keeps the ledger audit whole and leaves every other visitor as they were; the retention purge
removes only old raw records, and the figures come out the same."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from server.services.privacy import Privacy
from server.store import Store
from server.store.audit import audit_report
from srichan_world.errors import Refused
from srichan_world.protocol.codes import ErrorCode, ReportReason, ReportTarget
from srichan_world.scene.model import Course, Event, Lesson, Text
from srichan_world.world import xapi
from srichan_world.world.badges.records import IssuedBadge
from srichan_world.world.dialogue import Opinion, Question
from srichan_world.world.events import Calendar
from srichan_world.world.figures import Usage
from srichan_world.world.leaderboard import Board
from srichan_world.world.ledger import visitor_account
from srichan_world.world.moderation import ReportRecord, Sanction
from srichan_world.world.privacy import TOMBSTONE, Retention
from srichan_world.world.signin.links import AccountLink
from tests.server.store.conftest import SECRET, buy, make_answer, record_answer
from tests.world.booth_fixtures import T0, config, promotion, redemption

ALICE = "alice-0000001"
BOB = "bob-000000002"
SHOP = "auntie-daeng"
NAMES = {ALICE: "ป้าคำ ศรีจันทร์", BOB: "ลุงสม"}
Q = Question(
    "light-rail",
    Text("รถไฟฟ้ารางเบา", "Light rail"),
    Text("เส้นทางแรก", "The first line"),
    (Text("เห็นด้วย", "Agree"), Text("ไม่เห็นด้วย", "Disagree")),
    True,
    T0 - 60,
    T0 + 3600,
)
LESSON = Lesson("one", Text("บท", "Lesson"), Text("อ่าน", "Read"))
COURSE = Course("kk101", Text("ขอนแก่นศึกษา", "KK"), Text("ก", "a"), "ordered", (LESSON,), ())
WALK = Event(
    id="walk",
    title=Text("เดินชม", "Walk"),
    description=Text("เดินชมพิพิธภัณฑ์", "A museum walk"),
    host=Text("พิพิธภัณฑ์มีชีวิต", "Living Museum"),
    starts=T0,
    ends=T0 + 3600,
    landmark="museum",
    quiz_points=("q1",),
    bonus=30,
    capacity=20,
)


async def street(store: Store) -> None:
    await store.grant_slot("B01", SHOP, "ร้านป้าแดง", T0)
    await store.save_booth_draft("B01", SHOP, config(promotion(cost=5, coupons=10)), T0)
    await store.publish_booth("B01", SHOP, T0)
    await store.put_question(Q)


async def live(store: Store, vid: str, n: int) -> dict[str, str]:
    """A visitor who did everything the street records; the codes of their coupons."""
    await store.register_visitor(vid, SECRET, T0)
    await store.set_nickname(vid, NAMES[vid])
    for i in range(2):
        await record_answer(store, make_answer(vid, f"ans-{vid}-{i}", now=T0 + i), 500)
    await store.attend_event(Calendar().attendance(WALK, vid, 500, T0 + 60))
    used = await buy(store, redemption(vid, f"buy1-{vid}"))
    kept = await buy(store, redemption(vid, f"buy2-{vid}"))
    await store.verify_coupon(used.code, "B01", SHOP, T0 + 70)
    index = await store.next_status_index()
    await store.issue_badge(
        IssuedBadge(uuid.uuid4().hex, vid, "walk", "quest", T0, index, f"t.{index}.s")
    )
    statement = xapi.experienced_statement(vid, COURSE, LESSON, T0)
    await store.read_lesson(vid, COURSE.id, LESSON.id, statement, T0)
    await store.cast_vote(
        Q.id, vid, 0, xapi.responded_statement(vid, Q.id, Q.title, Q.options[0], T0), T0
    )
    said = f"ความเห็นของ {NAMES[vid]}"
    await store.post_opinion(
        Opinion(Q.id, 0, vid, NAMES[vid], said, T0),
        xapi.commented_statement(vid, Q.id, Q.title, said, T0),
    )
    line = {"ago_s": 3, "avatar_id": n, "visitor_id": vid, "name": NAMES[vid], "text": "สวัสดี"}
    await store.file_report(
        ReportRecord(
            int(ReportTarget.CHAT), int(ReportReason.SPAM), f"carol-{n:08d}", T0, n, vid,
            NAMES[vid], said="สวัสดี", context=(line,),
        )
    )  # fmt: skip
    await store.file_report(
        ReportRecord(int(ReportTarget.BOOTH), int(ReportReason.SCAM), vid, T0, slot="B01")
    )
    await store.add_sanction(Sanction("mute", vid, 0, "operator:noi", T0, T0 + 600))
    await store.link_account(
        AccountLink("https://access.line.me", f"U{n:032x}", vid, "line", f"sealed-{vid}", T0)
    )
    return {"used": used.code, "kept": kept.code}


def without_time(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "exported_at"}


async def test_an_export_holds_the_visitors_thai_name_ledger_and_every_family(
    store: Store,
) -> None:
    await street(store)
    await live(store, ALICE, 1)
    doc = await Privacy(store, Retention()).export(ALICE, "operator:boss")
    assert doc["found"] and doc["identity"]["nickname"] == "ป้าคำ ศรีจันทร์"
    assert "secret" not in str(doc["identity"]) and SECRET not in str(doc)
    ledger = doc["ledger"]
    assert ledger["balance"] == await store.balance(visitor_account(ALICE)) > 0
    reasons = sorted({e["transfer"]["reason"] for e in ledger["entries"]})
    assert len(ledger["entries"]) >= 4 and reasons, reasons
    assert len(doc["coupons"]["coupons"]) == 2 and len(doc["badges"]["badges"]) == 1
    assert len(doc["learning"]["answers"]) == 2 and doc["learning"]["awards"]
    assert doc["courses"]["progress"] and doc["events"]["attended"]
    assert doc["dialogue"]["questions"][0]["opinions"][0]["text"] == "ความเห็นของ ป้าคำ ศรีจันทร์"
    assert len(doc["moderation"]["reports"]) == 2 and len(doc["moderation"]["sanctions"]) == 1
    assert {s["actor"]["account"]["name"] for s in doc["statements"]} == {ALICE}
    assert len(doc["statements"]) >= 5
    (link,) = doc["account"]["links"]
    assert (link["provider"], link["subject"]) == ("line", f"U{1:032x}")
    assert "sealed-" not in str(doc), "the sealed secret is a credential, not exported"
    actions = await store.owner_actions(limit=1000)
    assert actions[-1].action == "visitor_export" and ALICE not in actions[-1].detail


async def test_an_erasure_leaves_nothing_personal_and_the_ledger_audit_whole(
    store: Store,
) -> None:
    await street(store)
    alice_codes = await live(store, ALICE, 1)
    await live(store, BOB, 2)
    privacy = Privacy(store, Retention())
    bob_before = without_time(await privacy.export(BOB))
    issued_before = dict((await store.booth("B01")).issued)  # type: ignore[union-attr]
    seats = await store.attendees("walk")
    revoked_before = await store.revoked_indexes()
    assert (await audit_report(store)).ok

    done = await privacy.erase(ALICE, "operator:boss")
    assert done["erased"] and TOMBSTONE.match(done["tombstone"])
    tomb = done["tombstone"]

    after = await privacy.export(ALICE)
    assert not after["found"], after
    report = await audit_report(store)
    assert report.ok, report.table()
    assert without_time(await privacy.export(BOB)) == bob_before, "Bob is untouched"
    everything = str(await store.entries(limit=1000)) + str(await store.reports(status=None))
    everything += str(await store.sanctions()) + str(await store.redemptions("B01", SHOP))
    everything += str((await store.statements_since(0, limit=1000)).statements)
    everything += str(await store.dialogue_tally(Q.id))
    for name in (ALICE, "ป้าคำ"):
        at = everything.find(name)
        assert at < 0, everything[max(0, at - 300) : at + 40]
    assert tomb in everything
    assert await store.balance(visitor_account(ALICE)) == 0
    assert await store.balance(visitor_account(tomb)) == 0
    assert dict((await store.booth("B01")).issued) == issued_before  # type: ignore[union-attr]
    assert await store.attendees("walk") == seats
    revoked = await store.revoked_indexes()
    assert len(revoked) == len(revoked_before) + 1, "her badge stays revoked, publicly"
    board = await store.leaderboard(Board.ALL, T0, 50)
    assert [r.visitor_id for r in board] == [BOB] if board else True
    with pytest.raises(Refused) as caught:
        await store.verify_coupon(alice_codes["kept"], "B01", SHOP, time.time())
    assert caught.value.code == ErrorCode.COUPON_EXPIRED, "an unused coupon is voided"
    with pytest.raises(Refused):
        await store.authenticate_visitor(ALICE, SECRET)
    assert done["records"]["account"] == 1
    assert await store.account_link(ALICE) is None, "no sign-in restores an erased identity"
    assert await store.account_link_of("https://access.line.me", f"U{1:032x}") is None
    assert await store.account_link(BOB) is not None
    tally = await store.dialogue_tally(Q.id)
    assert sum(tally.votes.values()) == 1 and [o.visitor_id for o in tally.opinions] == [BOB]

    assert not (await privacy.erase(tomb, "operator:boss"))["erased"], "a tombstone is nobody"
    again = await privacy.erase(ALICE, "operator:boss")
    assert again == {"erased": False, "visitor_id": ALICE}
    unknown = await privacy.erase("nobody-000000", "operator:boss")
    assert not unknown["erased"]
    assert (await audit_report(store)).ok
    assert without_time(await privacy.export(BOB)) == bob_before
    lines = [a for a in await store.owner_actions(limit=1000) if a.action == "visitor_erase"]
    assert len(lines) == 1 and ALICE not in lines[0].detail and tomb in lines[0].detail


async def test_the_purge_removes_only_old_raw_records_and_the_figures_stay(
    store: Store,
) -> None:
    await store.count_usage("2025-01-02", [Usage("quiz_open", "q1", "", 1)] * 7)
    await store.count_usage("2026-05-09", [Usage("quiz_open", "q1", "", 1)] * 5)
    figures_before = await store.usage_totals("2025-01-01", "2026-12-31")
    days_before = await store.usage_by_day("2025-01-01", "2026-12-31", ["quiz_open"])
    now = time.time()
    old, new = now - 400 * 86_400, now - 10 * 86_400
    await store.register_visitor(ALICE, SECRET, old)
    for i, at in enumerate((old, old + 1, new)):
        key = f"ans-{ALICE}-{i}"
        await record_answer(store, make_answer(ALICE, key, now=at), 500)
    for at in (old, new):
        report = ReportRecord(int(ReportTarget.BOOTH), int(ReportReason.SPAM), BOB, at, slot="B01")
        seq = await store.file_report(report)
        await store.close_report(seq, "operator:noi", "", at)
    await store.file_report(ReportRecord(int(ReportTarget.BOOTH), 0, BOB, old, slot="B02"))

    done = await Privacy(store, Retention(statements_days=365, reports_days=180)).purge()
    assert done["removed"] == {"statements": 2, "reports": 1}
    kept = (await store.statements_since(0)).statements
    assert [s["timestamp"] for s in kept] and len(kept) == 1
    left = await store.reports(status=None)
    assert [(r.at, r.status) for r in left] == [(new, "closed"), (old, "open")]
    assert await store.usage_totals("2025-01-01", "2026-12-31") == figures_before
    assert await store.usage_by_day("2025-01-01", "2026-12-31", ["quiz_open"]) == days_before
    again = await Privacy(store, Retention()).purge()
    assert again["removed"] == {"statements": 0, "reports": 0}
    assert (await audit_report(store)).ok
