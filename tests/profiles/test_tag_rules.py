"""The tag-rule language: every operator against profiles with known values (NULLs
never match), groups nested, bound parameters only; invalid rules refused with a clear
Chinese message; the nightly run tags members from the active rules only."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from loyalty import demo
from loyalty.errors import ValidationError
from loyalty.profiles import tag_rules
from models import MemberProfile, TagRule
from tests.factories import make_member
from tests.profiles.world import run, sale, tags

AT = datetime(2026, 12, 1, tzinfo=timezone.utc)


def profile(member_id: int, **values) -> None:
    row = dict(visits_30d=0, visits_90d=0, visits_365d=0, visits_per_month=Decimal("0"), litres_365d_ml=0,
               amount_365d_fen=0, first_visit_at=AT, last_visit_at=AT, days_since_last_visit=1,
               rfm_segment="need_attention", computed_at=AT)
    db.session.add(MemberProfile(member_id=member_id, **{**row, **values}))


@pytest.fixture
def three(any_app):
    """a: 2 visits, 92#, median 5.5, 2.50 a month; b: 5, 95#, no median, 3.00; c: 8, no grade, 10.0, 8.25."""
    ids = [make_member(f"1390000030{n}").id for n in range(3)]
    profile(ids[0], visits_30d=2, favourite_grade="92", median_interval_days=Decimal("5.5"),
            visits_per_month=Decimal("2.50"), rfm_segment="champions")
    profile(ids[1], visits_30d=5, favourite_grade="95", visits_per_month=Decimal("3.00"), rfm_segment="loyal")
    profile(ids[2], visits_30d=8, median_interval_days=Decimal("10.0"), visits_per_month=Decimal("8.25"))
    db.session.commit()
    return dict(zip("abc", ids))


def matching(condition: dict) -> set[int]:
    return set(db.session.scalars(select(MemberProfile.member_id).where(tag_rules.compile_condition(condition))))


def one(field: str, op: str, value=None) -> dict:
    item = {"field": field, "op": op} if value is None else {"field": field, "op": op, "value": value}
    return {"all": [item]}


OPERATORS = [
    (one("visits_30d", "=", 5), "b"), (one("visits_30d", "!=", 5), "ac"), (one("visits_30d", ">", 5), "c"),
    (one("visits_30d", ">=", 5), "bc"), (one("visits_30d", "<", 5), "a"), (one("visits_30d", "<=", 5), "ab"),
    (one("visits_30d", "between", [2, 5]), "ab"), (one("visits_30d", "between", [3, 8]), "bc"),
    (one("visits_30d", "in", [2, 8]), "ac"), (one("visits_30d", "not_in", [2]), "bc"),
    (one("favourite_grade", "=", "92"), "a"), (one("favourite_grade", "!=", "92"), "b"),
    (one("favourite_grade", "in", ["92", "95"]), "ab"), (one("favourite_grade", "not_in", ["92"]), "b"),
    (one("favourite_grade", "is_null"), "c"), (one("favourite_grade", "not_null"), "ab"),
    (one("median_interval_days", "is_null"), "b"), (one("median_interval_days", "between", ["5.5", "10"]), "ac"),
    (one("median_interval_days", "<", 6), "a"),
    (one("visits_per_month", ">=", "2.5"), "abc"), (one("visits_per_month", ">", 2.5), "bc"),
    (one("visits_per_month", "=", "3"), "b"), (one("visits_per_month", "<=", "8.24"), "ab"),
    (one("rfm_segment", "in", ["champions", "loyal"]), "ab"), (one("rfm_segment", "=", "need_attention"), "c"),
    ({"any": [{"field": "visits_30d", "op": "=", "value": 2}, {"field": "favourite_grade", "op": "=", "value": "95"}]},
     "ab"),
    ({"all": [{"field": "visits_30d", "op": ">=", "value": 2},
              {"any": [{"field": "favourite_grade", "op": "is_null"},
                       {"field": "median_interval_days", "op": "<", "value": "6"}]}]}, "ac"),
]


@pytest.mark.parametrize("condition,expected", OPERATORS)
def test_every_operator(three, condition, expected):
    assert matching(condition) == {three[k] for k in expected}
    assert tag_rules.dry_run(condition) == len(expected)


def test_values_are_bound_never_written_into_the_sql(app):
    condition = {"all": [{"field": "favourite_grade", "op": "in", "value": ["92", "98"]},
                         {"field": "visits_30d", "op": ">=", "value": 12345}]}
    compiled = tag_rules.compile_condition(condition).compile()
    assert "12345" not in str(compiled) and "'98'" not in str(compiled)
    assert 12345 in compiled.params.values()


