"""Has the scene changed? A scene file and the model files it names, looked at by polling.

Polling, not inotify: it works the same on every file system (network shares, editors that
replace files by renaming, containers with mounted folders) and costs one ``stat`` per file
per look. A look that finds a new size or modification time reads the files and compares a
SHA-256 of their contents, so touching a file, or saving it unchanged, starts no build.

The models are found by a line scan for ``model = "…"`` rather than by parsing the TOML, so a
scene file with a syntax error is still watched (and its models with it).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

_MODEL = re.compile(r'^\s*model\s*=\s*"([^"\n]+)"', re.MULTILINE)


def watched_files(scene: Path) -> list[Path]:
    """The scene file and every model file it names (relative to the scene's folder)."""
    try:
        text = scene.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return [scene]
    models = sorted({scene.parent / m for m in _MODEL.findall(text)})
    return [scene, *models]


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def content_digest(paths: list[Path], base: Path) -> str:
    """SHA-256 over each file's name (relative to ``base``: the same for every process, however
    it was started) and contents (a missing file counts as missing)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(os.path.relpath(path, base).encode() + b"\0")
        try:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


class FileWatch:
    """Remembers what the files were at the last look; :meth:`look` says if they changed."""

    def __init__(self, scene: Path) -> None:
        self.scene = scene
        self._stats = self._now()
        self.digest = content_digest(self.files, scene.parent)

    @property
    def files(self) -> list[Path]:
        return [path for path, _ in self._stats]

    def _now(self) -> list[tuple[Path, tuple[int, int]]]:
        return [(path, _stat(path)) for path in watched_files(self.scene)]

    def look(self) -> bool:
        """True once per change of contents (size or time alone is not a change)."""
        stats = self._now()
        if stats == self._stats:
            return False
        self._stats = stats
        digest = content_digest(self.files, self.scene.parent)
        if digest == self.digest:
            return False
        self.digest = digest
        return True
