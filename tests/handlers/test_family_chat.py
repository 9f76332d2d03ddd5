"""家庭 in the chat: create a pool, invite by phone, the invitee accepts or declines,
see who earned what, the owner decides who may redeem, a member leaves."""
from datetime import datetime, timezone

import pytest
from rq import Queue
from sqlalchemy import select

from extensions import db, get_redis
from loyalty.benefits import family as families
from models import Family, FamilyInvite, Member
from tests.factories import give_points, make_member

OWNER, KID = "o_fam_owner", "o_fam_kid"
EARNED = datetime(2026, 11, 1, 4, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def long_lived_points(app_config):
    app_config.update(LOYALTY_POINTS_EXPIRY_MONTHS=600)  # nothing expires during the test


@pytest.fixture
def owner(app):
    member = make_member("13900000301", openid=OWNER)
    give_points(member, 300, EARNED)
    return member


@pytest.fixture
def kid(app):
    member = make_member("13900000302", openid=KID)
    give_points(member, 50, EARNED)
    return member


def fresh(member) -> Member:
    db.session.expire_all()
    return db.session.get(Member, member.id)


def queued_to(openid: str) -> list[str]:
    return [job.args[1]["content"] for job in Queue("default", connection=get_redis()).jobs
            if job.args[0] == openid]


def make_family(wechat, name="张家"):
    assert "创建" in wechat.say(OWNER, "家庭")
    return wechat.say(OWNER, name)


def test_a_member_without_a_family_creates_one_by_naming_it(wechat, owner):
    assert "「张家」已创建" in make_family(wechat)
    family = db.session.scalars(select(Family)).one()
    assert fresh(owner).family_id == family.id and family.owner_id == owner.id
    pool = wechat.say(OWNER, "家庭")
    # The owner's 300 points moved into the pool with them.
    assert "家庭「张家」积分池：300 分" in pool
    assert "139****0301（户主）：300 分" in pool and "回复 1 邀请家人" in pool


def test_a_command_word_is_not_taken_for_a_family_name(wechat, owner):
    wechat.say(OWNER, "家庭")
    assert "请回复家庭名称" in wechat.say(OWNER, "积分")
    wechat.say(OWNER, "取消")  # 取消 leaves any flow
    assert "我的积分" in wechat.say(OWNER, "积分")
    assert db.session.scalars(select(Family)).first() is None


def test_the_owner_invites_by_phone_and_the_invitee_accepts_in_the_chat(wechat, owner, kid):
    make_family(wechat)
    wechat.say(KID, "积分")  # the kid wrote to us lately: a customer-service notice may reach them
    wechat.say(OWNER, "家庭")
    assert "手机号" in wechat.say(OWNER, "1")
    sent = wechat.say(OWNER, "13900000302")
    assert "已邀请 139****0302" in sent and "7 天内有效" in sent
    [notice] = queued_to(KID)
    assert "139****0301 邀请您加入家庭「张家」" in notice
    invited = wechat.say(KID, "家庭")
    assert "邀请您加入家庭「张家」" in invited and "「接受」或「拒绝」" in invited
    assert "已加入家庭「张家」" in wechat.say(KID, "接受")
    assert fresh(kid).family_id == fresh(owner).family_id
    # Who earned what: 300 brought by the owner + 50 by the kid = 350 in the pool.
    pool = wechat.say(OWNER, "家庭")
    assert "积分池：350 分" in pool
    assert "139****0301（户主）：300 分" in pool and "139****0302：50 分" in pool
    assert "可用积分兑换：139****0301\n" in pool + "\n"  # only the owner, until allowed


def test_an_invitee_may_decline(wechat, owner, kid):
    make_family(wechat)
    family = db.session.scalars(select(Family)).one()
    families.invite(family, fresh(owner), "13900000302")
    db.session.commit()
    wechat.say(KID, "家庭")
    assert "已拒绝" in wechat.say(KID, "拒绝")
    assert db.session.scalars(select(FamilyInvite)).first() is None and fresh(kid).family_id is None
    assert "创建" in wechat.say(KID, "家庭")  # nothing pending any more


def test_inviting_a_phone_that_is_no_member_yet_sends_no_notice(wechat, owner):
    make_family(wechat)
    wechat.say(OWNER, "家庭")
    wechat.say(OWNER, "1")
    assert "已邀请 139****0399" in wechat.say(OWNER, "13900000399")
    assert queued_to(KID) == [] and db.session.scalars(select(FamilyInvite)).one().phone == "13900000399"


def test_a_bad_phone_is_asked_again(wechat, owner):
    make_family(wechat)
    wechat.say(OWNER, "家庭")
    wechat.say(OWNER, "1")
    assert "格式不正确" in wechat.say(OWNER, "12345")


@pytest.fixture
def family_of_two(wechat, owner, kid):
    make_family(wechat)
    family = db.session.scalars(select(Family)).one()
    families.invite(family, fresh(owner), "13900000302")
    families.join(fresh(kid), family)
    db.session.commit()
    return family


def test_the_owner_decides_who_may_redeem(wechat, family_of_two, kid):
    wechat.say(OWNER, "家庭")
    listing = wechat.say(OWNER, "2")
    assert "1. 139****0301（户主，始终可以兑换）" in listing and "2. 139****0302：不能兑换" in listing
    assert "已允许 139****0302" in wechat.say(OWNER, "2")
    assert families.can_redeem(fresh(kid))
    wechat.say(OWNER, "家庭")
    wechat.say(OWNER, "2")
    assert "不再允许 139****0302" in wechat.say(OWNER, "2")
    assert not families.can_redeem(fresh(kid))


def test_the_owner_keeps_the_right_to_redeem(wechat, family_of_two):
    wechat.say(OWNER, "家庭")
    wechat.say(OWNER, "2")
    assert "户主始终可以兑换" in wechat.say(OWNER, "1")


def test_a_member_leaves_and_the_points_stay_in_the_pool(wechat, family_of_two, kid):
    menu = wechat.say(KID, "家庭")
    assert "回复 1 离开家庭" in menu and "邀请" not in menu.splitlines()[-1]
    assert "确认离开" in wechat.say(KID, "1")
    assert "已离开家庭「张家」" in wechat.say(KID, "是")
    assert fresh(kid).family_id is None
    assert "积分池：350 分" in wechat.say(OWNER, "家庭")  # 300 + the 50 the kid brought


def test_a_member_who_says_no_stays(wechat, family_of_two, kid):
    wechat.say(KID, "家庭")
    wechat.say(KID, "1")
    assert "仍在家庭" in wechat.say(KID, "否")
    assert fresh(kid).family_id == family_of_two.id


def test_an_unbound_follower_is_asked_to_bind(wechat, app):
    assert "绑定" in wechat.say("o_fam_nobody", "家庭")


def test_a_member_unbound_while_naming_a_family_is_asked_to_bind_not_an_error(wechat, owner):
    from models import WeChatBinding
    assert "创建" in wechat.say(OWNER, "家庭")
    # The phone moves to another WeChat account while the flow waits for the name.
    db.session.query(WeChatBinding).filter_by(openid=OWNER).delete()
    db.session.commit()
    assert "绑定" in wechat.say(OWNER, "张家")
    assert db.session.scalar(select(Family.id)) is None
