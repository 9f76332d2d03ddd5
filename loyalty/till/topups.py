"""Stored-value top-ups at a station: by member code (the code is used up) or for a member
the cashier found by phone. Each is one command of loyalty.once.run_once, keyed by
(station, topup_no), so one top-up number is one top-up either way: a retry, a racing
one too, answers with the first top-up (created False) and the balance as it is now."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from extensions import db
from loyalty import once
from loyalty.books import stored_value
from loyalty.books.ledger import find_entry, whole
from loyalty.errors import DuplicateConflict, ValidationError
from loyalty.once import run_once
from loyalty.people.members import account_of
from loyalty.till import member_codes
from loyalty.till.checkout import station_of
from loyalty.till.claim import Claim
from models import Account, AccountKind, Member, Station

PAY_METHODS = ("cash", "wechat", "alipay", "unionpay", "card")


@dataclass(frozen=True)
class ToppedUp:
    result: stored_value.TopupResult
    member: Member
    created: bool  # False: a retry answered with the first top-up


def first_topup(key: str, member_id: int | None, amount_fen: int, pay_method: str) -> ToppedUp | None:
    """The top-up already made under `key`, or None; DuplicateConflict when it was asked for
    another amount, payment method or member (`member_id` None: whoever it was)."""
    principal = find_entry(key)
    if principal is None:
        return None
    account = db.session.get(Account, principal.account_id)
    if principal.amount != amount_fen or principal.memo != pay_method or member_id not in (None, account.member_id):
        raise DuplicateConflict("同一充值单号已用于内容不同的请求", key=key)
    bonus = find_entry(f"{key}:bonus")
    result = stored_value.TopupResult(principal, bonus, bonus.amount if bonus else 0, account.balance)
    return ToppedUp(result, db.session.get(Member, account.member_id), False)


def topup_key(station_code: str, topup_no: str) -> str:
    """One top-up number is one top-up at a station, by code or by phone."""
    return f"topup:{station_code}:{topup_no}"


def topup_member(station_code: str, member: Member, topup_no: str, amount_fen: int, pay_method: str,
                 now: datetime | None = None) -> ToppedUp:
    """Top up a member the cashier found by phone (no code to use up); committed, idempotent
    on (station, topup_no) as `topup` is."""
    _check_topup(topup_no, amount_fen, pay_method)
    key = topup_key(station_code, topup_no)
    done = run_once(key, lambda: first_topup(key, member.id, amount_fen, pay_method),
                    lambda: _topped_up(member, key, station_code, topup_no, amount_fen, pay_method, now))
    return replace(done.result, created=done.created)


def topup(station: Station | str, topup_no: str, member_code: str, amount_fen: int, pay_method: str,
          now: datetime | None = None) -> ToppedUp:
    """Top up the code's member at the station (the code is used up), with the bonus of the
    best active rule; committed. Idempotent on (station, topup_no); a retry (a racing one
    too) answers 200 with the first top-up and the balance as it is now."""
    station = station_of(station)
    _check_topup(topup_no, amount_fen, pay_method)
    member_codes.parse(member_code)
    key = topup_key(station.code, topup_no)
    claim = Claim(station.code, key, member_code, None, now)

    def first() -> ToppedUp | None:
        if find_entry(key) is None:  # the code's member is looked up only for a retry
            return None
        return first_topup(key, member_codes.member_id_of(member_code), amount_fen, pay_method)

    def write() -> ToppedUp:
        member = claim.take()
        return _topped_up(member, key, station.code, topup_no, amount_fen, pay_method, now)

    try:
        done = run_once(key, first, write)
    except Exception:  # the top-up did not commit: give the code back, raise the error
        claim.undo()
        raise
    if not done.created:
        claim.undo()
    return replace(done.result, created=done.created)


def _check_topup(topup_no, amount_fen, pay_method) -> None:
    once.check_reference(topup_no, "topup_no", "充值单号")
    if pay_method not in PAY_METHODS:
        raise ValidationError(f"pay_method 只能是 {', '.join(PAY_METHODS)}", field="pay_method")
    whole(amount_fen, "amount_fen")


def _topped_up(member: Member, key: str, station_code: str, topup_no: str, amount_fen: int, pay_method: str,
               now) -> ToppedUp:
    result = stored_value.topup(account_of(member, AccountKind.STORED_VALUE), amount_fen, key=key,
                                cause_ref=f"{station_code}:{topup_no}", pay_method=pay_method, now=now)
    return ToppedUp(result, member, True)
