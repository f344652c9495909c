"""Held avatars count against their address: connect → hello → close over and over cannot
fill the street from one address, and a resumed avatar frees its place."""

from __future__ import annotations

from srichan_world.world.admission import Admission, AdmissionLimits, Reason

SCHOOL = "203.0.113.7"
CHURN = "198.51.100.9"
WINDOW = 30.0


def test_closed_sockets_whose_avatars_wait_keep_counting_until_the_window_ends() -> None:
    gate = Admission(AdmissionLimits(sockets_per_address=3, hello_burst=100))
    for i in range(3):
        assert gate.open_socket(CHURN, float(i)) is None
        gate.close_socket(CHURN, (f"token-{i}", i + WINDOW))
    assert gate.holding(CHURN) == (0, 0) and gate.held(CHURN, 3.0) == 3
    denial = gate.open_socket(CHURN, 10.0)
    assert denial is not None and denial.reason is Reason.SOCKETS
    assert denial.retry_after_s == 20, "when the first held avatar's window ends"
    assert gate.open_socket(CHURN, WINDOW) is None, "token-0's window is over"
    assert gate.open_socket(CHURN, WINDOW + 0.5) is not None
    assert gate.open_socket("192.0.2.1", 10.0) is None, "another address is not affected"


def test_a_resumed_avatar_frees_its_place() -> None:
    gate = Admission(AdmissionLimits(sockets_per_address=2, hello_burst=100))
    for i in range(2):
        assert gate.open_socket(CHURN, 0.0) is None
        gate.close_socket(CHURN, (f"token-{i}", WINDOW))
    resumed = {"token-1"}
    assert gate.open_socket(CHURN, 1.0, still_held=lambda t: t not in resumed) is None
    assert gate.held(CHURN, 1.0) == 1
    assert gate.open_socket(CHURN, 1.0, still_held=lambda t: True) is not None
    gate.release("token-0")  # told directly
    assert gate.held(CHURN, 1.0) == 0
    gate.release("token-0")  # twice, or unknown: harmless
    gate.release("nobody")


def test_churning_from_one_address_holds_at_most_its_allowance() -> None:
    """The review's lock-out: connect → hello → close, no socket kept open. Each cycle left
    an avatar for 30 s; now the cycles stop at the allowance until windows end."""
    limits = AdmissionLimits(sockets_per_address=300, hellos_per_minute=6_000, hello_burst=5_000)
    gate = Admission(limits)
    avatars = 0
    now = 0.0
    for i in range(3_000):  # 3,000 cycles in 3 s
        now = i / 1000
        if gate.open_socket(CHURN, now, still_held=lambda t: True) is None:
            avatars += 1
            gate.close_socket(CHURN, (f"t{i}", now + WINDOW))
    assert avatars == 300
    assert gate.held(CHURN, now) == 300


def test_a_school_that_drops_and_resumes_gets_back_in() -> None:
    """200 behind one address lose the Wi-Fi; every avatar waits; the browsers reconnect in
    waves, each resuming its avatar right after its handshake."""
    gate = Admission()
    held: set[str] = set()
    for _ in range(200):
        assert gate.open_socket(SCHOOL, 0.0) is None
    for i in range(200):  # a lesson later (the handshake tokens are back)
        gate.close_socket(SCHOOL, (f"t{i}", 100.0 + WINDOW))
        held.add(f"t{i}")
    for wave in range(4):
        tokens = [f"t{i}" for i in range(wave * 50, wave * 50 + 50)]
        for _ in tokens:
            assert gate.open_socket(SCHOOL, 101.0 + wave, still_held=held.__contains__) is None
        held.difference_update(tokens)  # their hellos resumed them
    assert gate.holding(SCHOOL) == (200, 0)


def test_forgetting_an_address_forgets_its_holds() -> None:
    gate = Admission(AdmissionLimits(addresses_max=2))
    assert gate.open_socket("192.0.2.1", 0.0) is None
    gate.close_socket("192.0.2.1", ("t1", WINDOW))
    assert gate.open_socket("192.0.2.2", 0.0) is None
    assert gate.open_socket("192.0.2.3", 0.0) is None  # the table is full: 192.0.2.1 goes
    assert gate.tracked() == 2 and gate.held("192.0.2.1", 1.0) == 0
    gate.release("t1")
