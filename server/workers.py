"""``srichan serve --workers N``: N server processes on one port, kept running by a parent.

Python runs one event loop on one core, so one process cannot use a machine's other cores.
Each worker here is a whole server (event loop, presence world, store connection) in its own
process, started with multiprocessing's *spawn* (a clean interpreter, nothing inherited but
the settings). All of them listen on the same address with ``SO_REUSEPORT``, so the kernel
spreads new connections over them; they share the street through Redis (the store, booth
notices and presence fan-out), which is why more than one worker needs a Redis store.

The parent only supervises:

* it picks the port once (port 0: a free one, held for the workers by a bound, non-listening
  ``SO_REUSEPORT`` socket, so a restarted worker gets the same port back);
* it prints the "open" line when every worker listens;
* it restarts a worker that dies, after a pause doubling from 0.5 s to 30 s while it keeps
  dying young (a worker that ran for a minute starts again from 0.5 s);
* on SIGTERM or SIGINT it sends SIGTERM to every worker (each shuts down gracefully: closes
  its WebSockets with GOING_AWAY, flushes its store) and kills those still running after the
  grace period.

* it makes a private folder (mode 0700) for the workers' Unix sockets, through which a worker
  passes a connection asking for another worker's zone to that worker (server/handoff.py); each
  worker knows its index (``Settings.worker_index``), a restarted one listens on its path
  again, and the folder is removed when the parent stops.

A worker whose parent disappears (killed with SIGKILL) stops by itself: it watches its end of
the pipe to the parent.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TextIO

from aiohttp import web

from server.config import Settings
from server.runner import run, serve

RESTART_FIRST_S = 0.5
RESTART_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0
"""A worker that ran this long is healthy again: its next restart waits the shortest time."""
START_TIMEOUT_S = 60.0
GRACE_S = 15.0
"""How long shut-down workers get to close their sockets and flush the store."""
POLL_S = 0.2

AppFactory = Callable[[Settings], web.Application]


def reserve_port(host: str, port: int) -> socket.socket:
    """Bind (not listen) a ``SO_REUSEPORT`` socket on ``host:port``: the workers bind the same
    port beside it, and a port 0 becomes a definite free port nobody else can take meanwhile."""
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def restart_delay(failures: int, rng: Callable[[], float] = random.random) -> float:
    """Seconds before restarting a worker that died ``failures`` times in a row, young."""
    base = min(RESTART_MAX_S, RESTART_FIRST_S * 2.0 ** max(0, failures - 1))
    return base * (0.75 + 0.5 * rng())


@dataclass
class _Slot:
    index: int
    process: BaseProcess | None = None
    pipe: Connection | None = None
    started_at: float = 0.0
    ready: bool = False
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    """Runs ``settings.workers`` workers until stopped; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        app_factory: AppFactory,
        out: TextIO = sys.stdout,
        err: TextIO = sys.stderr,
    ):
        self.settings = settings
        self.app_factory = app_factory
        self.out, self.err = out, err
        self.context = multiprocessing.get_context("spawn")
        self.slots = [_Slot(i) for i in range(settings.workers)]
        self.stopping = False
        self.restarts = 0

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; 0 after a clean stop, 1 if the workers never started."""
        reservation = reserve_port(self.settings.host, self.settings.port)
        port = reservation.getsockname()[1]
        siblings = Path(tempfile.mkdtemp(prefix="srichan-siblings-"))  # mode 0700
        self.settings = replace(self.settings, port=port, siblings_dir=siblings)
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for slot in self.slots:
                self._start(slot)
            if not self._wait_ready():
                self._shutdown()
                return 1
            host = self.settings.host
            shown = f"[{host}]" if ":" in host else host
            print(
                f"Sri Chan World is open: http://{shown}:{port}/  "
                f"({len(self.slots)} workers; Ctrl+C to stop)",
                file=self.out,
                flush=True,
            )
            while not self.stopping:
                self._supervise()
            self._shutdown()
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            reservation.close()
            shutil.rmtree(siblings, ignore_errors=True)

    # -- internals --------------------------------------------------------------------------

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True

    def _say(self, text: str) -> None:
        print(f"srichan serve: {text}", file=self.err, flush=True)

    def _start(self, slot: _Slot) -> None:
        mine, theirs = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=worker_main,
            args=(replace(self.settings, worker_index=slot.index), self.app_factory, theirs),
            name=f"srichan-worker-{slot.index}",
        )
        process.start()
        theirs.close()
        slot.process, slot.pipe = process, mine
        slot.started_at, slot.ready, slot.restart_at = time.monotonic(), False, None

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all(s.ready for s in self.slots):
            if self.stopping:
                return False
            if time.monotonic() > deadline:
                self._say(f"workers did not start within {START_TIMEOUT_S:g} s")
                return False
            self._poll(POLL_S)
            for slot in self.slots:
                if slot.process is not None and not slot.process.is_alive():
                    code = slot.process.exitcode
                    self._say(f"worker {slot.index} exited with code {code} while starting")
                    return False
        return True

    def _poll(self, timeout: float) -> None:
        """Wait for a worker message or exit (or the timeout) and read ready messages."""
        waitables: list[Connection | int] = []
        for slot in self.slots:
            if slot.process is not None:
                waitables.append(slot.process.sentinel)
                if slot.pipe is not None and not slot.ready:
                    waitables.append(slot.pipe)
        wait(waitables, timeout)
        for slot in self.slots:
            if slot.pipe is not None and not slot.ready:
                try:
                    if slot.pipe.poll():
                        slot.ready = slot.pipe.recv() == "ready"
                except (EOFError, OSError):
                    pass

    def _supervise(self) -> None:
        self._poll(POLL_S)
        now = time.monotonic()
        for slot in self.slots:
            process = slot.process
            if process is not None and not process.is_alive() and not self.stopping:
                lived = now - slot.started_at
                slot.failures = 1 if lived >= HEALTHY_AFTER_S else slot.failures + 1
                delay = restart_delay(slot.failures)
                self._say(
                    f"worker {slot.index} (pid {process.pid}) exited with code "
                    f"{process.exitcode} after {lived:.1f} s; restarting in {delay:.1f} s"
                )
                self._close(slot)
                slot.restart_at = now + delay
            if slot.process is None and slot.restart_at is not None and now >= slot.restart_at:
                self._start(slot)
                self.restarts += 1

    def _close(self, slot: _Slot) -> None:
        if slot.pipe is not None:
            slot.pipe.close()
        if slot.process is not None:
            slot.process.join(timeout=0)
        slot.process, slot.pipe = None, None

    def _shutdown(self) -> None:
        alive = [s.process for s in self.slots if s.process is not None and s.process.is_alive()]
        for process in alive:
            process.terminate()
        deadline = time.monotonic() + GRACE_S
        for process in alive:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                self._say(f"worker pid {process.pid} did not stop in {GRACE_S:g} s; killing it")
                process.kill()
                process.join(timeout=5)
        for slot in self.slots:
            self._close(slot)


def worker_main(settings: Settings, app_factory: AppFactory, pipe: Connection) -> None:
    """One worker process: the whole server on the shared port, until told to stop."""

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def parent_gone() -> None:  # the supervisor never writes: readable means it is gone
            loop.remove_reader(pipe.fileno())
            os.kill(os.getpid(), signal.SIGTERM)

        loop.add_reader(pipe.fileno(), parent_gone)
        app = app_factory(settings)
        await serve(app, settings, reuse_port=True, announce=lambda _url: pipe.send("ready"))

    run(main())


def run_workers(settings: Settings, app_factory: AppFactory) -> int:
    """Serve with ``settings.workers`` processes; the exit status for the command line.
    ``app_factory`` (``server.app.create_app``) is passed by name to each spawned worker."""
    return Supervisor(settings, app_factory).run()
