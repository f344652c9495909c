"""Owner photo uploads: only real, reasonable pictures get in, and only re-encoded, bare ones."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from server.integrations.images import (
    MAX_SIDE,
    MAX_UPLOAD_BYTES,
    BadImage,
    photo_id,
    process_photo,
    qr_svg,
    sniff,
)


def jpeg_with_metadata(size: tuple[int, int] = (1200, 800), orientation: int = 6) -> bytes:
    """A phone-like JPEG: EXIF with GPS and a camera serial, rotated by orientation 6."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1]))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif[0x8825] = {1: "N", 2: (16.0, 26.0, 0.0), 3: "E", 4: (102.0, 50.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, icc_profile=b"\0" * 128, quality=90)
    return out.getvalue()


def encoded(kind: str, size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 120, 60, 128)[: len(mode)]).save(out, kind)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_a_phone_photo_is_shrunk_turned_upright_and_stripped_of_metadata() -> None:
    original = jpeg_with_metadata()
    assert b"SERIAL-123456" in original
    photo = process_photo(original)
    assert photo.content_type == "image/webp" and sniff(photo.data) == "WEBP"
    assert max(photo.width, photo.height) == MAX_SIDE
    assert (photo.width, photo.height) == (341, 512), "orientation 6 turns landscape upright"
    assert b"SERIAL" not in photo.data and b"Exif" not in photo.data
    assert b"ICCP" not in photo.data and b"XMP" not in photo.data
    again = Image.open(io.BytesIO(photo.data))
    assert not again.getexif() and "icc_profile" not in again.info
    top = again.convert("RGB").getpixel((photo.width // 2, 5))
    assert top[2] > 150 and top[0] < 80, "the blue half is on top after turning"


@pytest.mark.parametrize(("kind", "mode"), [("PNG", "RGBA"), ("PNG", "RGB"), ("WEBP", "RGB")])
def test_png_and_webp_are_accepted_and_transparency_kept(kind: str, mode: str) -> None:
    photo = process_photo(encoded(kind, mode=mode))
    again = Image.open(io.BytesIO(photo.data))
    assert (photo.width, photo.height) == (64, 48), "small pictures are not enlarged"
    assert again.mode == ("RGBA" if mode == "RGBA" else "RGB")


def test_the_same_picture_has_one_id_per_slot() -> None:
    photo = process_photo(encoded("PNG"))
    assert photo_id("B01", photo) == photo_id("B01", process_photo(encoded("PNG")))
    assert photo_id("B01", photo) != photo_id("B02", photo)
    assert len(photo_id("B01", photo)) == 32


def bomb(size: tuple[int, int] = (20_000, 20_000)) -> bytes:
    """A valid, tiny PNG of a huge blank picture (400 MP by default)."""
    out = io.BytesIO()
    Image.new("1", size).save(out, "PNG")
    return out.getvalue()


def lying_png() -> bytes:
    header = struct.pack(">IIBBBBB", 100, 100, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", b"garbage" * 50)


BAD = {
    "text named .jpg": (b"Hello, this is not a photo at all.\n" * 10, "only JPEG, PNG or WebP"),
    "empty": (b"", "only JPEG, PNG or WebP"),
    "gif": (encoded("GIF"), "only JPEG, PNG or WebP"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "only JPEG"),
    "png header then garbage": (b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 100, "damaged"),
    "png with garbage pixels": (lying_png(), "damaged"),
    "truncated jpeg": (jpeg_with_metadata()[:3000], "damaged"),
    "truncated png": (encoded("PNG", (300, 300))[:-40], "damaged"),
    "webp header then garbage": (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\xff" * 64, "damaged"),
    "too big": (b"\xff\xd8\xff" + b"\0" * MAX_UPLOAD_BYTES, "larger than 1 MB"),
    "decompression bomb": (bomb(), "more than 24000000 pixels"),
    "30 megapixels": (bomb((6000, 5000)), "more than 24000000 pixels"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_uploads_are_refused_with_a_clear_reason(name: str) -> None:
    data, reason = BAD[name]
    with pytest.raises(BadImage) as caught:
        process_photo(data)
    assert reason in caught.value.en
    assert caught.value.th, "the owner reads the reason in Thai too"


def test_a_coupon_qr_code_is_an_svg_of_the_code_alone() -> None:
    svg = qr_svg("ABCD2345")
    assert svg.startswith(b"<svg") and b"<script" not in svg and b"ABCD2345" in svg
    assert qr_svg("ABCD2345") == svg and qr_svg("ABCD2346") != svg
