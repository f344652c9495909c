"""New identities per address (a token bucket charged when a proof of work holds): a school
class of first-time visitors behind one address gets in, a farm on one address does not."""

from __future__ import annotations

from srichan_world.world.admission import AdmissionLimits, NewIdentities, Reason

T0 = 1_800_000_000.0
SCHOOL, FARM = "203.0.113.7", "198.51.100.9"


def test_a_school_class_at_once_and_a_carriers_day_get_in() -> None:
    gate = NewIdentities()
    assert all(gate.take(SCHOOL, T0) is None for _ in range(200)), "a class of 200 at once"
    day = [gate.take(SCHOOL, T0 + 60 + 6.0 * i) for i in range(24 * 600)]
    assert all(d is None for d in day), "then 600 an hour, every hour"


def test_a_farm_on_one_address_is_held_to_its_allowance_and_others_are_not() -> None:
    gate = NewIdentities()
    minted = sum(gate.take(FARM, T0 + i * 0.01) is None for i in range(5_000))
    assert 200 <= minted <= 209, minted  # the burst, plus 50 s of refill at 600 an hour
    denial = gate.take(FARM, T0 + 50)
    assert denial is not None and denial.reason is Reason.IDENTITIES
    assert 1 <= denial.retry_after_s <= 6
    assert gate.take(SCHOOL, T0 + 50) is None, "another address keeps its own allowance"
    hour = sum(gate.take(FARM, T0 + 50 + i) is None for i in range(3600))
    assert hour <= 601, hour


def test_the_table_is_bounded_and_forgets_the_least_recently_used() -> None:
    gate = NewIdentities(AdmissionLimits(addresses_max=100, identity_burst=1))
    assert gate.take(FARM, T0) is None and gate.take(FARM, T0) is not None
    for n in range(100):
        gate.take(f"10.0.{n // 256}.{n % 256}", T0)
    assert len(gate._buckets) == 100
    assert gate.take(FARM, T0) is None, "forgotten: the error is towards letting people in"


def test_the_operator_sees_the_busiest_address_of_the_hour_without_its_name() -> None:
    gate = NewIdentities(AdmissionLimits(identity_burst=5))
    hour = 3600 * (T0 // 3600)
    for _ in range(7):
        gate.take(FARM, hour + 10)
    gate.take(SCHOOL, hour + 10)
    assert (gate.busiest(hour + 20), gate.registered, gate.refused) == (5, 6, 2)
    assert gate.busiest(hour + 3600) == 0, "a new hour starts from nothing"
    gate.take(SCHOOL, hour + 3600)
    assert gate.busiest(hour + 3601) == 1
