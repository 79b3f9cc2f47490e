"""Uploaded files: recognise the type by content, and strip metadata from images.

Phones write the place a photo was taken (EXIF GPS), the device and often the owner's name
into the file. Residents post photos publicly, so images are stored without those blocks:
JPEG APP1/APP13/COM segments, PNG text/eXIf/tIME chunks, WebP EXIF/XMP chunks. The pixels
are untouched (no re-encoding, so no extra dependency and no quality loss).
"""

from __future__ import annotations

import struct

# Types are recognised by their first bytes, never by the name or the browser's claim. No SVG: it can carry scripts.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
)
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp"})


def sniff_type(data: bytes) -> str | None:
    """The MIME type of a PNG, JPEG, WebP or PDF file from its content, or None."""
    for magic, content_type in _SIGNATURES:
        if data.startswith(magic):
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class DamagedImage(ValueError):
    """The image's structure could not be read, so its metadata could not be removed."""


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The same image without location, device and text metadata. Raises DamagedImage."""
    try:
        if content_type == "image/jpeg":
            return _strip_jpeg(data)
        if content_type == "image/png":
            return _strip_png(data)
        if content_type == "image/webp":
            return _strip_webp(data)
    except (IndexError, struct.error) as error:
        raise DamagedImage(content_type) from error
    return data


_JPEG_DROP = {0xE1, 0xED, 0xFE}  # APP1 (Exif, XMP), APP13 (IPTC/Photoshop), COM


def _strip_jpeg(data: bytes) -> bytes:
    out = bytearray(data[:2])
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            raise DamagedImage("image/jpeg")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: compressed data follows to the end
            out += data[pos:]
            return bytes(out)
        if marker == 0xD9 or 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length field
            out += data[pos:pos + 2]
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if length < 2 or pos + 2 + length > len(data):
            raise DamagedImage("image/jpeg")
        if marker not in _JPEG_DROP:
            out += data[pos:pos + 2 + length]
        pos += 2 + length
    return bytes(out)


_PNG_DROP = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    out = bytearray(data[:8])
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise DamagedImage("image/png")
        if kind not in _PNG_DROP:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            break
    return bytes(out)


def _strip_webp(data: bytes) -> bytes:
    chunks = bytearray()
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos:pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4:pos + 8])
        end = pos + 8 + size + (size & 1)
        if pos + 8 + size > len(data):
            raise DamagedImage("image/webp")
        chunk = bytearray(data[pos:min(end, len(data))])
        if kind == b"VP8X":
            chunk[8] &= ~(0x08 | 0x04) & 0xFF  # the header no longer announces EXIF or XMP
        if kind not in (b"EXIF", b"XMP "):
            chunks += chunk
        pos = end
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + bytes(chunks)
