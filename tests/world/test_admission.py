"""Admission rules without sockets: the clock is an argument, every scenario is a transcript."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srichan_world.world.admission import (
    Admission,
    AdmissionLimits,
    Denial,
    Reason,
    address_key,
    client_address,
    parse_networks,
)

SCHOOL = "203.0.113.7"


def test_a_school_of_200_behind_one_address_gets_in_drops_and_gets_back_in() -> None:
    """The defaults' purpose: a whole crowd behind one address never notices them."""
    gate = Admission()
    for _ in range(200):
        assert gate.open_socket(SCHOOL, 0.0) is None
    for _ in range(200):  # the Wi-Fi drops: everyone is cut at once ...
        gate.close_socket(SCHOOL)
    for i in range(200):  # ... and the browsers reconnect over the next 30 s
        assert gate.open_socket(SCHOOL, 60.0 + i * 0.15) is None
    for _ in range(50):  # a quarter open a second tab
        assert gate.open_socket(SCHOOL, 120.0) is None
    assert gate.holding(SCHOOL) == (250, 0)


def test_one_machine_cannot_hold_more_than_its_sockets() -> None:
    gate = Admission()
    admitted = sum(gate.open_socket("198.51.100.1", 0.0) is None for _ in range(400))
    assert admitted == 300
    assert gate.open_socket("198.51.100.1", 0.0) == Denial(Reason.SOCKETS, 30)
    assert gate.open_socket("198.51.100.2", 0.0) is None  # someone else is unaffected
    gate.close_socket("198.51.100.1")
    assert gate.open_socket("198.51.100.1", 0.0).reason is Reason.HELLOS  # type: ignore[union-attr]
    assert gate.open_socket("198.51.100.1", 1.0) is None  # the burst is spent; 2 a second


def test_cycling_handshakes_runs_out_of_tokens_and_is_told_when_to_retry() -> None:
    gate = Admission(AdmissionLimits(hellos_per_minute=60, hello_burst=10))
    admitted = 0
    for i in range(700):  # 700 connect/close cycles in one second
        if gate.open_socket("198.51.100.1", i / 700) is None:
            admitted += 1
            gate.close_socket("198.51.100.1")
    assert admitted == 10  # the burst; the token earned meanwhile is not whole yet
    assert gate.open_socket("198.51.100.1", 0.999) == Denial(Reason.HELLOS, 1)
    assert gate.open_socket("198.51.100.1", 1.0) is None  # one token a second
    assert gate.open_socket("198.51.100.1", 1.0) == Denial(Reason.HELLOS, 1)


def test_a_refusal_at_the_socket_limit_spends_no_handshake_token() -> None:
    gate = Admission(AdmissionLimits(sockets_per_address=2, hello_burst=3))
    assert gate.open_socket("a", 0.0) is None and gate.open_socket("a", 0.0) is None
    for _ in range(10):
        assert gate.open_socket("a", 0.0) == Denial(Reason.SOCKETS, 30)
    gate.close_socket("a")
    assert gate.open_socket("a", 0.0) is None  # the third token was still there


def test_unfinished_connections_are_capped_per_address() -> None:
    gate = Admission(AdmissionLimits(pending_per_address=3))
    assert all(gate.open_pending("a", 0.0) is None for _ in range(3))
    assert gate.open_pending("a", 0.0) == Denial(Reason.PENDING, 1)
    assert gate.open_pending("b", 0.0) is None
    gate.close_pending("a")
    assert gate.open_pending("a", 0.0) is None
    assert gate.holding("a") == (0, 3)


def test_a_full_table_forgets_the_least_recently_used_idle_address_never_all() -> None:
    gate = Admission(AdmissionLimits(addresses_max=16))
    assert gate.open_socket("busy", 0.0) is None  # the oldest entry, but it holds a socket
    for i in range(15):
        gate.open_pending(f"10.0.0.{i}", 0.0)
        gate.close_pending(f"10.0.0.{i}")
    assert gate.tracked() == 16
    assert gate.open_socket("newcomer", 1.0) is None
    assert gate.tracked() == 16 and gate.evicted == 1
    assert gate.holding("busy") == (1, 0)  # kept: the idle 10.0.0.0 went instead
    assert gate.holding("10.0.0.0") == (0, 0)
    for i in range(100):
        gate.open_socket(f"192.0.2.{i}", 2.0)
    assert gate.tracked() == 16  # bounded, one at a time


def test_closing_what_was_forgotten_is_harmless() -> None:
    gate = Admission(AdmissionLimits(addresses_max=16))
    gate.close_socket("never-seen")
    gate.close_pending("never-seen")
    assert gate.tracked() == 0


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 3)), max_size=300))
def test_counts_stay_within_zero_and_the_limit(ops: list[tuple[bool, int]]) -> None:
    gate = Admission(AdmissionLimits(sockets_per_address=5, hello_burst=1000))
    for i, (opening, who) in enumerate(ops):
        address = f"10.1.1.{who}"
        if opening:
            gate.open_socket(address, float(i))
        else:
            gate.close_socket(address)
        assert 0 <= gate.holding(address)[0] <= 5


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("fe80::1%eth0", "fe80::/64"),
        ("not-an-ip", "not-an-ip"),
    ],
)
def test_addresses_are_ipv4_hosts_and_ipv6_slash_64s(ip: str, key: str) -> None:
    assert address_key(ip) == key


PROXY = parse_networks("10.0.0.0/8, ::1")


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    assert client_address("198.51.100.9", ["1.2.3.4"], PROXY) == "198.51.100.9"
    assert client_address("10.0.0.2", ["198.51.100.9"], PROXY) == "198.51.100.9"
    assert client_address("10.0.0.2", ["198.51.100.9"], ()) == "10.0.0.2"


def test_the_right_most_untrusted_hop_is_the_client() -> None:
    # the client wrote "1.2.3.4" itself; nginx appended the address it saw
    assert client_address("10.0.0.2", ["1.2.3.4, 198.51.100.9"], PROXY) == "198.51.100.9"
    # two proxies of ours in a row, the header split over two lines
    assert client_address("::1", ["198.51.100.9", "10.0.0.3"], PROXY) == "198.51.100.9"
    # nothing but our own proxies: the peer is all we know
    assert client_address("10.0.0.2", ["10.0.0.3"], PROXY) == "10.0.0.2"
    assert client_address("10.0.0.2", [], PROXY) == "10.0.0.2"


def test_trusted_networks_are_parsed_and_bad_ones_named() -> None:
    assert parse_networks("127.0.0.1") == (ipaddress.ip_network("127.0.0.1/32"),)
    assert parse_networks("") == ()
    with pytest.raises(ValueError, match="'nginx'"):
        parse_networks("10.0.0.0/8,nginx")
