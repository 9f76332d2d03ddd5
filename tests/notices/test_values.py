"""Template values per key type: each formatter's output fits its type as WeChat checks
it (the fake WeChat API's rules, web/wechat_sim/rules.py, say 47003 otherwise)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.channels.values import key_type, template_data, value_for
from web.wechat_sim.rules import value_ok

CASES = [
    # key, value, expected
    ("thing1", "南山大道加油站", "南山大道加油站"),
    ("thing1", "中国石化深圳南山区科技园南区高新南七道第一加油站", "中国石化深圳南山区科技园南区高新南七道…"),
    ("thing1", "  两个  空格 ", "两个 空格"),
    ("thing1", "", "-"),
    ("thing2", None, "-"),
    ("phrase5", "已升级为金卡会员", "已升级为金"),
    ("phrase5", "Gold 金卡", "金卡"),
    ("character_string2", "30.00L", "30.00L"),
    ("character_string2", "92#汽油 30.00L", "92#30.00L"),
    ("character_string2", "X" * 40, "X" * 32),
    ("number4", 1200, "1200"),
    ("number4", 0, "0"),
    ("amount3", 30650, "¥306.50"),
    ("amount3", 5, "¥0.05"),
    ("amount3", 0, "¥0.00"),
    ("amount3", 100000000, "¥1000000.00"),
    ("time6", datetime(2026, 12, 3, 16, 5, tzinfo=timezone.utc), "2026-12-04 00:05"),  # Shanghai, past midnight
    ("time2", date(2027, 1, 31), "2027-01-31"),
    ("date2", "2027-02-28", "2027-02-28"),
    ("car_number1", "粤B 12345", "粤B12345"),
    ("car_number1", "粤bd12345", "粤BD12345"),     # a new-energy plate: 8 characters
    ("car_number1", "粤B·D123456X", "粤BD12345"),
    ("name1", "欧阳娜娜娜娜娜娜娜娜娜", "欧阳娜娜娜娜娜娜娜…"),
    ("name1", "Alexander Hamilton-Smith", "Alexander Hamilton-…"),
]


@pytest.mark.parametrize("key, value, expected", CASES, ids=[f"{c[0]}:{c[1]!r}"[:40] for c in CASES])
def test_each_value_is_formatted_for_its_type_and_passes_wechats_check(key, value, expected):
    formatted = value_for(key, value)
    assert formatted == expected
    assert value_ok(key, formatted), f"WeChat would refuse {key}={formatted!r}"


@pytest.mark.parametrize("key, raw", [("thing1", "中" * 21), ("phrase1", "金卡会员升级"), ("character_string1", "加油"),
                                      ("amount1", "¥¥3"), ("amount1", "306.00元¥"), ("number1", "12a"),
                                      ("time1", "明天"), ("car_number1", "粤B1234567")])
def test_the_fake_refuses_what_wechat_refuses(key, raw):
    # The other half: the fake's check is not a rubber stamp.
    assert not value_ok(key, raw)


@pytest.mark.parametrize("bad", [306.5, "306", True])
def test_an_amount_must_be_integer_fen(bad):
    with pytest.raises(TypeError):
        value_for("amount1", bad)


def test_a_naive_datetime_is_a_bug():
    with pytest.raises(TypeError):
        value_for("time1", datetime(2026, 12, 3, 8, 0))


def test_key_types_come_from_the_key_name():
    assert [key_type(k) for k in ("thing01", "character_string12", "amount3", "car_number7")] == \
        ["thing", "character_string", "amount", "car_number"]
    with pytest.raises(KeyError):
        value_for("colour1", "red")


def test_template_data_maps_keys_to_fields():
    data = template_data({"thing1": "station", "amount2": "amount"}, {"station": "一号站", "amount": 1234, "x": 1})
    assert data == {"thing1": {"value": "一号站"}, "amount2": {"value": "¥12.34"}}
