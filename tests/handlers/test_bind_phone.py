"""绑定 through the webhook: phone -> SMS code (read from the console outbox) -> consent."""
import logging
from datetime import datetime, timezone

from sqlalchemy import func, select

from extensions import db, get_redis
from loyalty import demo
from loyalty.people import phone_codes
from loyalty.people.bindings import member_by_openid
from models import Member, WeChatBinding
from tests.factories import give_points, last_sms_code, make_member, sms_codes

PHONE = "13912345678"
MASKED = "139****5678"


def bind_until_consent(wechat, runner, openid, phone=PHONE):
    assert "请回复您的手机号" in wechat.say(openid, "绑定")
    assert f"验证码已发送至 {phone[:3]}****{phone[-4:]}" in wechat.say(openid, phone)
    return wechat.say(openid, last_sms_code(runner, phone))


def test_a_new_phone_is_bound_with_the_code_from_the_outbox_and_consent_recorded(app, wechat, runner):
    demo.seed()
    consent = bind_until_consent(wechat, runner, "o-new")
    assert "验证成功" in consent and "版本 2026-12-01" in consent and "http://127.0.0.1:5000/privacy" in consent
    done = wechat.say("o-new", "是")
    assert "绑定成功，欢迎成为会员" in done and MASKED in done
    member = member_by_openid("o-new")
    assert member.phone == PHONE
    assert member.consent_version == "2026-12-01" and member.consent_at is not None
    # The starting tier loyalty's create_member gives (trial or lowest, by the policy).
    reference = make_member("13700000000")
    assert member.tier_id is not None and member.tier_id == reference.tier_id
    assert (member.trial_until is None) == (reference.trial_until is None)


def test_the_outbox_cli_prints_json_lines_with_exactly_the_four_fields(app, wechat, runner):
    wechat.say("o-cli", "绑定")
    wechat.say("o-cli", PHONE)
    [message] = sms_codes(runner, PHONE)
    assert set(message) == {"to", "text", "code", "sent_at"}
    assert message["to"] == MASKED and len(message["code"]) == 6 and message["code"] in message["text"]
    assert runner.invoke(args=["sms", "outbox", "--phone", "13900000000"]).output == ""
    assert PHONE not in runner.invoke(args=["sms", "outbox"]).output


def test_an_invalid_phone_is_asked_again_in_chinese_and_full_width_digits_are_a_phone(app, wechat, runner):
    wechat.say("o-typo", "绑定")
    assert "这不是有效的中国大陆手机号" in wechat.say("o-typo", "12345")
    assert "这不是有效的中国大陆手机号" in wechat.say("o-typo", "23912345678")
    assert f"验证码已发送至 {MASKED}" in wechat.say("o-typo", "１３９ １２３４ ５６７８")


def test_five_wrong_codes_kill_the_code_and_the_right_one_no_longer_works(app, wechat, runner):
    wechat.say("o-guess", "绑定")
    wechat.say("o-guess", PHONE)
    right = last_sms_code(runner, PHONE)
    wrong = "000000" if right != "000000" else "111111"
    # 5 tries allowed: after the 1st..4th wrong answer 4, 3, 2, 1 remain; the 5th kills it.
    for left in (4, 3, 2, 1):
        assert f"还可以再试 {left} 次" in wechat.say("o-guess", wrong)
    assert "错误次数过多，已失效" in wechat.say("o-guess", wrong)
    assert "已失效或已过期" in wechat.say("o-guess", right)
    assert member_by_openid("o-guess") is None
    # A new code must be asked for, and the 60 s between sends still holds.
    assert "秒后再试" in wechat.say("o-guess", "重发")


def test_an_expired_code_is_refused(app, wechat, runner):
    wechat.say("o-late", "绑定")
    wechat.say("o-late", PHONE)
    key = phone_codes._key("o-late")
    assert 295 <= get_redis().ttl(key) <= 300  # PHONE_CODE_TTL, 5 minutes
    get_redis().expire(key, 0)  # as if the 5 minutes had passed
    assert "已失效或已过期" in wechat.say("o-late", last_sms_code(runner, PHONE))
    assert member_by_openid("o-late") is None


