"""Pictures the booths serve: owners' product photos, and the QR code of a coupon.

An uploaded photo is never kept as sent. It must be a JPEG, PNG or WebP of at most 1 MB and
24 megapixels (checked from the header before any pixel is decoded, so a decompression bomb
costs nothing); it is then fully decoded (a truncated or lying file fails here), turned upright
from its EXIF orientation, shrunk to fit 512 × 512 and re-encoded as WebP without EXIF, ICC,
XMP or any other metadata. Only the re-encoded bytes are stored: no location, camera serial or
malformed chunk of the original survives.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from functools import lru_cache

import segno
from PIL import Image, ImageOps

MAX_UPLOAD_BYTES = 1_048_576
MAX_PIXELS = 24_000_000
MAX_SIDE = 512
WEBP_QUALITY = 80
OUTPUT_TYPE = "image/webp"

_TOO_MANY_TH = "รูปมีจำนวนพิกเซลมากเกินไป"
_TOO_MANY_EN = f"the picture has more than {MAX_PIXELS} pixels"
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)


class BadImage(ValueError):
    """An upload refused, with the reason in Thai and English for the owner's page."""

    def __init__(self, th: str, en: str) -> None:
        super().__init__(en)
        self.th = th
        self.en = en


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The Pillow format name the leading bytes promise, whatever the file was called."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def process_photo(data: bytes) -> Photo:
    """Check, decode, orient, shrink and re-encode an upload; raise :class:`BadImage`."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadImage("ไฟล์ใหญ่เกิน 1 MB", "the file is larger than 1 MB")
    kind = sniff(data)
    if kind is None:
        raise BadImage("รับเฉพาะรูป JPEG, PNG หรือ WebP", "only JPEG, PNG or WebP pictures")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data), formats=[kind])
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_PIXELS:
                raise BadImage(_TOO_MANY_TH, _TOO_MANY_EN)
            image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))  # JPEG: decode at a smaller scale
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadImage(_TOO_MANY_TH, _TOO_MANY_EN) from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        # Pillow reports truncated and malformed files as any of these.
        raise BadImage(
            "ไฟล์รูปเสียหรือไม่ใช่รูปที่แท้จริง", f"the file is damaged or not a real {kind}"
        ) from exc
    return Photo(out.getvalue(), OUTPUT_TYPE, image.width, image.height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def photo_id(slot: str, photo: Photo) -> str:
    """A photo's id: 128 bits of SHA-256 over its slot and bytes (the same photo uploaded to
    two booths is two photos, so one owner's deletions never touch another's)."""
    return hashlib.sha256(slot.encode("ascii") + b"\x00" + photo.data).hexdigest()[:32]


@lru_cache(maxsize=1024)
def qr_svg(code: str) -> bytes:
    """A coupon code as a QR code in SVG, drawn from the code alone (no lookup, so the
    address reveals nothing about which codes exist)."""
    qr = segno.make_qr(code, error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=8, border=4, xmldecl=False, title=code, dark="#000")
    return out.getvalue()
