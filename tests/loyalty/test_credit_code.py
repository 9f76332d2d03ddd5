"""The unified social credit code check (GB 32100-2015), against codes worked out by hand.

Values: 0-9 are themselves, then A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 N22
P23 Q24 R25 T26 U27 W28 X29 Y30. Weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.
Check value = 31 - (sum mod 31), 31 written as 0.
"""
import pytest

from loyalty.service.credit_code import normalise

# Seventeen 1s: the sum is the sum of the weights,
#   1+3+9+27+19+26+16+17+20+29+25+13+8+24+10+30+28 = 305; 305 mod 31 = 305 - 279 = 26;
#   31 - 26 = 5 -> "5".
ALL_ONES = "111111111111111115"
# 9 1 3 1 then zeros: 9x1 + 1x3 + 3x9 + 1x27 = 9 + 3 + 27 + 27 = 66; 66 mod 31 = 4;
#   31 - 4 = 27 -> "U".
SHANGHAI = "91310000000000000U"
# 9 1 4 4 0 3 0 0 M A 5 F 0 0 0 0 0:
#   9x1 + 1x3 + 4x9 + 4x27 + 0 + 3x26 + 0 + 0 + M(21)x20 + A(10)x29 + 5x25 + F(15)x13
#   = 9 + 3 + 36 + 108 + 78 + 420 + 290 + 125 + 195 = 1264; 1264 mod 31 = 1264 - 1240 = 24;
#   31 - 24 = 7 -> "7".
SHENZHEN = "91440300MA5F000007"
# Seventeen 0s: the sum is 0, 31 - 0 = 31, written as 0.
ALL_ZEROS = "000000000000000000"


@pytest.mark.parametrize("code", [ALL_ONES, SHANGHAI, SHENZHEN, ALL_ZEROS])
def test_codes_with_the_right_check_character_are_accepted(code):
    assert normalise(code) == code


def test_lower_case_full_width_and_spaces_are_folded():
    assert normalise(" 91440300ma5f 000007 ") == SHENZHEN
    assert normalise("９１３１" + "０" * 13 + "Ｕ") == SHANGHAI


@pytest.mark.parametrize("code", [
    "111111111111111116",   # check digit off by one
    "91310000000000000T",   # T (26) where U (27) belongs
    "91440300MA5F000008",
    "91440300MA5F00000",    # 17 characters
    "91440300MA5F0000070",  # 19 characters
    "91440300MA5F00000I",   # I is not in the set (reads like 1)
    "9144030OMA5F000007",   # O is not in the set (reads like 0)
    "",
])
def test_wrong_codes_are_refused(code):
    assert normalise(code) is None
