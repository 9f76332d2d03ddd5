"""The dashboards' JSON and pages over the console's world (tests/admin/fixtures.py: east
fuels 40 L of 92# at S001, west 30 L at S002, a day before the pinned clock), after the
rollup job: each endpoint's figures, the station filter (a manager sees their own station
only, whatever they ask), bad filters as 400 JSON with a stable code, never a 500, and no
personal data in any answer."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from extensions import db
from loyalty.dashboards import rollup
from loyalty.dashboards.figures import DASHBOARDS
from loyalty.policy import BUSINESS_TZ
from loyalty.reminders.sql import business_day
from tests.admin.fixtures import EAST_PHONE, WEST_PHONE, console, operator  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401


@pytest.fixture
def rolled(console, pinned_clock):
    rollup.nightly(pinned_clock)
    db.session.commit()
    sold = pinned_clock - timedelta(days=1)
    return {"day": business_day(sold).isoformat(), "weekday": business_day(sold).isoweekday(),
            "hour": sold.astimezone(BUSINESS_TZ).hour,
            "today": business_day(pinned_clock).isoformat()}


def figures(who, name: str, **args):
    resp = who.get(f"/admin/dashboards/{name}.json", query_string=args)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def test_sales_per_station_and_grade_for_hq_a_station_and_each_manager(operator, rolled):
    day = rolled["day"]
    east = {"day": day, "station": "S001", "grade": "92", "lines": 1, "litres_ml": 40000, "amount_fen": 30600}
    west = {"day": day, "station": "S002", "grade": "92", "lines": 1, "litres_ml": 30000, "amount_fen": 22950}
    hq, wang, qian = operator("hq"), operator("wang"), operator("qian")
    got = figures(hq, "sales", **{"from": day, "to": day})
    assert (got["from"], got["to"], got["station"], got["days"]) == (day, day, None, [day])
    assert got["rows"] == [east, west]
    assert got["totals"] == [{"station": "S001", "grade": "92", "litres_ml": 40000, "amount_fen": 30600},
                             {"station": "S002", "grade": "92", "litres_ml": 30000, "amount_fen": 22950}]
    assert figures(hq, "sales", **{"from": day, "to": day, "station": "S002"})["rows"] == [west]
    # A manager: their own station, asked for or not; another station reads as not found.
    assert figures(wang, "sales", **{"from": day, "to": day})["rows"] == [east]
    assert figures(wang, "sales", **{"from": day, "to": day, "station": "S001"})["station"] == "S001"
    assert figures(qian, "sales", **{"from": day, "to": day})["rows"] == [west]
    for name in DASHBOARDS:
        for station in ("S002", "S003", "S999"):
            resp = wang.get(f"/admin/dashboards/{name}.json", query_string={"station": station})
            assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found", (name, station)


def test_member_share_peak_hours_and_members_per_week(operator, rolled):
    hq, wang = operator("hq"), operator("wang")
    day = rolled["day"]
    share = figures(hq, "member-share", **{"from": day, "to": day})
    assert share["total"] == {"member_sales": 2, "anonymous_sales": 0, "member_litres_ml": 70000,
                              "anonymous_litres_ml": 0, "member_paid_fen": 53550, "anonymous_paid_fen": 0,
                              "member_share_bp": 10000}
    assert share["days"] == [{"day": day, **share["total"]}]
    peak = figures(hq, "peak-hours", **{"from": day, "to": day})
    cells = {(w + 1, h): n for w, hours in enumerate(peak["sales"]) for h, n in enumerate(hours) if n}
    assert cells == {(rolled["weekday"], rolled["hour"]): 2}
    assert peak["litres_ml"][rolled["weekday"] - 1][rolled["hour"]] == 70000
    assert sum(map(sum, figures(wang, "peak-hours", **{"from": day, "to": day})["sales"])) == 1
    weeks = figures(hq, "members", **{"from": day, "to": day})["weeks"]
    assert len(weeks) == 1 and weeks[0]["active_members"] == 2
    mine = figures(wang, "members", **{"from": day, "to": day})["weeks"]
    assert mine == [{"week": weeks[0]["week"], "new_members": 1, "active_members": 1}]  # east, new to S001


def test_tiers_liabilities_coupons_and_pushes(operator, rolled):
    hq, qian = operator("hq"), operator("qian")
    tiers = figures(hq, "tiers")
    assert tiers["as_of"] == rolled["today"]
    assert [(t["code"], t["members"]) for t in tiers["tiers"]] == [("normal", 3), ("silver", 0), ("gold", 0),
                                                                   ("diamond", 0)]
    assert [t["members"] for t in figures(qian, "tiers")["tiers"]] == [1, 0, 0, 0]
    # 40 + 30 points (92#: 1 a litre); the demo member's 1000 yuan top-up with its 50 bonus.
    owed = figures(hq, "liabilities")
    assert (owed["as_of"], owed["points"], owed["principal_fen"], owed["bonus_fen"]) == (rolled["today"], 70,
                                                                                          100000, 5000)
    assert sum(e["points"] for e in owed["expiring"]) == 70 and len(owed["expiring"]) == 1
    assert owed["days"] == [{"day": rolled["today"], "points": 70, "principal_fen": 100000, "bonus_fen": 5000}]
    mine = figures(qian, "liabilities")
    assert (mine["points"], mine["principal_fen"], mine["bonus_fen"]) == (30, 0, 0)
    coupons = figures(hq, "coupons")
    assert coupons["total"] == {"issued": 0, "used": 0, "expired": 0} and len(coupons["days"]) == 30
    assert figures(hq, "pushes") == {"from": coupons["from"], "to": rolled["today"], "station": None,
                                     "channels": [], "days": []}


def test_the_default_range_is_the_30_days_to_today_and_no_answer_names_a_member(operator, rolled):
    hq = operator("hq")
    for name in DASHBOARDS:
        resp = hq.get(f"/admin/dashboards/{name}.json")
        assert resp.status_code == 200, name
        body = resp.get_data(as_text=True)
        assert resp.get_json()["to"] == rolled["today"], name
        for secret in (EAST_PHONE, WEST_PHONE, EAST_PHONE[-4:], "浙A88888", "浙B66666", "顺达"):
            assert secret not in body, (name, secret)
    first = figures(hq, "coupons")["days"][0]["day"]
    assert (date.fromisoformat(rolled["today"]) - date.fromisoformat(first)).days == 29


BAD = [({"from": "2026-13-01"}, "bad_date", "from"), ({"to": "2026-02-30"}, "bad_date", "to"),
       ({"from": "yesterday"}, "bad_date", "from"), ({"from": "2026-1-1"}, "bad_date", "from"),
       ({"from": "1999-12-31"}, "bad_date", "from"), ({"to": "2999-01-01"}, "bad_date", "to"),
       ({"from": "2026-11-02' OR 1=1 --"}, "bad_date", "from"), ({"to": "２０２６-１１-０１"}, "bad_date", "to"),
       ({"from": "2026-11-10", "to": "2026-11-09"}, "bad_range", "from"),
       ({"from": "2025-01-01", "to": "2026-01-02"}, "range_too_long", "from"),
       ({"station": "S999"}, "unknown_station", "station"), ({"station": "x" * 500}, "unknown_station", "station")]


@pytest.mark.parametrize("args,code,field", BAD)
def test_bad_filters_are_a_400_with_a_stable_code(operator, rolled, args, code, field):
    hq = operator("hq")
    for name in DASHBOARDS:
        resp = hq.get(f"/admin/dashboards/{name}.json", query_string=args)
        assert resp.status_code == 400, (name, args)
        error = resp.get_json()["error"]
        assert (error["code"], error["field"]) == (code, field) and error["message"], (name, args)


def test_a_range_of_366_days_is_allowed_and_an_unknown_dashboard_is_a_404(operator, rolled):
    hq = operator("hq")
    assert hq.get("/admin/dashboards/sales.json", query_string={"from": "2025-01-01", "to": "2026-01-01"}
                  ).status_code == 200
    resp = hq.get("/admin/dashboards/profits.json")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "unknown_dashboard"
    assert hq.get("/admin/dashboards/profits").status_code == 404


def test_each_page_carries_its_chart_the_vendored_echarts_and_the_filters(operator, rolled):
    hq, wang = operator("hq"), operator("wang")
    assert hq.get("/admin/dashboards").headers["Location"].endswith("/admin/dashboards/sales")
    for name in DASHBOARDS:
        html = hq.get(f"/admin/dashboards/{name}").get_data(as_text=True)
        assert f'data-json="/admin/dashboards/{name}.json"' in html
        assert '/admin/static/echarts/echarts.min.js' in html and '/admin/static/dashboards.js' in html
        assert 'name="from"' in html and 'name="to"' in html and '<select name="station">' in html
    mine = wang.get("/admin/dashboards/sales").get_data(as_text=True)
    assert '<select name="station">' not in mine and "S001" in mine and "S002" not in mine
    script = hq.get("/admin/static/echarts/echarts.min.js")
    assert script.status_code == 200 and b"Apache Software Foundation" in script.data[:400]
    assert "看板" in hq.get("/admin/").get_data(as_text=True)


JUNK = ["", " ", "-", "0", "1e9", "１２", "99999999999999999999999", "NaN", "<script>", "%00", "\x00", "a" * 3000,
        "2026-11-01\x00", "2026-11-01T00:00", "+2026-11-01", "2026-11-01 "]


def test_junk_in_every_filter_is_a_4xx_json_error_or_the_default_never_a_500(operator, rolled):
    for who in (operator("hq"), operator("wang")):
        for name in DASHBOARDS:
            for junk in JUNK:
                for field in ("from", "to", "station"):
                    resp = who.get(f"/admin/dashboards/{name}.json", query_string={field: junk})
                    assert resp.status_code in (200, 400, 404), (name, field, junk, resp.status_code)
                    if resp.status_code != 200:
                        assert resp.get_json()["error"]["code"] in ("bad_date", "unknown_station", "not_found")
