"""A QR code as PNG bytes, without Pillow.

The `qrcode` package gives the module matrix; a 1-bit grayscale PNG is a few
zlib-compressed rows. Pillow is not a dependency of the service, and a member code is
rendered for every e-card, so this stays small and pure Python.
"""
from __future__ import annotations

import struct
import zlib

import qrcode
from qrcode.constants import ERROR_CORRECT_M

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def qr_matrix(data: str, border: int = 4) -> list[list[bool]]:
    """The modules of `data`'s QR code (True: dark), with a quiet zone of `border` modules."""
    # Level M: a phone screen with glare or a scratched sticker still scans.
    code = qrcode.QRCode(border=border, error_correction=ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))


def png_from_matrix(matrix: list[list[bool]], scale: int = 8) -> bytes:
    """A 1-bit grayscale PNG of the matrix, `scale` pixels a module."""
    size = len(matrix) * scale
    rows = []
    for row in matrix:
        bits = "".join(("0" if dark else "1") * scale for dark in row)  # 0 is black in grayscale
        bits += "1" * (-len(bits) % 8)
        packed = int(bits, 2).to_bytes(len(bits) // 8, "big")
        rows.extend([b"\x00" + packed] * scale)  # leading 0: PNG filter type "none"
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + _chunk(b"IEND", b""))


def qr_png(data: str, scale: int = 8) -> bytes:
    """`data` as a QR code in a PNG image."""
    return png_from_matrix(qr_matrix(data), scale)


def read_png_matrix(png: bytes, scale: int = 8) -> list[list[bool]]:
    """The module matrix back from a PNG made by `qr_png` (for tests and the sheet check)."""
    assert png.startswith(PNG_SIGNATURE)
    pos, width, idat = len(PNG_SIGNATURE), 0, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        tag, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        if tag == b"IHDR":
            width = struct.unpack(">I", body[:4])[0]
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), 1 + (width + 7) // 8
    matrix = []
    for y in range(0, width, scale):
        row = raw[y * stride + 1:(y + 1) * stride]
        bits = "".join(f"{b:08b}" for b in row)
        matrix.append([bits[x] == "0" for x in range(0, width, scale)])
    return matrix