def test_the_code_is_stored_hashed_never_in_clear(app, wechat, runner):
    wechat.say("o-hash", "绑定")
    wechat.say("o-hash", PHONE)
    stored = get_redis().hgetall(phone_codes._key("o-hash"))
    assert last_sms_code(runner, PHONE).encode() not in b"".join(stored.values())


def test_cancel_leaves_the_flow_and_the_next_digits_are_not_a_code(app, wechat, runner):
    wechat.say("o-cancel", "绑定")
    wechat.say("o-cancel", PHONE)
    assert "已取消" in wechat.say("o-cancel", "取消")
    assert "验证" not in wechat.say("o-cancel", last_sms_code(runner, PHONE))
    assert member_by_openid("o-cancel") is None


def test_declining_the_privacy_terms_binds_nothing(app, wechat, runner):
    bind_until_consent(wechat, runner, "o-no")
    assert "未同意隐私条款" in wechat.say("o-no", "否")
    assert member_by_openid("o-no") is None and db.session.scalar(select(func.count(Member.id))) == 0


def test_a_member_created_at_the_cashier_is_bound_not_duplicated(app, wechat, runner):
    demo.seed()
    cashier = make_member(PHONE)
    give_points(cashier, 120, datetime.now(timezone.utc))
    bind_until_consent(wechat, runner, "o-shop")
    assert "会员账户已绑定本微信" in wechat.say("o-shop", "是")
    assert db.session.scalar(select(func.count(Member.id)).where(Member.phone == PHONE)) == 1
    assert member_by_openid("o-shop").id == cashier.id
    assert "120" in wechat.say("o-shop", "积分")


def test_an_openid_already_bound_is_told_so(app, wechat):
    make_member(PHONE, openid="o-bound")
    assert f"您已绑定手机号 {MASKED}" in wechat.say("o-bound", "绑定")


def test_redelivered_and_double_tapped_confirmations_bind_once(app, wechat, runner):
    bind_until_consent(wechat, runner, "o-twice")
    first = wechat.say("o-twice", "是", msg_id=880001)
    consent_at = member_by_openid("o-twice").consent_at
    assert wechat.say("o-twice", "是", msg_id=880001) == first  # WeChat's re-delivery
    assert "绑定成功" not in wechat.say("o-twice", "是", msg_id=880002)  # a double tap: flow is over
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Member.id))) == 1
    assert db.session.scalar(select(func.count(WeChatBinding.id))) == 1
    assert member_by_openid("o-twice").consent_at == consent_at


def test_a_phone_moves_from_another_openid_only_after_the_code_and_the_old_one_is_told(
        app, wechat, runner, fake_wechat):
    member = make_member(PHONE, openid="o-old")
    wechat.say("o-new", "绑定")
    wechat.say("o-new", PHONE)
    assert member_by_openid("o-old").id == member.id  # asking for a code moves nothing
    wechat.say("o-new", last_sms_code(runner, PHONE))
    assert member_by_openid("o-old").id == member.id  # nor does the code before consent
    wechat.say("o-new", "是")
    db.session.expire_all()
    assert member_by_openid("o-new").id == member.id and member_by_openid("o-old") is None
    [told] = fake_wechat.custom_messages
    assert told["touser"] == "o-old" and MASKED in told["text"]["content"] and PHONE not in str(told)


def test_a_refused_notice_to_the_old_openid_does_not_undo_the_bind(app, wechat, runner, fake_wechat):
    make_member(PHONE, openid="o-gone")
    fake_wechat.fail("/cgi-bin/message/custom/send", 45015)  # outside the 48-hour window
    bind_until_consent(wechat, runner, "o-here")
    assert "绑定成功" in wechat.say("o-here", "是")
    assert member_by_openid("o-here") is not None and member_by_openid("o-gone") is None


def test_the_full_phone_never_reaches_a_log_or_a_reply(app, wechat, runner, fake_wechat, caplog):
    caplog.set_level(logging.DEBUG)
    make_member(PHONE, openid="o-log-old")
    replies = [wechat.say("o-log", "绑定"), wechat.say("o-log", PHONE)]
    replies += [wechat.say("o-log", "000001"), wechat.say("o-log", last_sms_code(runner, PHONE))]
    replies += [wechat.say("o-log", "是"), wechat.say("o-log", "解绑"), wechat.say("o-log", "是")]
    assert all(PHONE not in r for r in replies)
    assert MASKED in caplog.text and PHONE not in caplog.text
