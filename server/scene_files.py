"""The compiled scene as the server holds it: bytes, their gzip, ETags and the answers.

Loaded at start and kept in memory (a few hundred KB), so each request is a lookup. The
GLB is addressed by content hash and cached forever; the manifest is revalidated by ETag.
With live reload (server/reload.py) the street changes while the server runs:
:class:`LiveScene` holds the current build and the few before it, so a browser that was
still downloading an older GLB when the street switched gets it (and then the new one).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.config import ConfigError
from srichan_world.scene.images import CONTENT_TYPES, image_name, sniff
from srichan_world.scene.manifest import Manifest


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    content_type: str


@dataclass(frozen=True)
class SceneFiles:
    content_hash: str
    manifest: Manifest
    answers: dict[str, Any]
    manifest_asset: Asset
    glb_asset: Asset
    fallback_asset: Asset | None = None
    """The same street without meshopt compression or GPU instancing, for a browser that cannot
    decode those (no WebAssembly); ``None`` for a build made without one."""
    images: Mapping[str, Asset] = field(default_factory=dict)
    """The lessons' images by built name (``/scene/images/<name>``)."""

    @classmethod
    def load(cls, folder: Path, stem: str) -> SceneFiles:
        try:
            manifest_bytes = (folder / f"{stem}.manifest.json").read_bytes()
            answers_bytes = (folder / f"{stem}.answers.json").read_bytes()
            glb = (folder / f"{stem}.glb").read_bytes()
            fallback_file = folder / f"{stem}.fallback.glb"
            fallback = fallback_file.read_bytes() if fallback_file.is_file() else None
        except OSError as exc:
            raise ConfigError([f"scene: cannot load {folder}/{stem}.*: {exc}"]) from None
        return cls.from_bytes(
            manifest_bytes,
            answers_bytes,
            glb,
            f"{folder}/{stem}.*",
            lambda name: folder / name,
            fallback,
        )

    @classmethod
    def from_bytes(
        cls,
        manifest_bytes: bytes,
        answers_bytes: bytes,
        glb: bytes,
        where: str = "scene",
        image: Callable[[str], Path | bytes] | None = None,
        fallback: bytes | None = None,
    ) -> SceneFiles:
        """A build from its files' bytes; ``ConfigError`` (naming ``where``) when they do not
        parse or are not from one build. ``image`` gives a lesson image by its built name: its
        bytes, or the file holding them."""
        try:
            manifest = Manifest.parse(json.loads(manifest_bytes))
            answers = json.loads(answers_bytes)
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError([f"scene: cannot load {where}: {exc}"]) from None
        content_hash = manifest.content_hash
        if not content_hash or answers.get("content_hash") != content_hash:
            raise ConfigError([f"scene: {where} are from different builds; rebuild"])
        return cls(
            content_hash=content_hash,
            manifest=manifest,
            answers=answers,
            manifest_asset=_asset(manifest_bytes, "application/json; charset=utf-8", content_hash),
            glb_asset=_asset(glb, "model/gltf-binary", content_hash),
            fallback_asset=None
            if fallback is None
            else _asset(fallback, "model/gltf-binary", content_hash, "fallback-"),
            images=_images(manifest, image, where),
        )


def _images(
    manifest: Manifest, image: Callable[[str], Path | bytes] | None, where: str
) -> dict[str, Asset]:
    """Every lesson image the manifest names, read and checked once."""
    found: dict[str, Asset] = {}
    for lesson in (x for c in manifest.courses for x in c.lessons if x.image):
        try:
            if image is None:
                raise KeyError(lesson.image)
            held = image(lesson.image)
            data = held.read_bytes() if isinstance(held, Path) else held
        except (OSError, KeyError) as exc:
            raise ConfigError([f"scene: cannot load lesson image {lesson.image}: {exc}"]) from None
        kind = sniff(data)
        if kind is None or image_name(data) != lesson.image:
            raise ConfigError([f"scene: {where}: {lesson.image} is not the image built; rebuild"])
        # already compressed: served as is (``gzipped`` unused)
        found[lesson.image] = Asset(data, data, f'"{lesson.image}"', CONTENT_TYPES[kind])
    return found


def _asset(body: bytes, content_type: str, content_hash: str, etag_prefix: str = "") -> Asset:
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        etag=f'"{etag_prefix}{content_hash[:32]}"',
        content_type=content_type,
    )


KEEP_PREVIOUS = 3
"""Older builds whose GLB is still served after a switch (for downloads under way)."""


class LiveScene:
    """The build being served now, and the GLBs of the few before it (live reload).

    Reads like the :class:`SceneFiles` it holds, so code that only serves the current street
    need not know the street can change."""

    def __init__(self, files: SceneFiles) -> None:
        self.current = files
        self._previous: dict[str, SceneFiles] = {}

    def switch(self, files: SceneFiles) -> None:
        old = self.current
        self.current = files
        if old.content_hash != files.content_hash:
            self._previous[old.content_hash] = old
        self._previous.pop(files.content_hash, None)
        while len(self._previous) > KEEP_PREVIOUS:
            del self._previous[next(iter(self._previous))]

    def image(self, name: str) -> Asset | None:
        """A lesson image of the current build or a recent one, by its built name."""
        for files in (self.current, *self._previous.values()):
            if name in files.images:
                return files.images[name]
        return None

    def glb(self, content_hash: str, fallback: bool = False) -> Asset | None:
        """The GLB (or its fallback) of the current build or a recent one, by content hash."""
        if content_hash == self.current.content_hash:
            files: SceneFiles | None = self.current
        else:
            files = self._previous.get(content_hash)
        if files is None:
            return None
        return files.fallback_asset if fallback else files.glb_asset

    @property
    def content_hash(self) -> str:
        return self.current.content_hash

    @property
    def manifest(self) -> Manifest:
        return self.current.manifest

    @property
    def answers(self) -> dict[str, Any]:
        return self.current.answers

    @property
    def manifest_asset(self) -> Asset:
        return self.current.manifest_asset

    @property
    def glb_asset(self) -> Asset:
        return self.current.glb_asset
