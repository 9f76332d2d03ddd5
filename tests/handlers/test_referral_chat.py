"""推荐: a member's permanent referral QR; a newcomer scans it, binds, and both earn once."""
import pytest
from sqlalchemy import select

from extensions import db, get_redis
from loyalty.benefits import referral
from loyalty.people.members import account_of
from loyalty.qr_png import qr_matrix, read_png_matrix
from models import Follower, ReferralCode, ReferralScan
from loyalty.books import invariants
from loyalty.people.bindings import member_by_openid
from tests.factories import bind, last_sms_code, make_member

ALICE, NEWCOMER = "o_ref_alice", "o_ref_newcomer"


@pytest.fixture
def alice(app):
    return make_member("13900000101", openid=ALICE)


def points_of(member) -> int:
    db.session.expire_all()
    return account_of(member, "points").balance


def alices_code(wechat, alice) -> str:
    wechat.say(ALICE, "推荐")
    code = db.session.get(ReferralCode, alice.id).code
    # End this read's transaction: PostgreSQL's now() (members.created_at) is the start of
    # the transaction, and the newcomer below must be created after the scan, as in life.
    db.session.commit()
    return code


def test_a_member_gets_a_permanent_qr_code_naming_their_referral_code(wechat, fake_wechat, alice):
    reply = wechat.send(ALICE, "推荐")
    assert reply["MsgType"] == "image"
    [qr] = fake_wechat.qrcodes
    code = db.session.get(ReferralCode, alice.id)
    assert qr["action_name"] == "QR_LIMIT_STR_SCENE" and qr["scene"] == f"ref:{code.code}"
    assert code.qr_ticket == qr["ticket"]
    [uploaded] = fake_wechat.media
    assert uploaded["media_id"] == reply["Image.MediaId"]
    assert read_png_matrix(uploaded["content"]) == qr_matrix(f"ref:{code.code}")


def test_asking_again_reuses_the_ticket_and_the_uploaded_image(wechat, fake_wechat, alice):
    first = wechat.send(ALICE, "邀请")
    again = wechat.send(ALICE, "推荐")
    assert again["Image.MediaId"] == first["Image.MediaId"]
    assert len(fake_wechat.qrcodes) == 1 and len(fake_wechat.media) == 1
    # The image cache gone (WeChat drops temporary media after three days): a new
    # upload, still the same permanent ticket.
    get_redis().delete(f"youka:refqr:media:{alice.id}")
    wechat.send(ALICE, "推荐")
    assert len(fake_wechat.qrcodes) == 1 and len(fake_wechat.media) == 2


def test_when_wechat_cannot_make_the_qr_code_the_reply_is_the_code(wechat, fake_wechat, alice):
    fake_wechat.fail("/cgi-bin/qrcode/create", -1)
    reply = wechat.say(ALICE, "推荐")
    code = db.session.get(ReferralCode, alice.id).code
    assert code in reply and "稍后" in reply
    assert wechat.send(ALICE, "推荐")["MsgType"] == "image"


def test_when_the_upload_fails_the_reply_links_to_the_qr_image(wechat, fake_wechat, alice):
    fake_wechat.fail("/cgi-bin/media/upload", -1)
    reply = wechat.say(ALICE, "推荐")
    ticket = db.session.get(ReferralCode, alice.id).qr_ticket
    assert "/cgi-bin/showqrcode?ticket=" in reply and ticket[:20] in reply


def test_an_unbound_follower_is_asked_to_bind_first(wechat, app):
    assert "绑定" in wechat.say("o_ref_nobody", "推荐")


def test_a_newcomer_who_scans_and_binds_rewards_both_sides_once(wechat, alice):
    code = alices_code(wechat, alice)
    reply = wechat.event(NEWCOMER, "SCAN", f"ref:{code}")
    assert "绑定" in reply["Content"] and "100 积分" in reply["Content"]
    newcomer = make_member("13900000102")
    bind(newcomer, NEWCOMER)
    reward = referral.reward_on_bind(newcomer, NEWCOMER)
    db.session.commit()
    assert reward.fresh and reward.referral.referrer_id == alice.id
    # Policy defaults: 200 points for the referrer, 100 for the newcomer.
    assert (points_of(alice), points_of(newcomer)) == (200, 100)
    # The bind flow retried: the same reward, nothing paid twice.
    again = referral.reward_on_bind(newcomer, NEWCOMER)
    db.session.commit()
    assert not again.fresh and again.referral.id == reward.referral.id
    assert (points_of(alice), points_of(newcomer)) == (200, 100)


def test_binding_through_the_chat_after_the_scan_pays_both_sides(wechat, runner, alice):
    code = alices_code(wechat, alice)
    wechat.event(NEWCOMER, "SCAN", f"ref:{code}")
    wechat.say(NEWCOMER, "绑定")
    wechat.say(NEWCOMER, "13900000102")
    wechat.say(NEWCOMER, last_sms_code(runner, "13900000102"))
    assert "绑定成功" in wechat.say(NEWCOMER, "是")
    newcomer = member_by_openid(NEWCOMER)
    # Policy defaults: 200 points for the referrer, 100 for the newcomer.
    assert (points_of(alice), points_of(newcomer)) == (200, 100)
    assert invariants.check(db.session) == []


def test_a_first_follow_through_the_referral_code_is_remembered_too(wechat, alice):
    code = alices_code(wechat, alice)
    reply = wechat.event(NEWCOMER, "subscribe", f"qrscene_ref:{code}")
    assert "欢迎" in reply["Content"] and "绑定" in reply["Content"]
    follower = db.session.scalars(select(Follower).where(Follower.openid == NEWCOMER)).one()
    assert follower.source_scene == f"ref:{code}"
    assert db.session.get(ReferralScan, NEWCOMER).referrer_id == alice.id


def test_a_member_scanning_a_referral_code_is_thanked_and_nothing_is_remembered(wechat, alice):
    make_member("13900000103", openid="o_ref_bob")
    code = alices_code(wechat, alice)
    assert "已是会员" in wechat.event("o_ref_bob", "SCAN", f"ref:{code}")["Content"]
    assert "已是会员" in wechat.event(ALICE, "SCAN", f"ref:{code}")["Content"]  # her own code
    assert db.session.get(ReferralScan, "o_ref_bob") is None and db.session.get(ReferralScan, ALICE) is None


def test_an_unknown_referral_code_gets_a_polite_answer(wechat, app):
    assert "失效" in wechat.event(NEWCOMER, "SCAN", "ref:NOSUCH22")["Content"]


def test_erasing_and_binding_again_from_the_same_wechat_pays_the_referrer_once(wechat, runner, alice):
    code = alices_code(wechat, alice)
    wechat.event(NEWCOMER, "SCAN", f"ref:{code}")
    for round_ in range(2):
        wechat.say(NEWCOMER, "绑定")
        wechat.say(NEWCOMER, "13900000102")
        wechat.say(NEWCOMER, last_sms_code(runner, "13900000102"))
        assert "绑定成功" in wechat.say(NEWCOMER, "是")
        if round_ == 0:
            wechat.say(NEWCOMER, "注销")
            assert "已注销" in wechat.say(NEWCOMER, "是")
            get_redis().delete(*get_redis().keys("rate*"))  # the SMS send limits are not under test
    # 200 for the first newcomer only: the same WeChat account binding a new member after
    # erasing the first one brings the referrer nothing more.
    assert points_of(alice) == 200
    assert invariants.check(db.session) == []
