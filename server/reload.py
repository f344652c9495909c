"""Live reload: rebuild the street from its scene file and switch every visitor to it.

``srichan serve --watch SCENE.toml`` looks at the scene file and the models it names every
``watch_interval_s`` (server/watch.py); an operator may ask too (``POST
/admin/api/scene/reload``). A reload runs exactly ``scene check`` and ``scene build``
(:func:`srichan_world.gltf.bundle.build_file`) in a helper process kept warm (trimesh
imported), so the event loop keeps ticking while it builds, then:

* **a broken edit never reaches visitors**: every problem is logged as ``file:line:column:
  path: message`` and kept in :meth:`SceneReloader.status` (``GET /admin/api/scene/status``);
  the street being served stays as it was;
* **a good build** is written under ``<scene_dir>/versions/<content hash>/`` and as the
  newest ``<scene_dir>/<name>.*`` (a restart serves it), then switched to here
  (``switch``: the files served, the street's rules, a ``scene_changed`` to every visitor)
  and announced to the other processes (server/bus/scene_notices.py), which load the files
  by hash and switch too.

Builds run one at a time; a change seen while one runs is built after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import resource
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from server.bus.scene_notices import SceneNotices
from server.config import ConfigError
from server.scene_files import LiveScene, SceneFiles
from server.watch import FileWatch
from srichan_world.gltf.bundle import BuildReport, Bundle, build_file
from srichan_world.protocol.limits import SCENE_MANIFEST_MAX_BYTES

log = logging.getLogger(__name__)

Switch = Callable[[SceneFiles], Awaitable[None]]
"""Switch this process to a build (the app wires it: files, street, booths)."""


class Builder(Protocol):
    async def build(self, path: Path) -> BuildReport: ...

    @property
    def cpu_s(self) -> float:
        """CPU seconds the last build took (its process and the tools it ran)."""

    async def close(self) -> None: ...


_VALIDATED: set[str] = set()
"""In the helper process only: digests of the model files the Khronos validator passed, so an
edit of the scene file does not run it again on an unchanged model."""


def _warm(path: Path) -> None:
    """Run in the helper process at start: a whole build of the file as it is, so imports,
    caches and the packer's first start are paid before the author's first edit."""
    with contextlib.suppress(Exception):  # only a warm-up: the real builds report failures
        build_file(path, _VALIDATED)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (gltfpack, the validator)."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed_build(path: Path) -> tuple[BuildReport, float]:
    """A build and its CPU seconds: against the wall time, how much the machine held it up."""
    started = _cpu()
    report = build_file(path, _VALIDATED)
    return report, _cpu() - started


class ProcessBuilder:
    """Builds in one helper process (spawned clean, kept for the server's lifetime; started
    again, warm, should it die)."""

    def __init__(self, warm_with: Path) -> None:
        self.cpu_s = 0.0
        self._warm_with = warm_with
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        loop = asyncio.get_running_loop()
        self._warm = loop.run_in_executor(self._pool, _warm, self._warm_with)

    async def build(self, path: Path) -> BuildReport:
        loop = asyncio.get_running_loop()
        try:
            await self._warm
            report, self.cpu_s = await loop.run_in_executor(self._pool, _timed_build, path)
        except BrokenProcessPool:
            self._pool.shutdown(wait=False)
            self._start()  # this build is reported failed; the next one has a helper again
            raise
        return report

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class ReloadStatus:
    """What the author and the operator see: the street served, and the last attempt."""

    content_hash: str
    source: str
    state: str = "ok"
    """``ok`` (the last attempt is being served), ``building``, or ``failed`` (the last
    attempt was refused; the street before it is served)."""
    trigger: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    started_at: float = 0.0
    seconds: float = 0.0
    """Wall seconds of the last attempt: build, check, write and switch."""
    build_s: float = 0.0
    """Wall seconds of its build alone (check and compile in the helper process)."""
    build_cpu_s: float = 0.0
    """CPU seconds of that build (the helper process and the tools it ran)."""
    builds: int = 0
    refused: int = 0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def describe(problem: dict[str, Any]) -> str:
    """One problem as ``scene check`` prints it: ``file:line:column: path: message [id]``."""
    where = str(problem.get("file", ""))
    if problem.get("line"):
        where += f":{problem['line']}:{problem.get('column', 0)}"
    text = f"{problem['path']}: {problem['message']}" if problem.get("path") else problem["message"]
    if problem.get("id"):
        text += f" [{problem['id']}]"
    if problem.get("did_you_mean"):
        text += f" — did you mean {problem['did_you_mean']!r}?"
    return f"{where}: {text}"


def write_build(scene_dir: Path, name: str, bundle: Bundle) -> None:
    """A build's files by hash (``versions/<hash>/``, for the other processes), then as the
    newest ``<name>.*`` (what a starting process serves); each file replaced atomically."""
    folder = scene_dir / "versions" / bundle.content_hash
    folder.mkdir(parents=True, exist_ok=True)
    for target in (folder, scene_dir):
        for image, data in bundle.images.items():  # named by their content: never replaced
            if not (target / image).is_file():
                (target / image).write_bytes(data)
        for suffix, data in (
            ("glb", bundle.glb),
            ("fallback.glb", bundle.fallback),
            ("answers.json", bundle.answers),
            ("manifest.json", bundle.manifest),  # last: it names the build
        ):
            path = target / f"{name}.{suffix}"
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)


class SceneReloader:
    """One process's side of live reload; see the module docstring."""

    def __init__(
        self,
        live: LiveScene,
        scene_dir: Path,
        name: str,
        switch: Switch,
        *,
        source: Path | None = None,
        notices: SceneNotices | None = None,
        builder: Builder | None = None,
    ) -> None:
        self.live = live
        self.scene_dir = scene_dir
        self.name = name
        self.source = source
        self.notices = notices
        self._switch = switch
        self._builder = builder
        self._lock = asyncio.Lock()
        self._watch = FileWatch(source) if source is not None else None
        self.status = ReloadStatus(live.content_hash, str(source or scene_dir / name))

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self.source is not None and self._builder is None:
            self._builder = ProcessBuilder(self.source)
        if self.notices is not None:
            await self.notices.start(self.follow, self.catch_up)

    async def close(self) -> None:
        if self._builder is not None:
            await self._builder.close()

    async def watch_forever(self, interval_s: float) -> None:
        """Look at the files every ``interval_s``; build each change (once on the street)."""
        watch = self._watch
        if watch is None:
            return
        while True:
            await asyncio.sleep(interval_s)
            if not watch.look():
                continue
            await asyncio.sleep(min(0.05, interval_s))  # a save in several writes settles
            watch.look()
            if self.notices is None:
                await self.reload("watch")
            elif await self.notices.claim(watch.digest):
                try:
                    await self.reload("watch")
                finally:
                    await self.notices.built(watch.digest)

    # -- reloading ----------------------------------------------------------------------------

    async def reload(self, trigger: str) -> ReloadStatus:
        """Build from the scene file (or, without one, read the compiled files again) and
        switch when it passes every check; the status either way."""
        async with self._lock:
            st = self.status
            st.state, st.trigger, st.started_at = "building", trigger, time.time()
            started = time.perf_counter()
            try:
                files, problems = await self._next_build()
                if files is not None and files.content_hash != self.live.content_hash:
                    await self._switch(files)
                    if self.notices is not None:
                        await self.notices.announce(files.content_hash)
            except Exception as exc:  # a bug must not stop the server; the old street stays
                log.exception("scene reload failed")
                files, problems = None, [{"file": st.source, "message": f"internal: {exc}"}]
            st.seconds = time.perf_counter() - started
            st.builds += 1
            st.problems = problems
            if files is None:
                st.state = "failed"
                st.refused += 1
                self._log_refusal(problems)
            else:
                st.state, st.content_hash = "ok", files.content_hash
                served = files.content_hash[:12]
                log.info("scene %s served (%s, %.2f s)", served, trigger, st.seconds)
            return st

    async def _next_build(self) -> tuple[SceneFiles | None, list[dict[str, Any]]]:
        if self.source is None or self._builder is None:
            try:
                return SceneFiles.load(self.scene_dir, self.name), []
            except ConfigError as exc:
                return None, [{"file": str(self.scene_dir), "message": p} for p in exc.problems]
        started = time.perf_counter()
        report = await self._builder.build(self.source)
        self.status.build_s = time.perf_counter() - started
        self.status.build_cpu_s = self._builder.cpu_s
        bundle = report.bundle
        if bundle is None:
            return None, list(report.problems)
        self.status.summary = report.summary
        if len(bundle.manifest) > SCENE_MANIFEST_MAX_BYTES:
            size = len(bundle.manifest)
            too_big = f"manifest of {size:,} bytes is over {SCENE_MANIFEST_MAX_BYTES:,}"
            return None, [{"file": report.file, "message": too_big}]
        await asyncio.to_thread(write_build, self.scene_dir, self.name, bundle)
        files = SceneFiles.from_bytes(
            bundle.manifest,
            bundle.answers,
            bundle.glb,
            "the new build",
            bundle.images.__getitem__,
            bundle.fallback,
        )
        return files, []

    def _log_refusal(self, problems: list[dict[str, Any]]) -> None:
        for p in problems:
            log.error("%s", describe(p))
        log.error(
            "%s: %d problem(s); visitors keep the street %s",
            self.status.source,
            len(problems),
            self.live.content_hash[:12],
        )

    # -- following another process's build ----------------------------------------------------

    async def follow(self, content_hash: str) -> None:
        """Another process built ``content_hash``: load its files and switch."""
        if content_hash == self.live.content_hash:
            return
        folder = self.scene_dir / "versions" / content_hash
        async with self._lock:
            try:
                files = await asyncio.to_thread(SceneFiles.load, folder, self.name)
                if files.content_hash != content_hash:
                    raise ConfigError([f"scene: {folder} holds {files.content_hash[:12]}"])
                await self._switch(files)
            except ConfigError as exc:
                log.error("cannot follow scene %s: %s", content_hash[:12], "; ".join(exc.problems))
                return
            self.status.state, self.status.content_hash = "ok", content_hash
            self.status.trigger = "another process"
            log.info("scene %s served (built by another process)", content_hash[:12])

    async def catch_up(self) -> None:
        """After the bus was away: switch to the newest build if a notice was missed."""
        manifest = self.scene_dir / f"{self.name}.manifest.json"
        try:
            newest = json.loads(await asyncio.to_thread(manifest.read_bytes))["content_hash"]
        except (OSError, ValueError, KeyError, TypeError):
            return
        if isinstance(newest, str) and newest != self.live.content_hash:
            await self.follow(newest)
