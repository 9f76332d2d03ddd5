"""The segment filters over the nightly profiles (loyalty/profiles): RFM segment, tag,
visits in 90 days, favourite grade, average litres; a member without a profile matches
none of them."""
from __future__ import annotations

from sqlalchemy import text

from extensions import db
from loyalty import demo
from loyalty.campaigns import segments
from loyalty.profiles import compute
from tests.factories import fuel_sale, make_member
from tests.reminders.world import shanghai

TODAY = "2026-11-30"


def ids(filters: list) -> set[int]:
    result = segments.dry_run(filters, shanghai(TODAY))
    assert result.count == len(result.sample) <= 10
    return {m.member_id for m in result.sample}


def test_profile_filters(any_app):
    demo.seed()
    often = make_member("13900000001", consent=True)
    once = make_member("13900000002", consent=True)
    never = make_member("13900000003", consent=True)
    for n, day in enumerate(("2026-11-01", "2026-11-08", "2026-11-15", "2026-11-22", "2026-11-29")):
        fuel_sale(often, "40", at=shanghai(day, "09:00"), txn=f"O{n}")
    fuel_sale(once, "20", grade="95", unit_price_fen=818, at=shanghai("2026-10-20", "09:00"), txn="N1")
    compute.run(shanghai(TODAY))
    db.session.commit()
    seg = dict(db.session.execute(text("SELECT member_id, rfm_segment FROM member_profiles")).all())
    assert set(seg) == {often.id, once.id}
    assert ids([{"filter": "visits_90d", "min": 5}]) == {often.id}
    assert ids([{"filter": "visits_90d", "min": 1, "max": 1}]) == {once.id}
    assert ids([{"filter": "favourite_grade", "codes": ["95"]}]) == {once.id}
    assert ids([{"filter": "avg_litres", "min_ml": 30000}]) == {often.id}
    assert ids([{"filter": "rfm_segment", "codes": [seg[often.id]]}]) >= {often.id}
    assert never.id not in ids([{"filter": "rfm_segment", "codes": list(set(seg.values()) | {"lost"})}])
    db.session.execute(text("DELETE FROM member_tags"))  # tags of our own choosing, not the default rules'
    db.session.execute(text("INSERT INTO member_tags (member_id, tag_code) VALUES (:m, 'commuter')"), {"m": once.id})
    db.session.commit()
    assert ids([{"filter": "tag", "codes": ["commuter", "weekend"]}]) == {once.id}
