"""积分 served from Redis (bot/reply_cache.py), and every write that changes what it shows
making the next 积分 show the new figure (loyalty/generations.py). Each test first gets the
reply into the cache (proved by a 积分 that runs no SQL at all), then changes the books
through the real path, then asks again. Times: UTC in, Asia/Shanghai (UTC+8) shown."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from bot import reply_cache
from extensions import db, get_redis
from handlers.points import points as points_handler
from loyalty import demo
from loyalty.benefits import family
from loyalty.books import points
from loyalty.people import bindings
from loyalty.people.erasure import erase_member
from loyalty.till import refunds
from tests.factories import fuel_sale, give_points, make_member

UNBOUND = "您还没有绑定手机号"
JAN = datetime(2026, 1, 15, 2, 0, tzinfo=timezone.utc)  # a Thursday: 92# earns 1 point a litre


@pytest.fixture
def app_config(app_config):
    # Points live 600 months, so lots made at fixed 2026 dates are live whenever the suite runs.
    app_config.update(LOYALTY_POINTS_EXPIRY_MONTHS=600)
    return app_config


@pytest.fixture
def seeded(app):
    demo.seed()


@contextmanager
def statements():
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def cached(wechat, openid: str) -> str:
    """积分 until it comes from the cache: the first reply leaves a hint of what it read,
    the second stores the reply, the third is served without touching the database."""
    first = wechat.say(openid, "积分")
    assert wechat.say(openid, "积分") == first
    with statements() as sql:
        third = wechat.say(openid, "积分")
    assert third == first
    assert sql == [], "the third 积分 in a row should come from the cache"
    return third


def test_the_third_points_reply_in_a_row_reads_nothing_from_the_database(wechat, seeded):
    member = make_member("13800000001", openid="o_c")
    give_points(member, 100, at=JAN)
    assert cached(wechat, "o_c") == ("我的积分：100 分\n"
                                     "即将过期：100 分，2076-01-31 到期\n"
                                     "最近变动：\n"
                                     "· 01-15 10:00 获得 +100")


def test_a_sale_shows_in_the_next_points_reply(wechat, seeded):
    member = make_member("13800000001", openid="o_sale")
    give_points(member, 100, at=JAN - timedelta(days=1))
    assert cached(wechat, "o_sale").startswith("我的积分：100 分\n")
    fuel_sale(member, "30.00", at=JAN)  # 30 L of 92# on a Thursday: 30 points
    assert wechat.say("o_sale", "积分").startswith("我的积分：130 分\n")


def test_a_refund_shows_in_the_next_points_reply(wechat, seeded):
    member = make_member("13800000001", openid="o_refund")
    give_points(member, 100, at=JAN - timedelta(days=1))
    sale = fuel_sale(member, "30.00", at=JAN)
    assert cached(wechat, "o_refund").startswith("我的积分：130 分\n")
    refunds.refund(sale.id, "R1", now=JAN + timedelta(hours=1))  # the whole sale: its 30 points go back
    reply = wechat.say("o_refund", "积分")
    assert reply.startswith("我的积分：100 分\n")
    assert "· 01-15 11:00 退款扣回 -30" in reply


def test_a_redemption_in_the_chat_shows_in_the_next_points_reply(wechat, seeded):
    member = make_member("13800000001", openid="o_redeem")
    give_points(member, 1000, at=JAN)
    assert cached(wechat, "o_redeem").startswith("我的积分：1000 分\n")
    catalogue = wechat.say("o_redeem", "兑换")
    number = next(line.split(".")[0] for line in catalogue.splitlines() if "爱心捐赠 10 分" in line)
    wechat.say("o_redeem", number)
    assert "感谢" in wechat.say("o_redeem", "是")
    reply = wechat.say("o_redeem", "积分")
    assert reply.startswith("我的积分：990 分\n")  # the demo's donation costs 10
    assert "抵扣 -10" in reply


def test_the_expiry_run_shows_in_the_next_points_reply(wechat, seeded):
    member = make_member("13800000001", openid="o_expiry")
    give_points(member, 100, at=JAN)
    other = make_member("13800000002", openid="o_other")
    give_points(other, 40, at=JAN)
    assert cached(wechat, "o_expiry").startswith("我的积分：100 分\n")
    assert cached(wechat, "o_other").startswith("我的积分：40 分\n")
    # Set-based SQL over every account: the run moves the counter everyone's reply watches.
    assert points.expire_due(datetime(2100, 1, 1, tzinfo=timezone.utc)) == 2
    db.session.commit()
    assert wechat.say("o_expiry", "积分") == "我的积分：0 分\n最近变动：\n· 01-01 08:00 过期 -100\n· 01-15 10:00 获得 +100"
    assert wechat.say("o_other", "积分").startswith("我的积分：0 分\n")


def test_joining_a_family_shows_in_both_members_next_points_replies(wechat, seeded):
    owner = make_member("13800000011", openid="o_owner")
    give_points(owner, 30, at=JAN)
    pool = family.create(owner, "王家", now=JAN + timedelta(days=1))
    family.invite(pool, owner, "13800000012", now=JAN + timedelta(days=1))
    db.session.commit()
    kid = make_member("13800000012", openid="o_kid")
    give_points(kid, 20, at=JAN)
    owner_before = cached(wechat, "o_owner")
    assert owner_before.startswith("家庭积分池「王家」：30 分\n")
    assert "138****0012" not in owner_before
    assert cached(wechat, "o_kid").startswith("我的积分：20 分\n")

    family.join(kid, pool, now=JAN + timedelta(days=2))  # the kid's 20 move into the pool
    db.session.commit()
    kid_after = wechat.say("o_kid", "积分")
    assert kid_after.startswith("家庭积分池「王家」：50 分\n")
    assert "· 138****0012：20 分" in kid_after
    owner_after = wechat.say("o_owner", "积分")
    assert owner_after.startswith("家庭积分池「王家」：50 分\n")
    assert "· 138****0012：20 分" in owner_after

    assert cached(wechat, "o_kid") == kid_after
    family.leave(kid)  # the points stay in the pool; the kid earns on their own again
    db.session.commit()
    assert wechat.say("o_kid", "积分") == "我的积分：0 分\n最近变动：\n· 01-17 10:00 家庭积分池转移 -20\n· 01-15 10:00 获得 +20"
    assert "138****0012" not in wechat.say("o_owner", "积分")


def test_unbinding_in_the_chat_stops_the_cached_reply(wechat, seeded):
    make_member("13800000001", openid="o_unbind")
    cached(wechat, "o_unbind")
    wechat.say("o_unbind", "解绑")
    wechat.say("o_unbind", "是")
    assert UNBOUND in wechat.say("o_unbind", "积分")


def test_erasure_stops_the_cached_reply(wechat, seeded):
    member = make_member("13800000001", openid="o_erase")
    cached(wechat, "o_erase")
    erase_member(member.id)
    assert UNBOUND in wechat.say("o_erase", "积分")


def test_a_phone_bound_to_another_openid_stops_the_old_openids_cached_reply(wechat, seeded):
    make_member("13800000001", openid="o_old_phone")
    cached(wechat, "o_old_phone")
    bindings.bind_phone("o_new_phone", "13800000001", terms_version="t1")  # the phone moves
    assert UNBOUND in wechat.say("o_old_phone", "积分")
    assert wechat.say("o_new_phone", "积分").startswith("我的积分：0 分")


def test_a_cached_reply_lives_no_longer_than_the_business_day_or_the_soonest_expiry(app, wechat, seeded):
    member = make_member("13800000001", openid="o_ttl")
    give_points(member, 100, at=JAN)
    cached(wechat, "o_ttl")
    ttl = get_redis().ttl(reply_cache.key(app, points_handler, "o_ttl"))
    now = datetime.now(timezone(timedelta(hours=8)))
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    assert 0 < ttl <= (midnight - now).total_seconds() + 1


def test_a_reply_is_kept_until_the_earliest_of_its_ttl_and_its_until():
    now = 1_000_000.0
    keys = ["gen:b", "gen:a"]
    stored, ttl = reply_cache.entry("文本", keys, now + 90, (["gen:a", "gen:b"], ["3", "0"]), 3600, now=now)
    assert ttl == 90
    assert '"gens": ["3", "0"]' in stored and '"text": "文本"' in stored
    assert reply_cache.entry("文本", keys, None, None, 3600, now=now)[1] == 3600
    assert reply_cache.entry("文本", keys, None, None, 10 ** 9, now=now)[1] == reply_cache.MAX_TTL
    assert reply_cache.entry("文本", keys, now + 0.5, None, 3600, now=now) is None  # as good as expired
    # Counters read for other keys than the reply depends on: only a hint, no text.
    hint, _ = reply_cache.entry("文本", keys, None, (["gen:a"], ["3"]), 3600, now=now)
    assert "text" not in hint and '"deps": ["gen:a", "gen:b"]' in hint
