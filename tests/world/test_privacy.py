"""The privacy rules without a store: tombstones, renamed ledger rows (the audit of a renamed
ledger is the audit of the original), scrubbed reports, retention limits, export summaries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srichan_world.world import privacy
from srichan_world.world.ledger import CITY_POOL, Entry, Transfer, audit, visitor_account
from srichan_world.world.privacy import Retention

VID = "alice-0000001"
TOMB = privacy.tombstone("0123456789abcdef")


def test_a_tombstone_is_fresh_random_hex_and_nothing_else() -> None:
    assert TOMB == "erased-0123456789abcdef" and privacy.TOMBSTONE.match(TOMB)
    for bad in ("", "0123", "0123456789ABCDEF", "0123456789abcdeg", "../0123456789abc"):
        with pytest.raises(ValueError):
            privacy.tombstone(bad)


def test_a_transfer_names_the_tombstone_wherever_it_named_the_visitor() -> None:
    t = Transfer(f"award:{VID}:quiz:q1@3", CITY_POOL, visitor_account(VID), 5, "quiz q1", 1.0)
    renamed = privacy.rename_transfer(t, VID, TOMB)
    assert renamed == Transfer(
        f"award:{TOMB}:quiz:q1@3", CITY_POOL, visitor_account(TOMB), 5, "quiz q1", 1.0
    )
    renamed.check()
    other = Transfer("gift-1", CITY_POOL, visitor_account("bob-000000002"), 5, "gift", 1.0)
    assert privacy.rename_transfer(other, VID, TOMB) == other
    assert privacy.names_visitor(t, VID) and not privacy.names_visitor(other, VID)


@given(st.lists(st.tuples(st.sampled_from([0, 1, 2]), st.integers(1, 50)), max_size=30))
def test_renaming_a_ledger_keeps_its_audit(moves: list[tuple[int, int]]) -> None:
    accounts = [visitor_account(VID), visitor_account("bob-000000002"), "shop:auntie"]
    entries, balance = [], {a: 0 for a in accounts}
    for seq, (who, amount) in enumerate(moves, start=1):
        t = Transfer(f"k:{VID}:{seq}", CITY_POOL, accounts[who], amount, "gift", 1.0)
        entries.append(Entry(seq, t))
        balance[accounts[who]] += amount
    held = balance[accounts[0]]
    closing = privacy.closing_transfer(VID, TOMB, held, 2.0)
    if closing is not None:
        entries.append(Entry(len(entries) + 1, closing))
    stored = {**balance, accounts[0]: 0, CITY_POOL: -sum(balance.values()) + held}
    assert audit(entries, stored).ok
    renamed = [Entry(e.seq, privacy.rename_transfer(e.transfer, VID, TOMB)) for e in entries]
    stored[visitor_account(TOMB)] = stored.pop(accounts[0])
    report = audit(renamed, stored)
    assert report.ok, report.problems
    assert VID not in str(renamed)


def test_no_closing_entry_for_an_empty_balance() -> None:
    assert privacy.closing_transfer(VID, TOMB, 0, 1.0) is None
    closing = privacy.closing_transfer(VID, TOMB, 7, 1.0)
    assert closing is not None and (closing.source, closing.target, closing.amount) == (
        visitor_account(VID),
        CITY_POOL,
        7,
    )


def test_a_report_keeps_what_happened_and_loses_the_person() -> None:
    stored = {
        "reporter": "bob-000000002",
        "visitor_id": VID,
        "name": "ป้าคำ",
        "note": "น่ารำคาญ",
        "context": [
            {"visitor_id": VID, "name": "ป้าคำ", "text": "ไอ้..."},
            {"visitor_id": "bob-000000002", "name": "ลุงสม", "text": "หยุดนะ"},
        ],
    }
    assert privacy.report_concerns(stored, VID)
    scrubbed = privacy.scrub_report(stored, VID, TOMB)
    assert scrubbed["visitor_id"] == TOMB and scrubbed["name"] == privacy.ERASED_NAME
    assert scrubbed["note"] == "น่ารำคาญ", "the reporter's note is the reporter's"
    assert scrubbed["context"][0] == {"visitor_id": TOMB, "name": privacy.ERASED_NAME, "text": ""}
    assert scrubbed["context"][1] == stored["context"][1]
    by_her = privacy.scrub_report({**stored, "reporter": VID, "visitor_id": None}, VID, TOMB)
    assert by_her["reporter"] == TOMB and by_her["note"] is None
    assert "ป้าคำ" not in str(privacy.scrub_report(stored, VID, TOMB))
    assert not privacy.report_concerns({"reporter": "x", "context": []}, VID)


@pytest.mark.parametrize(
    ("statements", "reports", "ok"),
    [(365, 180, True), (0, 0, True), (7, 3650, True), (6, 180, False), (365, 3651, False)],
)
def test_retention_is_zero_or_a_week_to_ten_years(statements: int, reports: int, ok: bool) -> None:
    assert (Retention(statements, reports).problems() == []) == ok


def test_retention_cutoffs() -> None:
    now = 1_800_000_000.0
    assert Retention(365, 180).cutoffs(now) == (now - 365 * 86_400, now - 180 * 86_400)
    assert Retention(0, 0).cutoffs(now) == (None, None)


def test_an_empty_export_finds_nothing_and_a_summary_counts_records() -> None:
    doc = privacy.empty_export(VID, 1.0)
    assert not privacy.holds_anything(doc)
    assert privacy.summary(doc) == dict.fromkeys(privacy.FAMILIES, 0)
    doc["ledger"] = {"balance": 0, "entries": [{}, {}]}
    doc["identity"] = {"id": VID}
    doc["statements"] = [{}]
    assert privacy.holds_anything(doc)
    counts = privacy.summary(doc)
    assert (counts["ledger"], counts["identity"], counts["statements"]) == (2, 1, 1)
