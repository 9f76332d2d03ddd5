"""Opt-in to subscription notices: the profile page's button (wx-open-subscribe, wx.config
signed with the shared jsapi_ticket), WeChat's events recording the choices, and the
policy spending one acceptance per notice."""
from __future__ import annotations

import hashlib
import html
import json
import re

import pytest
import time_machine
from sqlalchemy import func, select

from bot.member_sim import cdata
from extensions import db, get_redis
from loyalty import demo
from models import NoticeAcceptance
from tests.factories import make_member
from tests.h5.fixtures import sign_in
from tests.notices.world import MORNING, add, deliveries, work


def popup_xml(openid: str, choices: dict[str, str], event: str = "subscribe_msg_popup_event",
              element: str = "SubscribeMsgPopupEvent", create_time: int = 1767000000) -> str:
    items = "".join(f"<List><TemplateId>{cdata(t)}</TemplateId><SubscribeStatusString>{cdata(s)}"
                    f"</SubscribeStatusString><PopupScene>2</PopupScene></List>" for t, s in choices.items())
    return (f"<xml><ToUserName>{cdata('gh_test')}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType>{cdata('event')}</MsgType>"
            f"<Event>{cdata(event)}</Event><{element}>{items}</{element}></xml>")


def unused(template_id: str) -> int:
    return db.session.scalar(select(func.count()).select_from(NoticeAcceptance).where(
        NoticeAcceptance.template_id == template_id, NoticeAcceptance.used_at.is_(None)))


def test_the_profile_page_offers_the_button_signed_with_the_shared_ticket(app, client, fake_wechat):
    demo.seed()
    make_member("13800000001", openid="o-ming")
    sign_in(client, fake_wechat, "o-ming")
    page = client.get("/m/profile").get_data(as_text=True)
    tag = re.search(r'<wx-open-subscribe template="([^"]+)"', page)
    assert tag.group(1) == "SUB_POINTS_EXPIRY,SUB_COUPON_EXPIRY,SUB_INSPECTION"  # the reminder kinds
    config = json.loads(html.unescape(re.search(r'<script id="wx-config" type="application/json">(.*?)</script>',
                                                page, re.S).group(1)))
    ticket = get_redis().get(f"wechat:jsapi_ticket:{app.config['WECHAT_APPID']}").decode()
    assert ticket.startswith("FAKETICKET")
    plain = (f"jsapi_ticket={ticket}&noncestr={config['nonceStr']}&timestamp={config['timestamp']}"
             f"&url=http://localhost/m/profile")
    assert config["signature"] == hashlib.sha1(plain.encode()).hexdigest()
    assert config["appId"] == app.config["WECHAT_APPID"]
    assert 'openTagList: ["wx-open-subscribe"]' in page
    # The ticket is shared: a second page view reuses it.
    client.get("/m/profile")
    assert fake_wechat.tickets_issued == 1


def test_without_a_ticket_the_page_still_works_without_the_button(app, client, fake_wechat):
    demo.seed()
    make_member("13800000001", openid="o-ming")
    sign_in(client, fake_wechat, "o-ming")
    fake_wechat.fail("/cgi-bin/ticket/getticket", -1)
    resp = client.get("/m/profile")
    assert resp.status_code == 200 and "wx-open-subscribe" not in resp.get_data(as_text=True)


def test_accepting_in_the_popup_gives_one_subscription_notice(app, wechat, fake_wechat):
    ming = make_member("13800000001", openid="o-ming")
    xml = popup_xml("o-ming", {"SUB_POINTS_EXPIRY": "accept", "SUB_INSPECTION": "reject"})
    assert wechat.post(xml) is None
    wechat.post(xml)  # WeChat re-delivers: still one acceptance
    assert (unused("SUB_POINTS_EXPIRY"), unused("SUB_INSPECTION")) == (1, 0)
    fake_wechat.accept("o-ming", "SUB_POINTS_EXPIRY")  # WeChat's side of the same choice
    with time_machine.travel(MORNING, tick=True):
        first = add("points_expiring", {"points": 80, "expires_on": "2027-01-31", "days": 7}, ming)
        second = add("points_expiring", {"points": 80, "expires_on": "2027-01-31", "days": 30}, ming)
        work()
    assert [d.channel for d in deliveries(first)] == ["subscribe"]
    assert [d.channel for d in deliveries(second)] == ["template"]  # the acceptance was spent
    [notice] = fake_wechat.subscribe_messages
    assert notice["template_id"] == "SUB_POINTS_EXPIRY"
    assert notice["data"] == {"number1": {"value": "80"}, "date2": {"value": "2027-01-31"},
                              "thing3": {"value": "80积分将于7天内过期"}}
    assert unused("SUB_POINTS_EXPIRY") == 0
    # WeChat reports the notice arrived: noted on the spent acceptance.
    wechat.post(popup_xml("o-ming", {}, "subscribe_msg_sent_event", "SubscribeMsgSentEvent").replace(
        "<SubscribeMsgSentEvent></SubscribeMsgSentEvent>",
        "<SubscribeMsgSentEvent><List><TemplateId>SUB_POINTS_EXPIRY</TemplateId><MsgID>1</MsgID>"
        "<ErrorCode>0</ErrorCode><ErrorStatus>success</ErrorStatus></List></SubscribeMsgSentEvent>"))
    db.session.expire_all()
    assert db.session.scalar(select(NoticeAcceptance.sent_status)) == "success"


def test_turning_a_template_off_withdraws_what_is_left(app, wechat):
    make_member("13800000001", openid="o-ming")
    wechat.post(popup_xml("o-ming", {"SUB_COUPON_EXPIRY": "accept"}, create_time=1767000001))
    wechat.post(popup_xml("o-ming", {"SUB_COUPON_EXPIRY": "accept"}, create_time=1767000002))
    assert unused("SUB_COUPON_EXPIRY") == 2
    wechat.post(popup_xml("o-ming", {"SUB_COUPON_EXPIRY": "reject"}, "subscribe_msg_change_event",
                          "SubscribeMsgChangeEvent", create_time=1767000003))
    assert unused("SUB_COUPON_EXPIRY") == 0
