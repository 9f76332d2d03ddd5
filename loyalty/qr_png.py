"""A QR code as PNG bytes, without Pillow.

`qrcode` builds the code and writes it with its own pure-Python PNG factory
(qrcode.image.pure.PyPNGImage, on pypng): a 1-bit grayscale image. Pillow is not a
dependency of the service, and a member code is rendered for every e-card, so this stays
small and pure Python; pypng also reads the image back for the tests and the sheet check.
"""
from __future__ import annotations

import io

import png
import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pure import PyPNGImage

BORDER = 4  # the quiet zone the QR standard asks for, in modules


def _code(data: str, border: int = BORDER, scale: int = 8) -> qrcode.QRCode:
    # Level M: a phone screen with glare or a scratched sticker still scans.
    code = qrcode.QRCode(border=border, box_size=scale, error_correction=ERROR_CORRECT_M,
                         image_factory=PyPNGImage)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_matrix(data: str, border: int = BORDER) -> list[list[bool]]:
    """The modules of `data`'s QR code (True: dark), with a quiet zone of `border` modules."""
    return _code(data, border).get_matrix()


def qr_png(data: str, scale: int = 8) -> bytes:
    """`data` as a QR code in a PNG image, `scale` pixels a module."""
    out = io.BytesIO()
    _code(data, scale=scale).make_image().save(out)
    return out.getvalue()


def read_png_matrix(image: bytes, scale: int = 8) -> list[list[bool]]:
    """The module matrix back from a PNG made by `qr_png` (for tests and the sheet check)."""
    width, _height, rows, _info = png.Reader(bytes=image).read()
    # One pixel a module is enough: each module is a scale x scale square. 0 is black.
    return [[row[x] == 0 for x in range(0, width, scale)] for row in list(rows)[::scale]]
