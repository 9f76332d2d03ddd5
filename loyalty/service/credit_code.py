"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

18 characters from a 31-character set (the digits and the capitals without I, O, S, V
and Z, which read like digits): the registering authority, the kind of entity, the
region, the organisation code, and a check character. Character i (1-17) has the value
of its place in CHARSET and the weight WEIGHTS[i-1]; the check character is the one
whose value is 31 - (the weighted sum mod 31), with 31 written as 0.
"""
from __future__ import annotations

import unicodedata

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (all from CHARSET)."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def normalise(text: str) -> str | None:
    """The code as stored: full-width folded (NFKC), spaces dropped, upper case; None
    unless it is 18 characters of CHARSET whose last is the check character."""
    code = "".join(unicodedata.normalize("NFKC", text or "").split()).upper()
    if len(code) != LENGTH or any(c not in CHARSET for c in code):
        return None
    return code if check_character(code[:17]) == code[17] else None
