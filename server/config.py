"""Service configuration from flags and environment, validated once at start.

Every setting has a flag and a ``SRICHAN_*`` environment variable (the flag wins), so the same
build runs from a terminal, a systemd unit or a container. :func:`load_settings` returns the
settings or raises :class:`ConfigError` listing every problem; the command line prints them and
exits with status 2.

The limits that keep one machine from locking the street (docs/security.md lists each with the
test that attacks it) are settings too; their defaults let a crowd of ~200 people behind one
address in (a school, a mobile carrier's CGNAT):

| setting | default | what it bounds |
|---|---|---|
| ``trusted_proxies`` | none | peers whose ``X-Forwarded-For`` is believed (IPs or CIDRs) |
| ``ws_per_address`` | 300 | WebSockets open at once per address (IPv4, IPv6 /64) |
| ``hellos_per_minute`` / ``hello_burst`` | 120 / 300 | WebSocket handshakes per address |
| ``pending_per_address`` | 128 | connections per address without a whole head after 1 s |
| ``header_timeout_s`` | 10 | a new connection's first request head must be complete |
| ``keepalive_timeout_s`` | 15 | idle keep-alive, and the next request head after a response |
| ``body_timeout_s`` | 10 | a request body may stall this long (60 s in all) |
| ``slow_client_s`` | 10 | a WebSocket client that stops reading is cut within this |
| ``identities_per_hour`` / ``identity_burst`` | 600 / 200 | new visitor identities per address |
| ``work_bits`` | 16 | proof of work (leading zero bits) a new visitor identity pays; 0: none |
| ``unlock_quizzes`` / ``unlock_minutes`` | 3 / 10 | learning before new tokens spend (0: off) |

Retention (docs/privacy.md): ``retain_statements_days`` (365) and ``retain_reports_days``
(180) bound how long raw per-visitor records are kept.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from server.redis_client import SCHEMES as REDIS_SCHEMES
from srichan_world.world import pending
from srichan_world.world.admission import AdmissionLimits, Network, parse_networks
from srichan_world.world.privacy import Retention
from srichan_world.world.work import DEFAULT_BITS, MAX_BITS

DEFAULT_STORE = "sqlite:///var/srichan.db"
SPAWN_RULES = ("start", "rotate")
ZONING_RULES = ("shared", "zoned")
MAX_WORKERS = 16
"""A street has 16 avatar-id lanes, one per process (server/bus/presence_relay.py)."""


WS_TRANSPORTS = ("picows", "aiohttp")


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    store: str = DEFAULT_STORE
    scene_dir: Path = Path("assets/build")
    scene_name: str = "srichan"
    tick_hz: float = 10.0
    max_speed: float = 8.0
    resume_window_s: float = 30.0
    workers: int = 1
    zoning: str = "shared"
    """With ``--workers N``: every worker shows the whole street to its visitors (``shared``),
    or worker k serves the k-th stretch and visitors move to the worker of the stretch they
    walk into (``zoned``: less work per worker where crowds mix; see
    srichan_world/world/presence/zones.py)."""
    admin_token: str = ""
    spawn: str = "start"
    """Where new visitors appear: ``start`` (beside the street's first quest, facing it) or
    ``rotate`` (every spawn point in turn, to spread a crowd)."""
    trusted_proxies: tuple[Network, ...] = ()
    ws_per_address: int = AdmissionLimits.sockets_per_address
    hellos_per_minute: float = AdmissionLimits.hellos_per_minute
    hello_burst: int = AdmissionLimits.hello_burst
    pending_per_address: int = AdmissionLimits.pending_per_address
    header_timeout_s: float = 10.0
    keepalive_timeout_s: float = 15.0
    body_timeout_s: float = 10.0
    slow_client_s: float = 10.0
    ws_transport: str = "picows"
    """Who speaks WebSocket on ``/ws``: ``picows`` (Cython, on the same port, through the
    connection gate) or ``aiohttp`` (the fallback)."""
    identities_per_hour: float = AdmissionLimits.identities_per_hour
    identity_burst: int = AdmissionLimits.identity_burst
    work_bits: int = DEFAULT_BITS
    """Proof of work a new visitor identity pays (2**bits hashes on average; 0: none)."""
    unlock_quizzes: int = pending.QUIZZES
    unlock_minutes: float = pending.MINUTES
    """A new identity's tokens are spendable once it passed ``unlock_quizzes`` distinct
    quizzes and ``unlock_minutes`` went by since its first visit (both 0: no pending)."""
    public_url: str = ""
    """The street's public origin (``https://host``): the base of every URL inside an Open
    Badge. Empty: ``http://<host>:<port>``, fine on one machine only."""
    watch: Path | None = None
    """Live reload: the scene file (TOML) to build at start and again whenever it or its
    models change (``srichan serve --watch``)."""
    watch_interval_s: float = 0.25
    signin_config: Path | None = None
    """Optional sign-in with OpenID Connect: a TOML file naming the providers (LINE, Google)
    and the sign-in key file (docs/deploy.md). None: no sign-in, nothing changes."""
    retain_statements_days: int = Retention.statements_days
    """Raw learning events (xAPI statements) are deleted this many days after they were
    stored (0: kept); the figures' daily counters are kept regardless (docs/privacy.md)."""
    retain_reports_days: int = Retention.reports_days
    """Closed moderation reports, with the chat lines they quote, are deleted this many days
    after they were filed (0: kept)."""
    worker_index: int = 0
    """This process's place among ``workers`` (set by the parent of ``--workers N``; worker k
    serves the k-th zone of the street)."""
    siblings_dir: Path | None = None
    """Set by the parent of ``--workers N``: the private folder of the workers' Unix sockets
    (server/handoff.py). None: a single process, nothing is passed."""
    web_root: Path = Path(__file__).parent / "web"
    node_modules: Path = Path(__file__).parent.parent / "node_modules"

    def badge_base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    def retention(self) -> Retention:
        return Retention(self.retain_statements_days, self.retain_reports_days)

    def admission_limits(self) -> AdmissionLimits:
        return AdmissionLimits(
            sockets_per_address=self.ws_per_address,
            hellos_per_minute=self.hellos_per_minute,
            hello_burst=self.hello_burst,
            pending_per_address=self.pending_per_address,
            identities_per_hour=self.identities_per_hour,
            identity_burst=self.identity_burst,
        )


# name, env var, type (or parser), help
_OPTIONS: tuple[tuple[str, str, Callable[[str], object], str], ...] = (
    ("host", "SRICHAN_HOST", str, "address to listen on"),
    ("port", "SRICHAN_PORT", int, "TCP port (0 picks a free one)"),
    ("store", "SRICHAN_STORE", str, "sqlite:///path.db (default) or redis://host:port/db"),
    ("scene_dir", "SRICHAN_SCENE_DIR", Path, "folder with the compiled scene"),
    ("scene_name", "SRICHAN_SCENE_NAME", str, "file stem of the compiled scene"),
    ("tick_hz", "SRICHAN_TICK_HZ", float, "presence ticks per second (10–20)"),
    ("max_speed", "SRICHAN_MAX_SPEED", float, "fastest allowed avatar speed, m/s"),
    ("resume_window_s", "SRICHAN_RESUME_WINDOW_S", float, "seconds a dropped avatar waits"),
    ("workers", "SRICHAN_WORKERS", int, "server processes on the port (more than 1 needs Redis)"),
    (
        "zoning",
        "SRICHAN_ZONING",
        str,
        "workers share the whole street (shared) or split it (zoned)",
    ),
    ("admin_token", "SRICHAN_ADMIN_TOKEN", str, "bearer token for admin endpoints"),
    ("public_url", "SRICHAN_PUBLIC_URL", str, "public origin, e.g. https://srichan.example"),
    ("spawn", "SRICHAN_SPAWN", str, "new visitors appear at the first quest (start) or rotate"),
    (
        "trusted_proxies",
        "SRICHAN_TRUSTED_PROXIES",
        parse_networks,
        "reverse proxies (IPs/CIDRs, comma-separated) whose X-Forwarded-For is believed",
    ),
    ("ws_per_address", "SRICHAN_WS_PER_ADDRESS", int, "WebSockets open at once per address"),
    ("hellos_per_minute", "SRICHAN_HELLOS_PER_MINUTE", float, "handshakes/min per address"),
    ("hello_burst", "SRICHAN_HELLO_BURST", int, "handshakes at once per address"),
    ("identities_per_hour", "SRICHAN_IDENTITIES_PER_HOUR", float, "new identities/h per address"),
    ("identity_burst", "SRICHAN_IDENTITY_BURST", int, "new identities at once per address"),
    ("work_bits", "SRICHAN_WORK_BITS", int, "proof of work bits for a new identity (0: none)"),
    ("unlock_quizzes", "SRICHAN_UNLOCK_QUIZZES", int, "quizzes before new tokens spend"),
    ("unlock_minutes", "SRICHAN_UNLOCK_MINUTES", float, "minutes before new tokens spend"),
    (
        "pending_per_address",
        "SRICHAN_PENDING_PER_ADDRESS",
        int,
        "connections per address without a whole request head after a second",
    ),
    ("header_timeout_s", "SRICHAN_HEADER_TIMEOUT_S", float, "seconds for a first request head"),
    ("keepalive_timeout_s", "SRICHAN_KEEPALIVE_TIMEOUT_S", float, "idle keep-alive seconds"),
    ("body_timeout_s", "SRICHAN_BODY_TIMEOUT_S", float, "seconds a request body may stall"),
    ("slow_client_s", "SRICHAN_SLOW_CLIENT_S", float, "seconds before a non-reader is cut"),
    ("watch", "SRICHAN_WATCH", Path, "scene file: build it, and again on every change"),
    ("watch_interval_s", "SRICHAN_WATCH_INTERVAL_S", float, "seconds between looks (--watch)"),
    ("ws_transport", "SRICHAN_WS_TRANSPORT", str, "WebSocket transport: picows or aiohttp"),
    ("signin_config", "SRICHAN_SIGNIN_CONFIG", Path, "sign-in providers (OpenID Connect), TOML"),
    (
        "retain_statements_days",
        "SRICHAN_RETAIN_STATEMENTS_DAYS",
        int,
        "days raw learning events (xAPI statements) are kept (0: for ever)",
    ),
    (
        "retain_reports_days",
        "SRICHAN_RETAIN_REPORTS_DAYS",
        int,
        "days closed moderation reports and their chat context are kept (0: for ever)",
    ),
)
_KIND_NAMES: dict[Callable[[str], object], str] = {
    int: "int",
    float: "float",
    str: "str",
    Path: "path",
    parse_networks: "list of IP networks (e.g. 10.0.0.0/8, ::1)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for name, env, _kind, help_text in _OPTIONS:
        parser.add_argument(
            f"--{name.replace('_', '-')}", dest=name, default=None, help=f"{help_text} [{env}]"
        )


def load_settings(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Settings:
    """Merge flags over environment over defaults, converting and checking every value."""
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, env, kind, _help in _OPTIONS:
        raw = getattr(args, name, None)
        source = f"--{name.replace('_', '-')}"
        if raw is None and env in environ:
            raw, source = environ[env], env
        if raw is None:
            continue
        try:
            values[name] = kind(raw)
        except ValueError:
            problems.append(f"{source}: {raw!r} is not a valid {_KIND_NAMES.get(kind, '')}")
    # each value was converted by its option's own type above, so the fields' types hold
    settings = Settings(**values)  # type: ignore[arg-type]
    problems += validate(settings)
    if problems:
        raise ConfigError(problems)
    return settings


def validate(settings: Settings) -> list[str]:
    problems = []
    if not 0 <= settings.port <= 65535:
        problems.append(f"port: {settings.port} is not between 0 and 65535")
    if not 10 <= settings.tick_hz <= 20:
        problems.append(f"tick_hz: {settings.tick_hz:g} must be between 10 and 20")
    if not 0 < settings.max_speed <= 50:
        problems.append(f"max_speed: {settings.max_speed:g} must be in (0, 50] m/s")
    if not 1 <= settings.resume_window_s <= 300:
        problems.append(f"resume_window_s: {settings.resume_window_s:g} must be in [1, 300] s")
    scheme = urlsplit(settings.store).scheme
    if scheme != "sqlite" and scheme not in REDIS_SCHEMES:
        problems.append(f"store: {settings.store!r} must start with sqlite:// or redis://")
    if not 1 <= settings.workers <= MAX_WORKERS:
        problems.append(f"workers: {settings.workers} must be between 1 and {MAX_WORKERS}")
    elif settings.workers > 1 and scheme not in REDIS_SCHEMES:
        problems.append(
            f"workers: {settings.workers} processes must share a redis:// store; "
            "a SQLite file belongs to one process"
        )
    manifest = settings.scene_dir / f"{settings.scene_name}.manifest.json"
    if settings.watch is not None:
        if not settings.watch.is_file():
            problems.append(f"watch: {settings.watch} is not a file")
    elif not manifest.is_file():
        problems.append(f"scene_dir: {manifest} not found — run `srichan scene build` first")
    if settings.signin_config is not None and not settings.signin_config.is_file():
        problems.append(f"signin_config: {settings.signin_config} is not a file")
    if settings.ws_transport not in WS_TRANSPORTS:
        problems.append(
            f"ws_transport: {settings.ws_transport!r} must be one of {', '.join(WS_TRANSPORTS)}"
        )
    if settings.zoning not in ZONING_RULES:
        problems.append(f"zoning: {settings.zoning!r} must be one of {', '.join(ZONING_RULES)}")
    if settings.spawn not in SPAWN_RULES:
        problems.append(f"spawn: {settings.spawn!r} must be one of {', '.join(SPAWN_RULES)}")
    if settings.public_url and not re.fullmatch(r"https?://[^/\s]+/?", settings.public_url):
        problems.append(f"public_url: {settings.public_url!r} must be http(s)://host[:port]")
    if settings.admin_token and len(settings.admin_token) < 16:
        problems.append("admin_token: must be at least 16 characters")
    problems += settings.retention().problems()
    for name, lo, hi, unit in (
        ("ws_per_address", 1, 100_000, ""),
        ("hellos_per_minute", 0.1, 100_000, ""),
        ("hello_burst", 1, 100_000, ""),
        ("pending_per_address", 1, 100_000, ""),
        ("work_bits", 0, MAX_BITS, " bits"),
        ("unlock_quizzes", 0, 100, ""),
        ("unlock_minutes", 0, 7 * 24 * 60, " min"),
        ("identities_per_hour", 0.1, 100_000, ""),
        ("identity_burst", 1, 100_000, ""),
        ("header_timeout_s", 1, 120, " s"),
        ("keepalive_timeout_s", 1, 600, " s"),
        ("body_timeout_s", 1, 120, " s"),
        ("slow_client_s", 2, 60, " s"),
        ("watch_interval_s", 0.05, 10, " s"),
    ):
        value = getattr(settings, name)
        if not lo <= value <= hi:
            problems.append(f"{name}: {value:g} must be in [{lo:g}, {hi:g}]{unit}")
    return problems
