"""Admission: how much of the street one network address may hold, decided without I/O.

One machine must not be able to lock or farm the street by opening sockets, yet a whole school
or a mobile carrier's CGNAT (a couple of hundred honest people behind one public address) must
get in. So the limits are per *address* and sized for such a crowd (:class:`AdmissionLimits`);
they stop one machine from holding thousands of sockets or cycling hundreds of handshakes a
second, not a crowd from meeting. An address is an IPv4 address (/32) or an IPv6 /64 (one
home or phone gets a whole /64, so counting single IPv6 addresses would count nothing).

Per address, :class:`Admission` keeps

* the WebSocket sockets open now (at most ``sockets_per_address``);
* a token bucket of WebSocket handshakes (``hellos_per_minute`` on average, ``hello_burst`` at
  once: everyone behind a school's address reconnecting after a Wi-Fi drop gets back in);
* the TCP connections that have gone a second without sending a whole request head
  (``pending_per_address``): what slowloris and silent connections hold, and honest clients,
  who send theirs within milliseconds, never do.
* (:class:`NewIdentities`) a token bucket of new visitor identities, charged when a proof of
  work registers one (``identities_per_hour``, ``identity_burst``);
* the avatars its closed sockets left waiting for a resume (:meth:`Admission.hold`): they
  count against ``sockets_per_address`` like open sockets until they are resumed or their
  resume window ends, so connect → hello → close over and over cannot fill the street with
  one address's held avatars. A resumed avatar frees its place (checked lazily through the
  ``still_held`` question the caller passes, only when the address is at its limit).

A refusal is a :class:`Denial` with a reason and the seconds after which trying again can
succeed; the I/O layer answers it (HTTP 429 with ``Retry-After``) and counts it. The table is
bounded: past ``addresses_max`` it forgets the least recently used address, preferring one with
nothing open; it never clears everything at once (that would hand every limited address a
fresh burst together). Forgetting an address that still has sockets open only makes its count
restart lower: the error is always towards letting people in.

The clock is passed in (``now``, seconds), as everywhere in the rules. Which address a request
comes from (the peer, or the client a trusted proxy names in ``X-Forwarded-For``) is decided by
:func:`client_address`.
"""

from __future__ import annotations

import ipaddress
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice

from srichan_world.world.ratelimit import TokenBucket

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

IPV6_PREFIX = 64
"""IPv6 clients are counted by /64: the smallest block a home or a phone is given."""
EVICT_SCAN = 8
"""How many of the least recently used addresses a full table looks at for an idle one."""


class Reason(StrEnum):
    """Why an address was turned away (the ``reason`` label of the refusal counter)."""

    SOCKETS = "sockets"
    HELLOS = "hellos"
    PENDING = "pending"
    IDENTITIES = "identities"


@dataclass(frozen=True)
class AdmissionLimits:
    """Per-address limits; the defaults let ~200 people behind one address in (see module)."""

    sockets_per_address: int = 300
    """WebSockets open at once: 200 people, some with a second tab."""
    hellos_per_minute: float = 120.0
    """WebSocket handshakes per minute on average, after the burst."""
    hello_burst: int = 300
    """Handshakes at once: the whole crowd reconnecting after a network drop."""
    pending_per_address: int = 128
    """TCP connections still without a whole request head after a second."""
    addresses_max: int = 16_384
    """Addresses remembered; past it the least recently used is forgotten."""
    socket_retry_s: int = 30
    """Retry-After for a refusal at the socket limit (someone must leave first)."""
    identities_per_hour: float = 600.0
    """New visitor identities registered per hour on average, after the burst: a busy
    carrier's address sees new phones all day, a farm wants thousands an hour."""
    identity_burst: int = 200
    """New identities at once: a school class of first-time visitors behind one address."""


@dataclass(frozen=True)
class Denial:
    """Turned away: why, and after how many whole seconds a retry may succeed."""

    reason: Reason
    retry_after_s: int


