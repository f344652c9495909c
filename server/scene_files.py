"""The compiled scene as the server holds it: bytes, their gzip, ETags and the answers.

Loaded once at start and kept in memory (a few hundred KB), so each request is a lookup. The
GLB is addressed by content hash and cached forever; the manifest is revalidated by ETag.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
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
    images: Mapping[str, Asset] = field(default_factory=dict)
    """The lessons' images by built name (``/scene/images/<name>``)."""

    @classmethod
    def load(cls, folder: Path, stem: str) -> SceneFiles:
        try:
            manifest_bytes = (folder / f"{stem}.manifest.json").read_bytes()
            answers_bytes = (folder / f"{stem}.answers.json").read_bytes()
            glb = (folder / f"{stem}.glb").read_bytes()
            manifest = Manifest.parse(json.loads(manifest_bytes))
            answers = json.loads(answers_bytes)
        except (OSError, ValueError) as exc:
            raise ConfigError([f"scene: cannot load {folder}/{stem}.*: {exc}"]) from None
        content_hash = manifest.content_hash
        if not content_hash or answers.get("content_hash") != content_hash:
            raise ConfigError([f"scene: {folder}/{stem}.* are from different builds; rebuild"])
        return cls(
            content_hash=content_hash,
            manifest=manifest,
            answers=answers,
            manifest_asset=_asset(manifest_bytes, "application/json; charset=utf-8", content_hash),
            glb_asset=_asset(glb, "model/gltf-binary", content_hash),
            images=_images(folder, manifest),
        )


def _images(folder: Path, manifest: Manifest) -> dict[str, Asset]:
    """Every lesson image the manifest names, read and checked once."""
    found: dict[str, Asset] = {}
    for lesson in (x for c in manifest.courses for x in c.lessons if x.image):
        try:
            data = (folder / lesson.image).read_bytes()
        except OSError as exc:
            raise ConfigError([f"scene: cannot load lesson image {lesson.image}: {exc}"]) from None
        kind = sniff(data)
        if kind is None or image_name(data) != lesson.image:
            raise ConfigError([f"scene: {folder}/{lesson.image} is not the image built; rebuild"])
        # already compressed: served as is (``gzipped`` unused)
        found[lesson.image] = Asset(data, data, f'"{lesson.image}"', CONTENT_TYPES[kind])
    return found


def _asset(body: bytes, content_type: str, content_hash: str) -> Asset:
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        etag=f'"{content_hash[:32]}"',
        content_type=content_type,
    )
