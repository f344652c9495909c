"""Ledger rules without I/O: transfers are well formed, the cap clips, the audit finds faults."""

from __future__ import annotations

import pytest

from srichan_world.world.ledger import (
    CITY_POOL,
    Entry,
    Transfer,
    allowance,
    audit,
    is_issuing,
    shop_account,
    visitor_account,
)

ALICE = visitor_account("alice-0001")
SHOP = shop_account("B01")


def t(key: str, source: str, target: str, amount: int, reason: str = "quiz q@v") -> Transfer:
    return Transfer(key, source, target, amount, reason, 1.0)


def test_only_the_pool_issues() -> None:
    assert is_issuing(CITY_POOL)
    assert not is_issuing(ALICE) and not is_issuing(SHOP)


@pytest.mark.parametrize(
    ("transfer", "message"),
    [
        (t("", CITY_POOL, ALICE, 5), "key"),
        (t("k" * 201, CITY_POOL, ALICE, 5), "key"),
        (t("k", "bank:x", ALICE, 5), "source"),
        (t("k", CITY_POOL, "visitor:", 5), "target"),
        (t("k", CITY_POOL, "visitor:a b", 5), "target"),
        (t("k", ALICE, ALICE, 5), "same account"),
        (t("k", CITY_POOL, ALICE, 0), "amount"),
        (t("k", CITY_POOL, ALICE, -3), "amount"),
        (t("k", CITY_POOL, ALICE, True), "amount"),  # type: ignore[arg-type]
        (t("k", CITY_POOL, ALICE, 2.5), "amount"),  # type: ignore[arg-type]
        (t("k", CITY_POOL, ALICE, 5, reason=""), "reason"),
    ],
)
def test_a_malformed_transfer_is_the_callers_bug(transfer: Transfer, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        transfer.check()


def test_a_retry_is_the_same_movement_whatever_its_time() -> None:
    a = t("k", CITY_POOL, ALICE, 5)
    assert a.same_movement(Transfer("k", CITY_POOL, ALICE, 5, "quiz q@v", 99.0))
    assert not a.same_movement(t("k", CITY_POOL, ALICE, 6))
    assert not a.same_movement(t("k", CITY_POOL, SHOP, 5))


@pytest.mark.parametrize(
    ("amount", "earned", "cap", "paid"),
    [(10, 0, 500, 10), (10, 495, 500, 5), (10, 500, 500, 0), (10, 600, 500, 0), (50, 0, 20, 20)],
)
def test_the_daily_cap_clips_an_award(amount: int, earned: int, cap: int, paid: int) -> None:
    assert allowance(amount, earned, cap) == paid


def entries(*transfers: Transfer) -> list[Entry]:
    return [Entry(i + 1, x) for i, x in enumerate(transfers)]


def test_a_healthy_ledger_passes_the_audit_and_prints_a_table() -> None:
    log = entries(t("a1", CITY_POOL, ALICE, 30), t("r1", ALICE, SHOP, 20, "redeem"))
    report = audit(log, {CITY_POOL: -30, ALICE: 10, SHOP: 20})
    assert report.ok and report.transfers == 2
    assert {a.account: a.derived for a in report.accounts} == {CITY_POOL: -30, ALICE: 10, SHOP: 20}
    table = report.table()
    assert "visitor" in table and "-30" in table and table.endswith("OK")


@pytest.mark.parametrize(
    ("log", "stored", "problem"),
    [
        ([t("a1", CITY_POOL, ALICE, 30)], {CITY_POOL: -30, ALICE: 31}, "stored balance 31"),
        ([t("a1", CITY_POOL, ALICE, 30)], {CITY_POOL: -31, ALICE: 30}, "sum to -1"),
        ([t("r1", ALICE, SHOP, 5)], {ALICE: -5, SHOP: 5}, "negative balance -5"),
        (
            [t("a1", CITY_POOL, ALICE, 5), t("a1", CITY_POOL, ALICE, 5)],
            {CITY_POOL: -10, ALICE: 10},
            "recorded 2 times",
        ),
        ([t("a1", CITY_POOL, ALICE, 0)], {}, "amount"),
    ],
)
def test_the_audit_finds_every_broken_invariant(
    log: list[Transfer], stored: dict[str, int], problem: str
) -> None:
    report = audit(entries(*log), stored)
    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems
    assert report.table().endswith("FAILED")
