"""GLB container: the JSON chunk and the BIN chunk, read and written (no glTF semantics)."""

from __future__ import annotations

import json
import struct
from typing import Any

from srichan_world.gltf.stats import CHUNK_JSON, GLB_MAGIC, GlbError, glb_json

CHUNK_BIN = 0x004E4942


def read_glb(glb: bytes) -> tuple[dict[str, Any], bytes]:
    """``(json, bin)``; ``bin`` is empty when the GLB has no BIN chunk."""
    doc = glb_json(glb)
    (json_length,) = struct.unpack_from("<I", glb, 12)
    at = 20 + json_length
    if at + 8 > len(glb):
        return doc, b""
    length, kind = struct.unpack_from("<II", glb, at)
    if kind != CHUNK_BIN or at + 8 + length > len(glb):
        raise GlbError("second chunk is not a complete BIN chunk")
    return doc, glb[at + 8 : at + 8 + length]


def write_glb(doc: dict[str, Any], binary: bytes) -> bytes:
    """A GLB from its JSON (compact, UTF-8, padded with spaces) and BIN (padded with zeros)."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    chunks = struct.pack("<II", len(text), CHUNK_JSON) + text
    if binary:
        chunks += struct.pack("<II", len(binary), CHUNK_BIN) + binary
    return struct.pack("<III", GLB_MAGIC, 2, 12 + len(chunks)) + chunks
