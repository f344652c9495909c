"""Throwaway ``redis-server`` processes on free loopback ports, for tests and benchmarks.

Each server runs in its own directory (its log, and its AOF when persistence is asked for),
binds 127.0.0.1 only, and is stopped by its owner. A cluster is three masters joined with
``redis-cli --cluster create`` and waited on until every node reports ``cluster_state:ok``.
Never the Redis on 6379: ports come from the operating system's free ones.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
START_TIMEOUT_S = 15.0
CLUSTER_BUS_OFFSET = 10_000
"""Redis Cluster nodes also listen on port + 10000 for the cluster bus."""
EPHEMERAL = "--save", "", "--appendonly", "no"
"""No persistence: the default for tests, where FLUSHALL resets the data anyway."""


def available() -> str | None:
    """``None`` when redis-server and redis-cli are installed, else why not."""
    missing = [
        name
        for name, path in (("redis-server", REDIS_SERVER), ("redis-cli", REDIS_CLI))
        if path is None
    ]
    if missing:
        return f"{' and '.join(missing)} not installed (apt-get install redis-server)"
    return None


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(*, with_bus: bool = False) -> int:
    """A loopback port nobody listens on (and, for cluster nodes, its bus port too)."""
    for _ in range(200):
        port = random.randint(20_000, 54_000)
        if _bindable(port) and (not with_bus or _bindable(port + CLUSTER_BUS_OFFSET)):
            return port
    raise RuntimeError("no free loopback port found in 200 tries")


@dataclass
class RedisServer:
    """One redis-server process; :meth:`start` again after :meth:`kill` reuses port and dir."""

    port: int
    folder: Path
    options: tuple[str, ...]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A synchronous client for test set-up (flushing, INFO); close it after use."""
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)

    def start(self) -> RedisServer:
        if REDIS_SERVER is None:
            raise RuntimeError(available())
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.folder),
            "--logfile", str(self.folder / "redis.log"),
            "--daemonize", "no",
            *self.options,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        with self.client() as c:
            while True:
                if self.process.poll() is not None:
                    log = (self.folder / "redis.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"redis-server on port {self.port} exited: {log}")
                try:
                    if c.ping():
                        return self
                except redis.exceptions.BusyLoadingError:
                    pass
                except redis.exceptions.ConnectionError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"redis-server on port {self.port} did not answer")
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: what a crash or a power cut looks like to the process (not to the disk)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None

    def flush(self) -> None:
        with self.client() as c:
            c.flushall()


def start_server(folder: Path, options: Sequence[str] = EPHEMERAL) -> RedisServer:
    """A standalone server in ``folder``; pass AOF options for durability tests."""
    return RedisServer(free_port(), folder, tuple(options)).start()


@dataclass
class RedisClusterNodes:
    """Three (or more) masters with no replicas, slots spread by ``redis-cli``."""

    nodes: tuple[RedisServer, ...]

    @property
    def url(self) -> str:
        """The store URL: any one node; the client discovers the others."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def flush(self) -> None:
        for node in self.nodes:
            node.flush()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_cluster(folder: Path, masters: int = 3) -> RedisClusterNodes:
    """Start ``masters`` cluster-enabled servers under ``folder`` and join them."""
    if REDIS_CLI is None:
        raise RuntimeError(available())
    nodes: list[RedisServer] = []
    try:
        for i in range(masters):
            node_dir = folder / f"node{i}"
            options = (
                *EPHEMERAL,
                "--cluster-enabled", "yes",
                "--cluster-config-file", str(node_dir / "nodes.conf"),
                "--cluster-node-timeout", "5000",
            )  # fmt: skip
            nodes.append(RedisServer(free_port(with_bus=True), node_dir, options).start())
        addresses = [f"127.0.0.1:{n.port}" for n in nodes]
        subprocess.run(
            [REDIS_CLI, "--cluster", "create", *addresses, "--cluster-replicas", "0",
             "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        _wait_cluster_ok(nodes)
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return RedisClusterNodes(tuple(nodes))


def _wait_cluster_ok(nodes: Sequence[RedisServer]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    for node in nodes:
        with node.client() as c:
            while "cluster_state:ok" not in c.execute_command("CLUSTER", "INFO"):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cluster node {node.port} never reached cluster_state:ok")
                time.sleep(0.05)
