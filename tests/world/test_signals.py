"""The console's abuse signals: processes put together, no address or visitor, small groups
hidden."""

from __future__ import annotations

from srichan_world.world.admission import AdmissionLimits, NewIdentities
from srichan_world.world.bursts import RedemptionBursts
from srichan_world.world.signals import Signals, process_signals, signals

T0 = 60 * 30_000_000.0


def test_one_process_signals_from_its_identities_and_bursts() -> None:
    identities = NewIdentities(AdmissionLimits())
    for _ in range(7):
        assert identities.take("203.0.113.9", T0) is None
    identities.take("198.51.100.1", T0)
    bursts = RedemptionBursts(["B01", "B02"])
    for n in range(40):  # a farm: 40 identities, 40 coupons in 20 s
        bursts.record("B01", T0 + n * 0.5, f"farm-{n:04d}")
    for _ in range(6):  # one visitor's six coupons
        bursts.record("B02", T0, "visitor-0001")
    own = process_signals(identities.busiest(T0), bursts, T0 + 30)
    assert own == Signals(7, (("B01", 40, 40, 40), ("B02", 6, 1, 6)))
    assert Signals.from_json(own.to_json()) == own
    got = signals([("host:1", 0.0, own)])
    assert got["busiest_new_identities"] == 7
    assert got["booths"] == [
        {"slot": "B01", "coupons": 40, "busiest_minute": 40},
        {"slot": "B02", "coupons": None, "busiest_minute": None},
    ], "six coupons by one visitor are that visitor's activity, not a burst"
    assert "203.0.113" not in str(got) and "visitor-" not in str(got) and "farm-" not in str(got)


def test_processes_add_up_before_small_groups_are_hidden() -> None:
    a = Signals(3, (("B01", 4, 3, 2),))
    b = Signals(4, (("B01", 3, 2, 3), ("B02", 2, 2, 1)))
    got = signals([("host:2", 1.26, b), ("host:1", 0.0, a)])
    assert got["processes"] == [
        {"process": "host:1", "age_s": 0.0, "busiest_new_identities": None},
        {"process": "host:2", "age_s": 1.3, "busiest_new_identities": None},
    ]
    assert got["busiest_new_identities"] is None, "the busiest address of any process: 4"
    assert got["booths"] == [
        {"slot": "B01", "coupons": 7, "busiest_minute": 3},
        {"slot": "B02", "coupons": None, "busiest_minute": None},
    ], "B01: 3 + 2 buyers, 4 + 3 coupons, the busiest minute of either process"
    assert got["min_group"] == 5 and got["window_minutes"] == 60
