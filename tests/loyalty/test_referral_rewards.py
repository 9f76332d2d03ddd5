"""Referral rewards: once per new member, never to oneself, never for an old member."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty.benefits import referral
from loyalty.people.members import account_of
from models import Referral, ReferralScan
from tests.factories import bind, make_member


def points_of(member) -> int:
    db.session.expire_all()
    return account_of(member, "points").balance


@pytest.fixture
def alice(app):
    member = make_member("13900000201", openid="o_alice")
    code = referral.code_of(member).code
    db.session.commit()
    return member, code


def scan(openid: str, code: str) -> bool:
    done = referral.remember_scan(openid, code)
    db.session.commit()
    return done


def newcomer(phone: str, openid: str):
    member = make_member(phone)
    bind(member, openid)
    return member


def test_codes_are_personal_stable_and_readable(alice):
    member, code = alice
    assert referral.code_of(member).code == code and len(code) == 8
    assert not set(code) & set("01OIL")
    assert referral.referrer_of(code.lower()) == member.id


def test_the_policy_sets_the_amounts(app_config, app):
    app_config  # noqa: B018 (app is built; the policy is read per call)
    app.config.update(LOYALTY_REFERRAL_POINTS_REFERRER=50, LOYALTY_REFERRAL_POINTS_REFERRED=0)
    referrer = make_member("13900000211", openid="o_r")
    code = referral.code_of(referrer).code
    db.session.commit()
    scan("o_new", code)
    new = newcomer("13900000212", "o_new")
    reward = referral.reward_on_bind(new, "o_new")
    db.session.commit()
    # 50 for the referrer; 0 means no entry at all for the newcomer.
    assert (reward.referral.referrer_points, reward.referral.referred_points) == (50, 0)
    assert (points_of(referrer), points_of(new)) == (50, 0)


def test_self_referral_from_a_second_wechat_account_gives_nothing(alice):
    member, code = alice
    assert scan("o_alice_2", code)  # a second WeChat account, not bound yet
    bind(member, "o_alice_2")
    assert referral.reward_on_bind(member, "o_alice_2") is None
    assert points_of(member) == 0


def test_a_member_registered_before_the_scan_brings_no_reward(alice):
    referrer, code = alice
    old = make_member("13900000202")  # registered at the cashier, by phone
    scan("o_old", code)
    bind(old, "o_old")
    assert referral.reward_on_bind(old, "o_old") is None
    assert (points_of(referrer), points_of(old)) == (0, 0)


def test_the_first_code_scanned_is_the_referrer(alice):
    member, code = alice
    other = make_member("13900000203", openid="o_other")
    other_code = referral.code_of(other).code
    db.session.commit()
    assert scan("o_new", code)
    assert not scan("o_new", other_code)
    assert db.session.get(ReferralScan, "o_new").referrer_id == member.id


def test_one_referrer_per_member_even_across_their_wechat_accounts(alice):
    member, code = alice
    other = make_member("13900000204", openid="o_other")
    other_code = referral.code_of(other).code
    db.session.commit()
    scan("o_new_1", code)
    scan("o_new_2", other_code)
    new = newcomer("13900000205", "o_new_1")
    first = referral.reward_on_bind(new, "o_new_1")
    bind(new, "o_new_2")
    second = referral.reward_on_bind(new, "o_new_2")
    db.session.commit()
    assert first.fresh and not second.fresh and second.referral.referrer_id == member.id
    assert (points_of(member), points_of(other), points_of(new)) == (200, 0, 100)


def test_the_database_refuses_a_second_referral_of_a_member(alice):
    member, code = alice
    scan("o_new", code)
    new = newcomer("13900000206", "o_new")
    referral.reward_on_bind(new, "o_new")
    db.session.commit()
    now = datetime.now(timezone.utc)
    db.session.add(Referral(referrer_id=member.id, referred_id=new.id, openid="o_x", scanned_at=now,
                            rewarded_at=now + timedelta(seconds=1), referrer_points=1, referred_points=1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_an_openid_without_a_scan_rewards_nobody(app):
    new = make_member("13900000207", openid="o_plain")
    assert referral.reward_on_bind(new, "o_plain") is None
