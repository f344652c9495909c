"""Prometheus metrics, one registry per app (tests run several apps in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from srichan_world.world.admission import Reason


class Metrics:
    """Every counter the service exports at ``GET /metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("srichan_connections", "Open WebSocket connections", registry=r)
        self.messages_in = Counter(
            "srichan_messages_in", "Messages received, by type", ["type"], registry=r
        )
        self.messages_out = Counter(
            "srichan_messages_out", "Messages sent, by type", ["type"], registry=r
        )
        self.bytes_in = Counter("srichan_bytes_in", "WebSocket bytes received", registry=r)
        self.bytes_out = Counter("srichan_bytes_out", "WebSocket bytes sent", registry=r)
        self.tick_seconds = Histogram(
            "srichan_tick_seconds",
            "Time to compute one presence tick",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32),
            registry=r,
        )
        self.dropped_frames = Counter(
            "srichan_dropped_frames", "Stale presence frames replaced in a full outbox", registry=r
        )
        self.slow_disconnects = Counter(
            "srichan_slow_disconnects", "Clients disconnected for a stuck outbox", registry=r
        )
        self.errors = Counter(
            "srichan_errors", "Error replies and error closes, by code", ["code"], registry=r
        )
        self.admission_refusals = Counter(
            "srichan_admission_refusals",
            "Connections turned away by a per-address limit, by reason",
            ["reason"],
            registry=r,
        )
        for reason in Reason:
            if reason is not Reason.IDENTITIES:  # counted by the gauges below
                self.admission_refusals.labels(reason.value)
        self.admission_addresses = Gauge(
            "srichan_admission_addresses", "Client addresses admission control tracks", registry=r
        )
        self.identities_busiest = Gauge(
            "srichan_new_identities_busiest_address",
            "Most new visitor identities one client address registered this clock hour",
            registry=r,
        )
        self.identities_registered = Gauge(
            "srichan_new_identities_registered",
            "New visitor identities registered after a proof of work, since start",
            registry=r,
        )
        self.identities_refused = Gauge(
            "srichan_new_identities_refused",
            "New visitor identities refused by the per-address allowance, since start",
            registry=r,
        )
        self.redemptions = Counter(
            "srichan_redemptions", "Coupons sold, by booth slot of the scene", ["slot"], registry=r
        )
        self.redemption_peak = Gauge(
            "srichan_redemption_peak_per_minute",
            "Most coupons sold at a booth slot in one minute over the last hour",
            ["slot"],
            registry=r,
        )
        self.header_timeouts = Counter(
            "srichan_header_timeouts",
            "Connections closed without a complete first request head in time",
            registry=r,
        )
        self.handoffs = Counter(
            "srichan_handoffs",
            "Zoned workers: connections passed to the worker their zone names, received from "
            "a sibling, not passed (sibling gone or full: served here), or with a bad zone",
            ["result"],
            registry=r,
        )
        for result in ("passed", "received", "failed", "invalid"):
            self.handoffs.labels(result)
