"""A QR code as PNG bytes, without Pillow: the `qrcode` package gives the module matrix,
and an 8-bit grayscale PNG is a few zlib-compressed rows."""
from __future__ import annotations

import struct
import zlib

import qrcode

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_matrix(data: str, border: int = 4) -> list[list[bool]]:
    code = qrcode.QRCode(border=border)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def qr_png(data: str, scale: int = 4) -> bytes:
    matrix = qr_matrix(data)
    rows = []
    for row in matrix:
        line = b"".join((b"\x00" if dark else b"\xff") * scale for dark in row)
        rows.extend([b"\x00" + line] * scale)  # leading 0: PNG filter type "none"
    size = len(matrix) * scale
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + _chunk(b"IEND", b""))