REFUSED = [
    ('{"all": [{"field": "nope", "op": "=", "value": 1}]}', "未知字段：nope"),
    ('{"all": [{"field": "members.phone", "op": "=", "value": 1}]}', "未知字段：members.phone"),
    ('{"all": [{"field": "favourite_grade", "op": ">", "value": "92"}]}', "不支持运算符 >"),
    ('{"all": [{"field": "visits_30d", "op": "like", "value": 1}]}', "不支持运算符 like"),
    ('{"all": [{"field": "visits_30d", "op": "=", "value": "3"}]}', "须为整数"),
    ('{"all": [{"field": "visits_30d", "op": "=", "value": true}]}', "须为数字"),
    ('{"all": [{"field": "visits_30d", "op": "="}]}', "需要一个值"),
    ('{"all": [{"field": "favourite_hour", "op": "=", "value": 24}]}', "须在 0 到 23 之间"),
    ('{"all": [{"field": "visits_30d", "op": "between", "value": [5, 2]}]}', "下限不能大于上限"),
    ('{"all": [{"field": "visits_30d", "op": "between", "value": [5]}]}', "between 的值须为"),
    ('{"all": [{"field": "visits_30d", "op": "in", "value": []}]}', "列表"),
    ('{"all": [{"field": "favourite_grade", "op": "is_null", "value": "92"}]}', "不需要值"),
    ('{"all": [{"field": "visits_per_month", "op": ">=", "value": "2.555"}]}', "最多两位小数"),
    ('{"all": [{"field": "visits_per_month", "op": ">=", "value": .nan}]}', "须为数字"),
    ('{"all": [{"field": "rfm_segment", "op": "=", "value": "vip"}]}', "须为lost"),
    ('{"all": [{"field": "favourite_grade", "op": "=", "value": "92\' OR 1=1 --"}]}', "油品代码"),
    ('{"all": [{"field": "visits_30d", "op": "=", "value": 1, "sql": "x"}]}', "只能有 field、op、value"),
    ('[{"field": "visits_30d", "op": "=", "value": 1}]', "条件须为"),
    ('{"all": []}', "非空列表"),
    ('{"all": [{"any": [{"all": [{"any": [{"field": "visits_30d", "op": "=", "value": 1}]}]}]}]}', "最多嵌套 3 层"),
    ('{"all": [' + ", ".join(['{"field": "visits_30d", "op": ">", "value": 1}'] * 21) + "]}", "最多 20 项"),
    ('{"all": [', "不是有效的 JSON 或 YAML"),
    ("   ", "请填写条件"),
]


@pytest.mark.parametrize("typed,message", REFUSED)
def test_invalid_rules_are_refused_in_chinese(typed, message):
    with pytest.raises(ValidationError) as caught:
        tag_rules.parse(typed)
    assert message in caught.value.message and caught.value.details["field"] == "condition"


def test_yaml_is_accepted_and_stored_typed():
    stored = tag_rules.parse("all:\n  - {field: favourite_grade, op: in, value: [92, 0]}\n"
                             "  - {field: visits_per_month, op: '>=', value: 2.5}\n")
    assert stored == {"all": [{"field": "favourite_grade", "op": "in", "value": ["92", "0"]},
                              {"field": "visits_per_month", "op": ">=", "value": "2.5"}]}


def test_the_run_tags_from_active_rules_only(any_app):
    demo.seed()  # the default rules
    trucker, commuter = make_member("13900000311", consent=True), make_member("13900000312", consent=True)
    for day in ("2026-11-20", "2026-11-24", "2026-11-28"):
        sale(trucker, day, "06:00", "0", 200)
    for day in ("2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24", "2026-12-01"):
        sale(commuter, day, "08:00", "92", 40)
    done = run("2026-12-02")
    # trucker: 600 L of diesel in 3 visits; commuter: 5 visits in 30 days (4.83 a month), 40 L of 92#.
    assert tags() == {(trucker.id, "long_haul"), (commuter.id, "commuter")}
    assert done.tags["long_haul"] == 1 and done.tags["commuter"] == 1 and done.tags["weekend"] == 0
    db.session.get(TagRule, "long_haul").active = False
    db.session.commit()
    run("2026-12-02")
    assert tags() == {(commuter.id, "commuter")}


def test_the_job_runs_through_a_worker_and_the_command_line(app, runner):
    import time_machine
    from rq import SimpleWorker

    from jobs import loyalty as loyalty_jobs, queue
    from tests.reminders.world import shanghai
    demo.seed()
    trucker = make_member("13900000321", consent=True)
    sale(trucker, "2026-11-28", "06:00", "0", 200)
    with time_machine.travel(shanghai("2026-12-02", "00:45"), tick=True):
        q = queue()
        job = q.enqueue(loyalty_jobs.compute_profiles)
        SimpleWorker([q], connection=q.connection).work(burst=True)
        assert job.get_status(refresh=True) == "finished"
        assert job.return_value()["members"] == 1 and job.return_value()["tags"]["long_haul"] == 1
        result = runner.invoke(args=["loyalty", "profiles"])
    assert result.exit_code == 0 and "profiles: 1 members; tags: " in result.output and "long_haul 1" in result.output
    assert tags() == {(trucker.id, "long_haul")}
