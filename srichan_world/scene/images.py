"""Lesson images: what the build accepts and how it names them.

An image is taken only when its bytes are a PNG, a JPEG or a WebP (by their signature, not the
file name) and small enough for a phone on a slow line; the build copies it under a name made
from its content (``lesson-<16 hex>.<ext>``), so a browser may cache it for good and a changed
image is a new name. The server serves only names of that shape that the manifest lists.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from srichan_world.scene.model import Scene

IMAGE_MAX_BYTES = 500_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
CONTENT_TYPES: Mapping[str, str] = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
IMAGE_NAME = re.compile(r"^lesson-[0-9a-f]{16}\.(png|jpg|webp)$")


def sniff(data: bytes) -> str | None:
    """The image's kind (``png``, ``jpg``, ``webp``) by its signature, else ``None``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def image_fault(data: bytes) -> str | None:
    """Why these bytes cannot be a lesson image, or ``None``."""
    if len(data) > IMAGE_MAX_BYTES:
        return f"is {len(data):,} bytes; at most {IMAGE_MAX_BYTES:,}"
    if sniff(data) is None:
        return "is not a PNG, JPEG or WebP image"
    return None


def image_name(data: bytes) -> str:
    """The built file's name; ``ValueError`` for bytes :func:`image_fault` refuses."""
    fault = image_fault(data)
    kind = sniff(data)
    if fault is not None or kind is None:
        raise ValueError(f"not a lesson image: {fault}")
    return f"lesson-{hashlib.sha256(data).hexdigest()[:16]}.{kind}"


def lesson_images(scene: Scene, base: Path) -> dict[str, tuple[str, bytes]]:
    """Each image path the scene's lessons name → (built name, bytes). The loader checked the
    files (given the same ``base``); ``OSError``/``ValueError`` if one changed since."""
    found: dict[str, tuple[str, bytes]] = {}
    for course in scene.courses:
        for lesson in course.lessons:
            if lesson.image and lesson.image not in found:
                data = (base / lesson.image).read_bytes()
                found[lesson.image] = (image_name(data), data)
    return found