class _Address:
    __slots__ = ("held", "hellos", "pending", "sockets")

    def __init__(self, limits: AdmissionLimits, now: float) -> None:
        self.sockets = 0
        self.pending = 0
        self.hellos = TokenBucket(limits.hellos_per_minute / 60.0, limits.hello_burst, now)
        self.held: dict[str, float] = {}
        """Resume token → end of its window, in the order held (so also by end: the window
        is the same for all)."""


class Admission:
    """The per-address table; every method is O(1) (eviction looks at ``EVICT_SCAN`` entries)."""

    def __init__(self, limits: AdmissionLimits = AdmissionLimits()) -> None:
        self.limits = limits
        self._table: OrderedDict[str, _Address] = OrderedDict()
        self._holders: dict[str, str] = {}
        """Resume token → the address whose closed socket left that avatar held."""
        self.evicted = 0
        """Addresses forgotten because the table was full (since start)."""

    def tracked(self) -> int:
        """Addresses in the table now."""
        return len(self._table)

    def open_socket(
        self, address: str, now: float, still_held: Callable[[str], bool] | None = None
    ) -> Denial | None:
        """A WebSocket handshake from ``address``: ``None`` (admitted, counted until
        :meth:`close_socket`) or why not. A refused handshake spends no token. Held avatars
        count as sockets; ``still_held(token)`` tells which of them still wait (a resumed
        one does not), asked only when the address is at its limit."""
        entry = self._entry(address, now)
        limits = self.limits
        held = entry.held
        if held:
            self._expire(entry, now)
        if entry.sockets + len(held) >= limits.sockets_per_address and still_held is not None:
            for token in [t for t in held if not still_held(t)]:
                self.release(token)
        if entry.sockets + len(held) >= limits.sockets_per_address:
            retry = limits.socket_retry_s
            if held:
                retry = min(retry, max(1, math.ceil(next(iter(held.values())) - now)))
            return Denial(Reason.SOCKETS, retry)
        bucket = entry.hellos
        if not bucket.take(now):
            wait = (1.0 - bucket.tokens) / bucket.rate
            return Denial(Reason.HELLOS, max(1, math.ceil(wait)))
        entry.sockets += 1
        return None

    def close_socket(self, address: str, held: tuple[str, float] | None = None) -> None:
        """A socket of ``address`` closed; ``held``: its avatar waits for a resume, as
        ``(resume token, end of the window)``, and keeps counting until then."""
        entry = self._table.get(address)
        if entry is None:
            return
        if entry.sockets > 0:
            entry.sockets -= 1
        if held is not None:
            token, until = held
            entry.held[token] = until
            self._holders[token] = address

    def release(self, token: str) -> None:
        """The avatar held under ``token`` was resumed or removed: its place is free."""
        address = self._holders.pop(token, None)
        entry = None if address is None else self._table.get(address)
        if entry is not None:
            entry.held.pop(token, None)

    def _expire(self, entry: _Address, now: float) -> None:
        held = entry.held
        while held:
            token, until = next(iter(held.items()))
            if until > now:
                break
            del held[token]
            self._holders.pop(token, None)

    def open_pending(self, address: str, now: float) -> Denial | None:
        """A new TCP connection from ``address``: ``None`` (counted until
        :meth:`close_pending`, when its first request head is complete or it closes)."""
        entry = self._entry(address, now)
        if entry.pending >= self.limits.pending_per_address:
            return Denial(Reason.PENDING, 1)
        entry.pending += 1
        return None

    def close_pending(self, address: str) -> None:
        entry = self._table.get(address)
        if entry is not None and entry.pending > 0:
            entry.pending -= 1

    def holding(self, address: str) -> tuple[int, int]:
        """``(sockets, pending)`` counted for ``address`` now (for tests and operators)."""
        entry = self._table.get(address)
        return (0, 0) if entry is None else (entry.sockets, entry.pending)

    def held(self, address: str, now: float) -> int:
        """Avatars of ``address`` waiting for a resume at ``now`` (not yet told of resumes)."""
        entry = self._table.get(address)
        return 0 if entry is None else sum(until > now for until in entry.held.values())

    def _entry(self, address: str, now: float) -> _Address:
        table = self._table
        entry = table.get(address)
        if entry is not None:
            table.move_to_end(address)
            return entry
        if len(table) >= self.limits.addresses_max:
            self._evict()
        entry = table[address] = _Address(self.limits, now)
        return entry

    def _evict(self) -> None:
        table = self._table
        idle = next(
            (
                k
                for k, e in islice(table.items(), EVICT_SCAN)
                if not e.sockets and not e.pending and not e.held
            ),
            None,
        )
        if idle is None:
            _, entry = table.popitem(last=False)
        else:
            entry = table.pop(idle)
        for token in entry.held:
            self._holders.pop(token, None)
        self.evicted += 1


