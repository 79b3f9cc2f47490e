"""Image metadata (GPS location, device, owner) is removed; the picture itself is kept byte for byte."""

from __future__ import annotations

import struct
import zlib

import pytest

from agora.uploads import DamagedImage, sniff_type, strip_metadata

GPS = b"GPSLatitude 50.8798 N GPSLongitude 4.7005 E Owner Rita"


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _jpeg(*segments: bytes) -> bytes:
    scan = _jpeg_segment(0xDA, b"\x00" * 10) + b"\x12\x34\xff\x00\x56" + b"\xff\xd9"
    return b"\xff\xd8" + b"".join(segments) + scan


def test_jpeg_exif_iptc_and_comments_are_removed():
    jfif = _jpeg_segment(0xE0, b"JFIF\x00\x01\x02")
    quant = _jpeg_segment(0xDB, bytes(range(65)))
    dirty = _jpeg(jfif, _jpeg_segment(0xE1, b"Exif\x00\x00" + GPS), quant, _jpeg_segment(0xED, b"Photoshop " + GPS),
                  _jpeg_segment(0xFE, GPS))
    clean = strip_metadata(dirty, sniff_type(dirty))
    assert GPS not in clean and b"Exif" not in clean
    assert clean == _jpeg(jfif, quant)  # everything else, scan data included, is unchanged


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def test_png_text_exif_and_time_chunks_are_removed():
    sig = b"\x89PNG\r\n\x1a\n"
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    idat = _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    iend = _png_chunk(b"IEND", b"")
    dirty = sig + ihdr + _png_chunk(b"eXIf", GPS) + _png_chunk(b"tEXt", b"Author\x00" + GPS) + idat + \
        _png_chunk(b"tIME", b"\x07\xea\x0b\x18\x0c\x00\x00") + iend
    assert strip_metadata(dirty, sniff_type(dirty)) == sig + ihdr + idat + iend


def _webp_chunk(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("<I", len(payload)) + payload + (b"\x00" if len(payload) % 2 else b"")


def test_webp_exif_and_xmp_chunks_are_removed_and_the_header_fixed():
    vp8x = _webp_chunk(b"VP8X", bytes([0x08 | 0x04 | 0x10]) + b"\x00" * 9)
    image = _webp_chunk(b"VP8L", b"\x2f\x00\x00\x00\x00")
    body = vp8x + image + _webp_chunk(b"EXIF", GPS) + _webp_chunk(b"XMP ", b"<x:xmpmeta>" + GPS)
    dirty = b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body
    clean = strip_metadata(dirty, sniff_type(dirty))
    assert GPS not in clean
    assert struct.unpack("<I", clean[4:8])[0] == len(clean) - 8
    assert clean[20] == 0x10  # the alpha flag stays; EXIF and XMP flags are cleared
    assert clean.endswith(image)


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/webp"])
def test_truncated_images_are_refused(content_type):
    broken = {"image/jpeg": b"\xff\xd8\xff\xe1\x40\x00Exif",
              "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x10\x00IHDR",
              "image/webp": b"RIFF\x20\x00\x00\x00WEBPVP8L\x40\x00\x00\x00\x2f"}[content_type]
    with pytest.raises(DamagedImage):
        strip_metadata(broken, content_type)


def test_sniffing_ignores_names_and_refuses_svg():
    assert sniff_type(b"%PDF-1.7\n") == "application/pdf"
    assert sniff_type(b"<svg onload=alert(1)>") is None
