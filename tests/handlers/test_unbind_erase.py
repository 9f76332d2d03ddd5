"""解绑 and 注销 through the webhook, each confirmed with 是/否."""
from datetime import datetime, timezone

from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants
from loyalty.people import erasure
from loyalty.people.bindings import member_by_openid
from loyalty.people.members import find_by_phone, normalise_phone
from models import Member, WeChatBinding
from tests.factories import bind, give_points, last_sms_code, make_member, spend_points

PHONE = "13912345678"
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def test_unbind_removes_only_this_openids_binding(app, wechat):
    member = make_member(PHONE, openid="o-phone")
    bind(member, "o-tablet")  # a member may use several WeChat accounts
    assert "139****5678" in wechat.say("o-phone", "解绑")
    assert "已解除绑定" in wechat.say("o-phone", "是")
    db.session.expire_all()
    assert member_by_openid("o-phone") is None
    assert member_by_openid("o-tablet").id == member.id
    assert db.session.get(Member, member.id).phone == PHONE


def test_answering_no_keeps_the_binding_and_anything_else_asks_again(app, wechat):
    make_member(PHONE, openid="o-keep")
    wechat.say("o-keep", "解绑")
    assert "请回复「是」确认解绑" in wechat.say("o-keep", "嗯")
    assert "绑定保持不变" in wechat.say("o-keep", "否")
    assert member_by_openid("o-keep") is not None


def test_an_unbound_openid_cannot_unbind_or_erase(app, wechat):
    assert "您还没有绑定手机号" in wechat.say("o-nobody", "解绑")
    assert "您还没有绑定手机号" in wechat.say("o-nobody", "注销")


def test_erasure_anonymises_the_member_and_keeps_the_books_sound(app, wechat, runner):
    member = make_member(PHONE, openid="o-erase", plate="沪A12345", company="某公司",
                         birthday=datetime(1990, 5, 1).date())
    bind(member, "o-erase-2")
    give_points(member, 300, NOW)
    spend_points(member, 100, NOW)
    assert "永久删除" in wechat.say("o-erase", "注销")
    assert "已注销" in wechat.say("o-erase", "是")
    db.session.expire_all()
    erased = db.session.get(Member, member.id)
    assert erased.deleted_at is not None
    assert erased.phone == erasure.placeholder(member.id) == f"D{member.id:010d}"
    assert (erased.plate, erased.company, erased.birthday) == (None, None, None)
    assert db.session.scalar(select(func.count(WeChatBinding.id))) == 0
    assert member_by_openid("o-erase") is None and member_by_openid("o-erase-2") is None
    assert find_by_phone(PHONE) is None
    assert invariants.check(db.session) == []
    result = runner.invoke(args=["loyalty", "check"])
    assert result.exit_code == 0, result.output


def test_the_placeholder_is_never_a_phone():
    for member_id in (1, 42, 9_999_999_999):
        value = erasure.placeholder(member_id)
        assert len(value) == 11
        try:
            normalise_phone(value)
        except Exception:
            continue
        raise AssertionError(f"{value} reads as a phone")


def test_after_erasure_the_same_phone_binds_as_a_new_member(app, wechat, runner):
    old = make_member(PHONE, openid="o-again")
    give_points(old, 300, NOW)
    wechat.say("o-again", "注销")
    wechat.say("o-again", "是")
    wechat.say("o-again", "绑定")
    wechat.say("o-again", PHONE)
    wechat.say("o-again", last_sms_code(runner, PHONE))
    assert "欢迎成为会员" in wechat.say("o-again", "是")
    new = member_by_openid("o-again")
    assert new.id != old.id and new.phone == PHONE
    assert "我的积分：0 分" in wechat.say("o-again", "积分")  # the old member's 300 stay with the old row
    assert invariants.check(db.session) == []


def test_erasing_twice_changes_nothing_the_second_time(app):
    member = make_member(PHONE, openid="o-twice")
    first = erasure.erase_member(member.id)
    second = erasure.erase_member(member.id)
    assert first.openids == ("o-twice",) and not first.already
    assert second.already and second.openids == ()
