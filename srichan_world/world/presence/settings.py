"""The tunable numbers of the presence service, checked once when the settings are made."""

from __future__ import annotations

from dataclasses import dataclass

from srichan_world.protocol import limits as L


@dataclass(frozen=True)
class PresenceSettings:
    """Tunable numbers of the presence service (protocol constants live in ``limits``)."""

    tick_hz: float = L.TICK_HZ
    k_nearest: int = L.K_NEAREST
    max_speed: float = L.MAX_SPEED
    speed_burst_s: float = L.SPEED_BURST_S
    resume_window_s: float = L.RESUME_WINDOW_S
    hello_timeout_s: float = L.HELLO_TIMEOUT_S
    idle_timeout_s: float = L.IDLE_TIMEOUT_S
    max_avatars: int = 5000
    knn_refresh_ticks: int = 20
    """The longest a crowded block's K nearest stand before they are chosen again (2 s at
    10 Hz: a walker moves 3 m meanwhile, against ~25 m to the K-th nearest in a crowd of
    1,500 on Sri Chan Road); denser blocks are chosen again sooner (blocks.py). Each choice
    costs its observers a diff."""
    knn_refresh_s_per_m: float = 0.1
    """A crowded block's nearest are chosen again at least this often per metre of its reach
    (its centre's distance to its K + 1-th nearest), within ``knn_refresh_ticks``: a visitor
    walking at 1.5 m/s drifts at most 15 % of the reach between two choices. Thin crowds
    (reach 20 m and more) keep the longest period; a festival crowd that walks (reach ~9 m)
    is chosen again in under a second, where 2 s let one observer in ten miss one of its 20
    nearest just before each choice (tools/bench/blockfit.py). 0: always the longest."""
    knn_block_m: float = 16.0
    """Crowded observers standing in the same square block share one set of K nearest
    avatars (nearest to the block's centre), its update bytes and, in the steady state, their
    frame: the work is done per block instead of per client. This is the largest block, for
    thin crowds; each interest cell halves it down to ``knn_block_min_m`` as its crowd
    thickens (blocks.py)."""
    knn_block_min_m: float = 2.0
    knn_block_fit: float = 0.65
    """A cell's blocks are kept so small that an observer stands at most this share of the
    densest block's reach (the distance from its centre to its K + 1-th nearest) from its
    block's centre: it sees everyone within ``1 - fit`` of its own block's reach. With 0.65,
    99 % of a festival crowd around one landmark see all of their 20 nearest (72 % with one
    fixed 8 m block) and a crowd spread along the street gets 16 m blocks (a third less
    work than 8 m); tools/bench/blockfit.py, docs/benchmarks.md."""
    tier_near: int = 20
    """Distance tiers (issue 16): of a crowded block's K nearest, the ``tier_near`` nearest to
    the block's centre are updated every tick (10 Hz), the next ``tier_mid`` every
    ``mid_every`` ticks (5 Hz) and the rest every ``far_every`` ticks (2 Hz). The tiers are
    the block's, so its observers still share one frame; ``tier_near >= k_nearest`` turns
    tiers off."""
    tier_mid: int = 20
    mid_every: int = 2
    far_every: int = 5
    outbox_messages: int = 256
    """Non-frame messages queued for one connection before it counts as stuck."""
    stuck_timeout_s: float = 10.0
    """A connection that has not finished a send for this long is closed (slow client)."""
    heartbeat_s: float = 20.0
    start_at_first_quest: bool = True
    """New avatars start beside the spawn point nearest the street's first quest, facing it
    (see ``places.py``); False hands out the scene's spawn points in turn (the presence
    benchmark spreads its crowd that way)."""
    zones: int = 1
    """Stretches of street served by separate processes (``--workers N`` zoned: N); 1: this
    process serves the whole street (srichan_world/world/presence/zones.py)."""
    zone: int = 0
    """The stretch this process serves."""
    zone_margin_m: float = 8.0
    """A visitor is asked to move once it stands this far inside another stretch."""
    zone_nudge_s: float = 10.0
    """A visitor still in another stretch is asked again this often."""
    gc_threshold: int = 50_000
    """Allocations between young-generation collections while the pump runs (Python's
    default, 700, means ~100 collections and 50–160 ms full-heap pauses per second at 1,500
    clients); 0 keeps the interpreter's setting."""

    def __post_init__(self) -> None:
        problems = []
        if not 10 <= self.tick_hz <= 20:
            problems.append(f"tick_hz: {self.tick_hz} must be between 10 and 20")
        if not 1 <= self.k_nearest <= 1024:
            problems.append(f"k_nearest: {self.k_nearest} must be between 1 and 1024")
        if not 0 < self.max_speed <= 50:
            problems.append(f"max_speed: {self.max_speed} must be in (0, 50] m/s")
        if self.gc_threshold < 0:
            problems.append("gc_threshold must be 0 (keep) or positive")
        if not 0 < self.knn_block_min_m <= self.knn_block_m <= 64:
            problems.append("need 0 < knn_block_min_m <= knn_block_m <= 64 (m)")
        if not 0 <= self.knn_refresh_s_per_m <= 10:
            problems.append("knn_refresh_s_per_m must be in [0, 10] s")
        if not 0 < self.knn_block_fit <= 1:
            problems.append(f"knn_block_fit: {self.knn_block_fit} must be in (0, 1]")
        if self.tier_near < 1 or self.tier_mid < 0:
            problems.append("tier_near must be at least 1 and tier_mid at least 0")
        if not 1 <= self.mid_every <= self.far_every <= L.TIER_EVERY_MAX:
            problems.append(f"need 1 <= mid_every <= far_every <= {L.TIER_EVERY_MAX}")
        if self.knn_refresh_ticks < 1 or self.max_avatars < 1:
            problems.append("knn_refresh_ticks and max_avatars must be at least 1")
        if not 1 <= self.zones <= L.ZONES_MAX or not 0 <= self.zone < self.zones:
            problems.append(f"need 1 <= zones <= {L.ZONES_MAX} and 0 <= zone < zones")
        if self.zone_margin_m < 0 or self.zone_nudge_s <= 0:
            problems.append("zone_margin_m must be at least 0 and zone_nudge_s positive")
        if min(self.resume_window_s, self.hello_timeout_s, self.idle_timeout_s) <= 0:
            problems.append("timeouts must be positive")
        if problems:
            raise ValueError("; ".join(problems))
