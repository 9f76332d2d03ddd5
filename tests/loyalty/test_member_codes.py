"""Member codes: 18 digits, signed, 60 seconds, single use, one live code a device."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from flask import current_app

from extensions import db
from loyalty.till import member_codes
from loyalty.people import members
from loyalty.errors import CodeExpired, CodeInvalid, CodeUsed, ValidationError
from loyalty.qr_png import qr_matrix, read_png_matrix

T = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def ming(any_app):
    member = members.create_member("13900000001", consent=True)
    db.session.commit()
    return member


def test_a_code_is_18_digits_names_its_member_and_lasts_60_seconds(ming):
    issued = member_codes.issue(ming, now=T)
    assert len(issued.code) == 18 and issued.code.isdigit() and issued.code.startswith("66")
    assert issued.expires_at == T + timedelta(seconds=60)
    assert member_codes.resolve(issued.code, now=T + timedelta(seconds=59)).id == ming.id
    # Typed in by hand, in groups of four: still the code.
    spaced = " ".join(issued.code[i:i + 4] for i in range(0, 18, 4))
    assert member_codes.resolve(spaced, now=T).id == ming.id
    with pytest.raises(CodeExpired) as expired:
        member_codes.resolve(issued.code, now=T + timedelta(seconds=60))
    assert expired.value.code == "code_expired" and expired.value.details["reason"] == "expired"


def test_the_qr_image_is_a_png_of_the_digits(ming):
    issued = member_codes.issue(ming)
    assert read_png_matrix(issued.qr_png()) == qr_matrix(issued.code)


def test_resolving_does_not_use_it_consuming_does_once(ming):
    code = member_codes.issue(ming, now=T).code
    member_codes.resolve(code, now=T)
    first = member_codes.consume(code, "sale:S001:T1", now=T)
    assert first.member.id == ming.id and first.fresh
    # The same holder again is a retry of the same request, not a second use.
    assert not member_codes.consume(code, "sale:S001:T1", now=T).fresh
    with pytest.raises(CodeUsed):
        member_codes.consume(code, "sale:S001:T2", now=T)
    with pytest.raises(CodeUsed):  # used wins over expired: the cashier learns what happened
        member_codes.resolve(code, now=T + timedelta(minutes=5))


def test_a_failed_sale_releases_the_code_for_another_try(ming):
    code = member_codes.issue(ming, now=T).code
    member_codes.consume(code, "sale:S001:T1", now=T)
    assert not member_codes.release(code, "sale:S001:OTHER")  # only the holder may
    assert member_codes.release(code, "sale:S001:T1")
    assert member_codes.consume(code, "sale:S001:T2", now=T).fresh


def test_a_new_code_on_the_same_device_supersedes_the_old(ming):
    old = member_codes.issue(ming, "wechat", now=T).code
    other_device = member_codes.issue(ming, "h5", now=T).code
    new = member_codes.issue(ming, "wechat", now=T).code
    with pytest.raises(CodeExpired) as superseded:
        member_codes.resolve(old, now=T)
    assert superseded.value.details["reason"] == "superseded" and "最新" in superseded.value.message
    assert member_codes.resolve(new, now=T).id == ming.id
    assert member_codes.resolve(other_device, now=T).id == ming.id


def test_forged_mistyped_and_unknown_codes(ming):
    code = member_codes.issue(ming, now=T).code
    tampered = code[:-1] + str((int(code[-1]) + 1) % 10)
    for bad, reason in [(tampered, "signature"), ("12345", "shape"), ("77" + code[2:], "shape"), (None, "shape"),
                        (code + "0", "shape")]:
        with pytest.raises(CodeInvalid) as invalid:
            member_codes.resolve(bad, now=T)
        assert invalid.value.code == "code_invalid" and invalid.value.details["reason"] == reason
    # Signed by us but not on record: only an old code can be (records outlive codes by an hour).
    serial = "0000000042"
    with pytest.raises(CodeExpired) as unknown:
        member_codes.resolve("66" + serial + member_codes._tag(serial), now=T)
    assert unknown.value.details["reason"] == "unknown"


def test_a_code_signed_under_another_secret_key_is_invalid(ming):
    saved = current_app.config["SECRET_KEY"]
    current_app.config["SECRET_KEY"] = "another-deployment"
    try:
        foreign = member_codes.issue(ming, now=T).code
    finally:
        current_app.config["SECRET_KEY"] = saved
    with pytest.raises(CodeInvalid):
        member_codes.resolve(foreign, now=T)


def test_the_time_to_live_is_configurable(ming):
    current_app.config["MEMBER_CODE_TTL"] = 5
    issued = member_codes.issue(ming, now=T)
    assert issued.expires_at == T + timedelta(seconds=5)
    with pytest.raises(CodeExpired):
        member_codes.resolve(issued.code, now=T + timedelta(seconds=5))


def test_a_device_name_is_checked(ming):
    with pytest.raises(ValidationError):
        member_codes.issue(ming, device="no spaces")


def test_twenty_holders_racing_for_one_code_one_wins(app):
    member = members.create_member("13900000002", consent=True)
    db.session.commit()
    code, member_id = member_codes.issue(member).code, member.id
    barrier, outcomes = threading.Barrier(20), []

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(member_codes.consume(code, f"sale:S001:R{i}").member.id)
            except CodeUsed:
                outcomes.append("used")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes, key=str) == [member_id] + ["used"] * 19