class NewIdentities:
    """Per address, a token bucket of new visitor identities (``identities_per_hour``,
    ``identity_burst``): asked only after a proof of work held, so nobody can spend another
    address's allowance without doing the work. Its own table (bounded the same way, least
    recently used forgotten first), on the wall clock the street's requests are decided at."""

    def __init__(self, limits: AdmissionLimits = AdmissionLimits()) -> None:
        self.limits = limits
        self._buckets: OrderedDict[str, _Minted] = OrderedDict()
        self.registered = 0
        """New identities let through since start (for operators: ``/metrics``)."""
        self.refused = 0

    def take(self, address: str, now: float) -> Denial | None:
        """One new identity for ``address``: ``None`` (counted) or why not."""
        buckets, limits = self._buckets, self.limits
        entry = buckets.get(address)
        if entry is None:
            if len(buckets) >= limits.addresses_max:
                buckets.popitem(last=False)
            entry = buckets[address] = _Minted(limits, now)
        else:
            buckets.move_to_end(address)
        bucket = entry.bucket
        if bucket.take(now):
            self.registered += 1
            hour = int(now // 3600)
            entry.count = entry.count + 1 if entry.hour == hour else 1
            entry.hour = hour
            return None
        self.refused += 1
        return Denial(Reason.IDENTITIES, max(1, math.ceil((1.0 - bucket.tokens) / bucket.rate)))

    def busiest(self, now: float) -> int:
        """The most new identities one address registered in the current clock hour: an
        operator's farm signal that names no address (one number, whatever the crowd)."""
        hour = int(now // 3600)
        return max((e.count for e in self._buckets.values() if e.hour == hour), default=0)


class _Minted:
    __slots__ = ("bucket", "count", "hour")

    def __init__(self, limits: AdmissionLimits, now: float) -> None:
        self.bucket = TokenBucket(limits.identities_per_hour / 3600.0, limits.identity_burst, now)
        self.hour = -1
        self.count = 0
        """New identities registered in clock hour ``hour`` (Unix seconds // 3600)."""


def address_key(ip: str) -> str:
    """The address an IP is counted under: IPv4 as it is, IPv6 as its /64, an IPv4-mapped
    IPv6 address as the IPv4 one; anything unparsable as given."""
    try:
        parsed = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False))
    return str(parsed)


def parse_networks(raw: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, ::1"`` → networks; ``ValueError`` naming a bad entry."""
    out = []
    for part in raw.replace(",", " ").split():
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"{part!r} is not an IP address or CIDR network") from None
    return tuple(out)


def is_trusted(ip: str, trusted: Sequence[Network]) -> bool:
    if not trusted:
        return False
    try:
        parsed = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in trusted)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The IP a request comes from: the TCP ``peer``, unless it is a trusted proxy; then the
    right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy (entries further
    left were written by the client and prove nothing). ``forwarded_for`` holds every
    ``X-Forwarded-For`` header value, in order. With no trusted proxy configured the header is
    ignored: anyone could write it."""
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        if not hop:
            continue
        if not is_trusted(hop, trusted):
            return hop
    return peer
