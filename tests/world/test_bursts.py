"""Redemption bursts per slot: the busiest minute of the last hour, bounded labels."""

from __future__ import annotations

import pytest

from srichan_world.world import bursts as bursts_module
from srichan_world.world.bursts import RedemptionBursts

T0 = 60 * 30_000_000.0


def test_a_burst_shows_as_the_busiest_minute_for_an_hour_then_fades() -> None:
    bursts = RedemptionBursts(["B01", "B02"])
    for i in range(40):  # a farm: 40 coupons in 20 s
        assert bursts.record("B01", T0 + i * 0.5)
    for i in range(6):  # a queue: one every 2 minutes
        bursts.record("B02", T0 + i * 120)
    assert (bursts.peak("B01", T0 + 900), bursts.peak("B02", T0 + 900)) == (40, 1)
    assert bursts.peak("B01", T0 + 59 * 60) == 40
    assert bursts.peak("B01", T0 + 60 * 60) == 0, "an hour later it is gone"


def test_only_the_scenes_slots_are_counted() -> None:
    bursts = RedemptionBursts(["B01"])
    assert not bursts.record("made-up-slot", T0)
    assert bursts.slots == ("B01",) and bursts.peak("made-up-slot", T0) == 0


def test_memory_stays_at_an_hour_of_minutes_a_slot() -> None:
    bursts = RedemptionBursts(["B01"])
    for i in range(10_000):
        bursts.record("B01", T0 + i * 60)
    assert len(bursts._minutes["B01"]) == 60


def test_a_slots_hour_counts_coupons_and_distinct_buyers() -> None:
    bursts = RedemptionBursts(["B01"])
    for i in range(6):  # one visitor, six coupons
        bursts.record("B01", T0 + i * 30, "visitor-0001")
    assert (bursts.coupons("B01", T0 + 600), bursts.buyers("B01", T0 + 600)) == (6, 1)
    for n in range(2, 6):
        bursts.record("B01", T0 + 1800, f"visitor-{n:04d}")
    assert (bursts.coupons("B01", T0 + 1800), bursts.buyers("B01", T0 + 1800)) == (10, 5)
    assert bursts.buyers("B01", T0 + 3600) == 5, "the first visitor's last coupon: minute 2"
    assert bursts.buyers("B01", T0 + 3780) == 4, "an hour after it, gone"
    bursts.record("B01", T0 + 3780, "visitor-0001")
    assert bursts.buyers("B01", T0 + 5460) == 1, "only the one who came back"
    assert bursts.coupons("made-up", T0) == 0 and bursts.buyers("made-up", T0) == 0


def test_the_buyers_remembered_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bursts_module, "BUYERS_MAX", 3)
    bursts = RedemptionBursts(["B01"])
    for n in range(10):
        bursts.record("B01", T0, f"visitor-{n:04d}")
    assert bursts.buyers("B01", T0) == 3 and bursts.coupons("B01", T0) == 10
