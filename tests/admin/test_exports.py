"""CSV exports (/admin/exports): HQ only, audited, streamed in batches over a server-side
cursor; UTF-8 with a BOM; business days in Shanghai; money in yuan from fen; phones masked."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, insert, select

from extensions import db
from loyalty.benefits import coupons
from loyalty.policy import BUSINESS_TZ
from loyalty.till.topups import topup_member
from models import ChangeRecord, Member, Sale, Station
from tests.admin.fixtures import EAST_PHONE, WEST_PHONE, console, operator  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401
from tests.factories import fuel_sale

BOM = b"\xef\xbb\xbf"
SALES_HEADER = ("消费ID,时间,油站代码,油站,POS流水号,会员ID,会员手机号（已遮盖）,油枪,升数,应收（元）,优惠（元）,实付（元）,"
                "支付方式,储值支付（元）,获得积分,已退款（元）\r\n")
LATE = datetime(2026, 11, 20, 23, 59, 59, tzinfo=BUSINESS_TZ)   # the last second of 20 November
MIDNIGHT = datetime(2026, 11, 21, 0, 0, 0, tzinfo=BUSINESS_TZ)  # the first of the 21st


def export(hq, kind: str, start: str, end: str, station: str = "", reason: str = "月度对账"):
    return hq.post("/admin/exports", {"kind": kind, "from": start, "to": end, "station": station, "reason": reason})


def table(resp) -> list[list[str]]:
    body = resp.get_data()
    assert body.startswith(BOM) and not body[3:].startswith(BOM)
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def today() -> str:
    return datetime.now(BUSINESS_TZ).date().isoformat()


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@pytest.fixture
def night(console):
    """Two sales of the east member at S001, one second before and at midnight (Shanghai)."""
    east = db.session.get(Member, console["east"])
    late = fuel_sale(east, "20.00", at=LATE.astimezone(timezone.utc), station="S001", txn="LATE")
    early = fuel_sale(east, "10.005", at=MIDNIGHT.astimezone(timezone.utc), station="S001", txn="MIDNIGHT")
    return {"late": late.id, "early": early.id}


def test_sales_csv_starts_with_the_bom_and_the_chinese_header_byte_for_byte(operator, night):
    resp = export(operator("hq"), "sales", "2026-11-20", "2026-11-20")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="youka-sales-20261120-20261120.csv"'
    assert resp.get_data().startswith(BOM + SALES_HEADER.encode("utf-8"))


def test_a_business_day_runs_from_midnight_to_midnight_in_shanghai(operator, night):
    hq = operator("hq")
    [_, first] = table(export(hq, "sales", "2026-11-20", "2026-11-20"))
    assert first[0] == str(night["late"]) and first[1] == "2026-11-20 23:59:59"
    assert first[3] == "城东加油站" and first[4] == "LATE" and first[6] == "139****1234"
    assert first[8] == "20.000" and first[9] == "153.00"  # 20 L x 7.65 yuan
    sale = db.session.get(Sale, night["late"])
    assert first[10:12] == [yuan(sale.discount_fen), yuan(sale.payable_fen)] and first[14] == str(sale.points_earned)
    [_, second] = table(export(hq, "sales", "2026-11-21", "2026-11-21"))
    assert second[0] == str(night["early"]) and second[1] == "2026-11-21 00:00:00"
    assert second[8] == "10.005" and second[9] == "76.54"  # 10.005 L x 7.65 = 76.53825, the till's rounding
    both = table(export(hq, "sales", "2026-11-20", "2026-11-21"))
    assert [r[0] for r in both[1:]] == [str(night["late"]), str(night["early"])]
    assert table(export(hq, "sales", "2026-11-19", "2026-11-19")) == [SALES_HEADER.strip().split(",")]


def test_the_station_filter_keeps_that_stations_sales_only(operator, console):
    hq, day, start = operator("hq"), today(), "2020-01-01"
    every = table(export(hq, "sales", start, day))
    assert sorted(r[4] for r in every[1:]) == ["E1", "W1"]
    west = table(export(hq, "sales", start, day, station="S002"))
    assert [(r[2], r[4], r[6]) for r in west[1:]] == [("S002", "W1", "137****5678")]
    assert table(export(hq, "sales", start, day, station="S003"))[1:] == []


def test_members_export_masks_phones_and_never_lets_a_cell_run_as_a_formula(operator, console):
    east = db.session.get(Member, console["east"])
    east.company = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    hq = operator("hq")
    resp = export(hq, "members", today(), today())
    body = resp.get_data().decode("utf-8-sig")
    assert EAST_PHONE not in body and WEST_PHONE not in body
    rows = table(resp)
    assert rows[0] == ["会员ID", "手机号（已遮盖）", "身份", "车牌", "单位", "车型", "等级", "关注公众号", "入会时间",
                       "同意隐私条款时间"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id[str(console["east"])][1:5] == ["139****1234", "private", "浙A88888", "'=HYPERLINK(\"http://evil\")"]
    assert by_id[str(console["west"])][1] == "137****5678"
    # A station's members are those with a sale there.
    s002 = table(export(hq, "members", today(), today(), station="S002"))
    assert [r[0] for r in s002[1:]] == [str(console["west"])]


def test_ledger_export_names_the_station_of_sales_and_top_ups_money_in_yuan_points_apart(operator, console):
    west = db.session.get(Member, console["west"])
    topup_member("S003", west, "TP1", 50000, "cash")  # 充500送20: principal and bonus
    hq = operator("hq")
    rows = table(export(hq, "ledger", "2020-01-01", today(), station="S003"))
    assert rows[0][6:9] == ["类型", "积分", "金额（元）"]
    assert [(r[2], r[6], r[7], r[8], r[9], r[12]) for r in rows[1:]] == [
        ("stored_value", "topup", "", "500.00", "principal", "S003"),
        ("stored_value", "bonus", "", "20.00", "bonus", "S003")]
    s002 = table(export(hq, "ledger", "2020-01-01", today(), station="S002"))
    assert s002[1:] and all(r[12] == "S002" and r[10] == "sale" for r in s002[1:])
    assert {r[2] for r in s002[1:]} == {"points"} and all(r[7].isdigit() and r[8] == "" for r in s002[1:])


def test_coupons_export_and_its_station_is_where_a_coupon_was_used(operator, console, pinned_clock):
    east = db.session.get(Member, console["east"])
    coupon = coupons.issue(east, "FULL200_20", key="export-test", now=pinned_clock)
    db.session.commit()
    hq = operator("hq")
    issued = pinned_clock.astimezone(BUSINESS_TZ).date().isoformat()
    rows = table(export(hq, "coupons", issued, issued))
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows[1:]] == [
        (str(coupon.id), str(console["east"]), "FULL200_20", "满200减20", "issued")]
    assert rows[1][6] == pinned_clock.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")
    assert table(export(hq, "coupons", issued, issued, station="S001"))[1:] == []  # not used anywhere yet


def test_every_export_is_audited_with_its_filters_never_its_data(operator, night):
    export(operator("hq"), "sales", "2026-11-20", "2026-11-21", station="S001", reason="对账 11 月")
    [record] = db.session.scalars(select(ChangeRecord)).all()
    assert (record.kind, record.object_key, record.action, record.reason) == ("export", "sales", "export", "对账 11 月")
    assert record.after == {"kind": "sales", "from": "2026-11-20", "to": "2026-11-21", "station": "S001"}
    assert record.before is None and record.staff_id is not None
    assert "1234" not in json.dumps(record.after) and "LATE" not in json.dumps(record.after)
    html = operator("hq").get("/admin/changes?kind=export").get_data(as_text=True)
    assert "数据导出" in html and "对账 11 月" in html


BAD = [({"from": "2026-13-01"}, "开始日期应为日期"), ({"to": "2026/11/21"}, "结束日期应为日期"),
       ({"from": "2026-11-22", "to": "2026-11-21"}, "结束日期不能早于开始日期"),
       ({"station": "S999"}, "油站 S999 不存在"), ({"kind": "phones"}, "没有这种导出"),
       ({"reason": "  "}, "请填写原因"), ({"from": "2001-01-01"}, "日期范围最长 10 年"),
       ({"from": "2026-W47-5"}, "开始日期应为日期"), ({"to": "２０２６-11-21"}, "结束日期应为日期"),
       ({"from": "9999-12-30", "to": "9999-12-31"}, "开始日期应在 2000 至 2099 年之间")]


@pytest.mark.parametrize("change,message", BAD)
def test_bad_filters_are_a_400_in_chinese_and_nothing_is_recorded(operator, console, change, message):
    form = {"kind": "sales", "from": "2026-11-20", "to": "2026-11-21", "station": "", "reason": "对账", **change}
    resp = operator("hq").post("/admin/exports", form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'role="alert"' in html
    assert message in html
    assert db.session.query(ChangeRecord).count() == 0


def test_a_station_manager_gets_403_and_nobody_logged_in_the_login_page(operator, till, console):
    wang = operator("wang")
    assert wang.get("/admin/exports").status_code == 403
    assert wang.post("/admin/exports", {"kind": "members", "from": today(), "to": today(), "reason": "x"}
                     ).status_code == 403
    anonymous = till.test_client()
    for resp in (anonymous.get("/admin/exports"), anonymous.post("/admin/exports", data={"kind": "members"})):
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/cashier/login?next=/admin/exports")
    assert db.session.query(ChangeRecord).count() == 0


@pytest.fixture
def app_config(app_config):
    app_config.update(EXPORT_BATCH_ROWS=5)
    return app_config


def test_the_download_is_a_generator_over_a_server_side_cursor_a_batch_at_a_time(operator, console, app):
    s003 = db.session.scalar(select(Station.id).where(Station.code == "S003"))
    at = datetime(2026, 11, 20, 12, 0, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)
    db.session.execute(insert(Sale), [dict(station_id=s003, pos_txn_no=f"B{i:03d}", request_hash="h", gross_fen=100 + i,
                                           discount_fen=0, payable_fen=100 + i, created_at=at) for i in range(23)])
    db.session.commit()
    cursors = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM sales" in statement:
            cursors.append((type(cursor).__name__, context.execution_options.get("yield_per")))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        resp = export(operator("hq"), "sales", "2026-11-20", "2026-11-20", station="S003")
        assert resp.is_streamed
        chunks = list(resp.response)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert cursors == [("ServerCursor", 5)]  # one query, read through a named (server-side) cursor
    assert len(chunks) == 1 + 5  # the BOM and header, then 23 rows in batches of 5: 5+5+5+5+3
    assert [c.count(b"\r\n") for c in chunks] == [1, 5, 5, 5, 5, 3]
    rows = list(csv.reader(io.StringIO(b"".join(chunks)[3:].decode(), newline="")))
    assert [r[4] for r in rows[1:]] == [f"B{i:03d}" for i in range(23)]
    assert rows[-1][11] == "1.22"  # 122 fen


def test_the_exports_read_the_same_on_postgresql_and_sqlite(any_app):
    from loyalty import demo, exports
    from tests.factories import make_member
    demo.seed()
    ming = make_member("13900001234")
    fuel_sale(ming, "20.00", at=LATE.astimezone(timezone.utc), station="S002", txn="LATE")
    topup_member("S002", ming, "TP9", 10000, "cash")
    day = {"from": "2026-11-20", "to": "2026-11-20", "station": "S002"}
    sales = b"".join(exports.csv_chunks(exports.parse_filters("sales", day), batch=5)).decode("utf-8-sig")
    assert "LATE" in sales and "2026-11-20 23:59:59" in sales and "139****1234" in sales
    ledger = b"".join(exports.csv_chunks(exports.parse_filters("ledger", dict(day, to=today())), batch=5))
    rows = list(csv.reader(io.StringIO(ledger.decode("utf-8-sig"), newline="")))
    assert [(r[6], r[12]) for r in rows[1:]] == [("earn", "S002"), ("topup", "S002")]
