"""兑换 refused through the webhook: not enough points, sold out or the limit reached while
confirming, a family member the owner has not allowed: a clear reply, nothing spent."""
from __future__ import annotations

from sqlalchemy import func, select

from bot import conversation
from extensions import db
from loyalty.benefits import family, rewards
from models import Redemption
from tests.factories import make_member
from tests.handlers.redeem_world import (NOW, app_config, assert_books_clean, balance, member_with,  # noqa: F401
                                         shop, spends, stock)


def test_not_enough_points_is_refused_and_nothing_is_spent(shop, wechat, runner):
    member = member_with(400)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "2")
    assert "积分不足：兑换需要 500 积分，您可用 400 积分。积分没有扣除。" in wechat.say("o-shop", "是")
    assert (balance(member), stock("CUP"), spends()) == (400, 2, 0)
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 0
    assert_books_clean(runner)



def test_stock_gone_while_confirming_is_refused_and_nothing_is_spent(shop, wechat, runner):
    member = member_with(1000)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "2")
    # Meanwhile two other members take both cups.
    for n, phone in enumerate(("13800000002", "13800000003")):
        other = member_with(1000, openid=f"o-other-{n}", phone=phone)
        rewards.redeem(other, "CUP", key=f"h5:{other.id}:k{n}", now=NOW)
    db.session.commit()
    assert "该商品已兑完。积分没有扣除" in wechat.say("o-shop", "是")
    assert (balance(member), stock("CUP")) == (1000, 0)
    assert_books_clean(runner)



def test_the_limit_reached_elsewhere_is_refused_and_nothing_is_spent(shop, wechat, runner):
    member = member_with(1000)
    wechat.say("o-shop", "兑换")
    wechat.say("o-shop", "2")
    rewards.redeem(member, "CUP", key=f"h5:{member.id}:page", now=NOW)  # the H5 page, meanwhile
    db.session.commit()
    assert "该商品每人限兑 1 件，您已兑满。积分没有扣除" in wechat.say("o-shop", "是")
    assert (balance(member), stock("CUP"), spends()) == (500, 1, 1)  # only the H5 redemption
    assert_books_clean(runner)



def test_a_family_member_redeems_only_once_the_owner_allows(shop, wechat, runner):
    owner = member_with(1000, openid="o-owner", phone="13800000010")
    kid = make_member("13800000011", openid="o-kid")
    pool = family.create(owner, "一家人", now=NOW)
    family.invite(pool, owner, kid.phone, now=NOW)
    family.join(kid, pool, now=NOW)
    db.session.commit()
    assert "需要户主开通" in wechat.say("o-kid", "兑换")
    assert conversation.current("o-kid") is None
    family.set_can_redeem(pool, owner, kid, True)
    db.session.commit()
    wechat.say("o-kid", "兑换")
    wechat.say("o-kid", "3")
    # The owner takes the right away again before the kid confirms.
    family.set_can_redeem(pool, owner, kid, False)
    db.session.commit()
    assert "需要户主开通" in wechat.say("o-kid", "是")
    assert (balance(owner), spends()) == (1000, 0)  # the pool is untouched
    family.set_can_redeem(pool, owner, kid, True)
    db.session.commit()
    wechat.say("o-kid", "兑换")
    wechat.say("o-kid", "3")
    assert "爱心" in wechat.say("o-kid", "是")
    assert balance(owner) == 900  # the pool paid: 1000 - 100
    assert_books_clean(runner)
