"""The member pages: a full phone only for an HQ admin who gives a reason, and each reveal
on record (without the number); the tier filter; the file's lots and sales."""
from __future__ import annotations

from datetime import timedelta

from extensions import db
from models import Member
from tests.factories import fuel_sale
from loyalty import changes
from models import ChangeRecord
from tests.admin.fixtures import EAST_PHONE, console, operator  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401


def test_an_hq_admin_reveals_one_full_phone_with_a_reason_and_it_is_recorded(operator, console):
    hq, path = operator("hq"), f"/admin/members/{console['east']}"
    resp = hq.post(path + "/reveal", {"reason": ""})
    assert resp.status_code == 400 and EAST_PHONE not in resp.get_data(as_text=True)
    assert db.session.query(ChangeRecord).count() == 0
    html = hq.post(path + "/reveal", {"reason": "会员来电修改车牌，核对身份"}).get_data(as_text=True)
    assert EAST_PHONE in html
    [record] = changes.for_object("phone_reveal", str(console["east"]))
    assert (record.staff, record.reason) == ("hq", "会员来电修改车牌，核对身份")
    assert EAST_PHONE not in repr((record.before, record.after, record.reason))
    # The next look at the page is masked again, and lists who looked.
    html = hq.get(path).get_data(as_text=True)
    assert EAST_PHONE not in html and "会员来电修改车牌" in html


def test_the_tier_filter_and_the_file_show_the_member_s_lots_and_sales(operator, console, pinned_clock):
    hq = operator("hq")
    html = hq.get("/admin/members", query_string={"tier": "normal"}).get_data(as_text=True)
    assert f'/admin/members/{console["east"]}"' in html and f'/admin/members/{console["west"]}"' in html
    assert f'/admin/members/{console["east"]}"' not in hq.get("/admin/members?tier=gold").get_data(as_text=True)
    # east fuels at S002 once too: qian (S002) now sees east, but only the S002 sale.
    fuel_sale(db.session.get(Member, console["east"]), "10", at=pinned_clock - timedelta(hours=1), station="S002",
              txn="E2")
    page = hq.get(f"/admin/members/{console['east']}").get_data(as_text=True)
    assert "城东加油站" in page and "306.00" in page and "城西加油站" in page and "76.50" in page
    assert "<td>40</td><td>40</td>" in page.replace(" ", "").replace("\n", "")  # the first lot: 40 earned, 40 left
    west_view = operator("qian").get(f"/admin/members/{console['east']}").get_data(as_text=True)
    assert "城西加油站" in west_view and "城东加油站" not in west_view and "306.00" not in west_view


def test_the_file_lists_the_pushes_sent_to_the_member_for_hq_only(operator, console):
    from loyalty import outbox
    from models import Delivery
    east, west = console["east"], console["west"]
    mine = outbox.add("tier_up", "t:east", {"tier": "金卡", "previous": "银卡"}, member_id=east)
    theirs = outbox.add("tier_up", "t:west", {"tier": "金卡", "previous": "银卡"}, member_id=west)
    db.session.add_all([
        Delivery(outbox_id=mine.id, member_id=east, kind="tier_up", channel="template", outcome="sent", attempt=1),
        Delivery(outbox_id=mine.id, member_id=east, kind="tier_up", channel=None, outcome="skipped",
                 reason="quiet_hours", attempt=1),
        Delivery(outbox_id=theirs.id, member_id=west, kind="tier_up", channel="sms", outcome="failed", attempt=1)])
    db.session.commit()
    page = operator("hq").get(f"/admin/members/{east}").get_data(as_text=True)
    section = page.split("<h2>推送记录</h2>")[1].split("</table>")[0]
    assert section.count("<tr><td>") == 2 and "quiet_hours" in section and "template" in section
    assert "sms" not in section  # west's push is west's
    # A station manager's file of the same member has no pushes (they tell of other stations).
    resp = operator("wang").get(f"/admin/members/{east}")
    assert resp.status_code == 200 and "积分批次" in resp.get_data(as_text=True)
    assert "推送记录" not in resp.get_data(as_text=True)
