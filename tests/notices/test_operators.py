"""The operators' view: the delivery log (filtered) and the queues, for HQ admins only;
`flask notify log` prints the same log as JSON lines."""
from __future__ import annotations

import json

import time_machine

from tests.cashier.fixtures import PASSWORD, login, till  # noqa: F401  (fixtures)
from tests.factories import make_member
from tests.notices.world import MORNING, add, work


def two_members_pushed():
    ming = make_member("13800000001", openid="o-ming")
    hong = make_member("13900000002", openid="o-hong")
    with time_machine.travel(MORNING, tick=True):
        add("tier_up", {"tier": "金卡", "previous": "银卡"}, ming)
        add("birthday", {"coupon_id": None}, ming)          # not consented: skipped
        add("points_expiring", {"points": 5, "expires_on": "2027-01-31", "days": 7}, hong)
        work()


def test_notify_log_prints_json_lines_filtered_by_phone(app, runner, fake_wechat):
    two_members_pushed()
    lines = [json.loads(line) for line in runner.invoke(args=["notify", "log", "--phone", "13800000001"]).output.splitlines()]
    assert [(e["kind"], e["channel"], e["outcome"], e["reason"]) for e in lines] == [
        ("tier_up", "template", "sent", None), ("birthday", None, "skipped", "opted_out")]
    assert {e["phone"] for e in lines} == {"138****0001"}  # masked
    assert set(lines[0]) == {"id", "at", "outbox_id", "kind", "member_id", "phone", "channel", "outcome", "errcode",
                             "reason", "attempt"}
    last = runner.invoke(args=["notify", "log", "--last", "1"]).output.splitlines()
    assert [json.loads(line)["kind"] for line in last] == ["points_expiring"]
    bad = runner.invoke(args=["notify", "log", "--phone", "12"])
    assert bad.exit_code == 2 and "not a mainland mobile number" in bad.output


def table(page: str) -> str:
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def test_an_hq_admin_sees_the_log_filtered_and_the_queues(till, login, fake_wechat):
    two_members_pushed()
    hq = login("hq")
    rows = table(hq.client.get("/admin/pushes?outcome=skipped").get_data(as_text=True))
    assert "birthday" in rows and "opted_out" in rows and "tier_up" not in rows
    rows = table(hq.client.get("/admin/pushes?phone=13900000002").get_data(as_text=True))
    assert "points_expiring" in rows and "139****0002" in rows and "13900000002" not in rows
    assert "tier_up" not in rows
    assert hq.client.get("/admin/pushes?kind=nonsense").status_code == 400
    assert "手机号格式不正确" in hq.client.get("/admin/pushes?phone=abc").get_data(as_text=True)
    queues = hq.client.get("/admin/queues/")
    assert queues.status_code in (200, 302)
    assert hq.client.get("/admin/queues/0/data/queues.json").status_code == 200


def test_other_staff_and_strangers_are_kept_out(till, login, client):
    assert client.get("/admin/pushes").status_code == 302  # to the login
    assert client.get("/admin/queues/").status_code == 302
    cashier = login("li")
    assert cashier.client.get("/admin/pushes").status_code == 403
    assert cashier.client.get("/admin/queues/").status_code == 403
    manager = login("wang")
    assert manager.client.get("/admin/queues/0/data/queues.json").status_code == 403
