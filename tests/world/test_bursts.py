"""Redemption bursts per slot: the busiest minute of the last hour, bounded labels."""

from __future__ import annotations

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
