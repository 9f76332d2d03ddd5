"""The cashier's side of a sale or a top-up: who the member is (a member code or the
member attached to the nozzle), the quote, the commit, and the member's summary.

Used by the station API and the cashier page. The ordering that keeps "nothing is
written on any error", member code included:

1. a retry first: an existing sale for (station, POS transaction number) answers as it
   is, compared with the request, before the (by then consumed) code is looked at;
2. consume the code (atomic; CodeUsed for the loser of a race), or take the nozzle's
   attachment;
3. commit the sale in one transaction (loyalty.till.sales.commit);
4. when the commit fails, release the code and put the attachment back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty.benefits import coupons
from loyalty.till import member_codes, nozzles, sales
from loyalty.books import stored_value
from loyalty.errors import DuplicateConflict, InsufficientBalance, ValidationError
from loyalty.books.ledger import as_utc, find_entry, whole
from loyalty.people.members import account_of
from models import Account, Member, Sale, Station, Tier

PAY_METHODS = ("cash", "wechat", "alipay", "unionpay", "card")


@dataclass(frozen=True)
class Sold:
    sale: Sale
    created: bool  # False: a retry answered with the first sale
    member: Member | None


@dataclass(frozen=True)
class ToppedUp:
    result: stored_value.TopupResult
    member: Member
    created: bool


def summary(member: Member, station_code: str | None = None, now: datetime | None = None) -> dict:
    """What a cashier sees of a member: masked phone, tier, points, balance, and the
    coupons usable at this station now (JSON-ready)."""
    tier = db.session.get(Tier, member.tier_id) if member.tier_id else None
    return {
        "id": member.id, "phone_masked": member.phone_masked,
        "tier": {"code": tier.code, "name": tier.name} if tier else None,
        "points": account_of(member, "points").balance,
        "balance_fen": account_of(member, "stored_value").balance,
        "coupons": [{"id": c.id, "name": c.template.name, "kind": c.template.kind,
                     "valid_until": as_utc(c.valid_until).isoformat().replace("+00:00", "Z")}
                    for c in coupons.usable(member, station_code, now)],
    }


def _station(station: Station | str) -> Station:
    # The station API has the caller's station loaded already; the cashier page may pass a code.
    return station if isinstance(station, Station) else sales.station_by_code(station)


def identify(station_code: str, member_code: str | None, nozzle: str | None,
             now: datetime | None = None) -> Member | None:
    """The member a request names, without using anything up: the code's member, else the
    member attached to the nozzle, else None."""
    if member_code is not None:
        return member_codes.resolve(member_code, now)
    if nozzle is not None:
        return nozzles.attached(station_code, nozzle)
    return None


def quote(station: Station | str, lines, *, member_code: str | None = None, nozzle: str | None = None,
          coupon_ids=(), pay_with: str = "external", now: datetime | None = None) -> tuple[sales.Priced, Member | None]:
    """The quote and points of a sale, and its member; nothing is written or used up.
    With pay_with "balance" the balance must cover it (InsufficientBalance), as at commit."""
    station = _station(station)
    member = identify(station.code, member_code, nozzle, now)
    priced = sales.price(station, lines, member=member, coupon_ids=coupon_ids, now=now)
    if pay_with == "balance":
        if member is None:
            raise ValidationError("储值支付需要会员身份", field="pay_with")
        wallet = account_of(member, "stored_value")
        if wallet.balance < priced.quote.payable_fen:
            raise InsufficientBalance(needed=priced.quote.payable_fen, balance=wallet.balance)
    return priced, member


def _retry(station: Station, pos_txn_no: str, member_code, lines, coupon_ids, pay_with, nozzle) -> Sale | None:
    first = sales.sale_by_txn(station, pos_txn_no)
    if first is None:
        return None
    member_id = first.member_id  # a nozzle's member, or a code no longer on record
    if member_code is not None:
        member_codes.parse(member_code)
        member_id = member_codes.member_id_of(member_code) or first.member_id
    if sales.request_hash(member_id, lines, coupon_ids, pay_with, nozzle) != first.request_hash:
        raise DuplicateConflict(pos_txn_no=pos_txn_no, sale_id=first.id)
    return first


def sell(station: Station | str, pos_txn_no: str, lines, *, member_code: str | None = None,
         nozzle: str | None = None, coupon_ids=(), pay_with: str = "external",
         now: datetime | None = None) -> Sold:
    """Commit a sale credited to the code's member (the code is used up), or with no code to
    the member attached to the nozzle (the attachment is taken). Idempotent on (station,
    pos_txn_no); on any error nothing is written and the code and attachment stay as they were."""
    station = _station(station)
    if not isinstance(pos_txn_no, str) or not 0 < len(pos_txn_no) <= 64:
        raise ValidationError("POS 流水号必填，最长 64 位", field="pos_txn_no")
    first = _retry(station, pos_txn_no, member_code, lines, coupon_ids, pay_with, nozzle)
    if first is not None:
        return Sold(first, False, db.session.get(Member, first.member_id) if first.member_id else None)
    holder, consumed, taken, member = f"sale:{station.code}:{pos_txn_no}", None, None, None
    if member_code is not None:
        consumed = member_codes.consume(member_code, holder, now)
        member = consumed.member
    elif nozzle is not None:
        taken = nozzles.take(station.code, nozzle)
        member = taken.member if taken else None
    try:
        done = sales.commit(station.code, pos_txn_no, lines, member_id=member.id if member else None,
                            coupon_ids=coupon_ids, pay_with=pay_with, nozzle=nozzle, now=now)
    except Exception:
        if consumed is not None and consumed.fresh:  # a racing retry's code stays with the first
            member_codes.release(member_code, holder)
        if taken is not None:
            nozzles.put_back(taken)
        raise
    if not done.created and consumed is not None and consumed.fresh:
        member_codes.release(member_code, holder)  # a racing retry with another code: the first sale had its own
    return Sold(done.sale, done.created, member)


def _first_topup(key: str, member_code: str, amount_fen: int, pay_method: str) -> ToppedUp | None:
    principal = find_entry(key)
    if principal is None:
        return None
    account = db.session.get(Account, principal.account_id)
    member_id = member_codes.member_id_of(member_code) or account.member_id
    if principal.amount != amount_fen or principal.memo != pay_method or member_id != account.member_id:
        raise DuplicateConflict("同一充值单号已用于内容不同的请求", key=key)
    bonus = find_entry(f"{key}:bonus")
    result = stored_value.TopupResult(principal, bonus, bonus.amount if bonus else 0, account.balance)
    return ToppedUp(result, db.session.get(Member, account.member_id), False)


def topup(station: Station | str, topup_no: str, member_code: str, amount_fen: int, pay_method: str,
          now: datetime | None = None) -> ToppedUp:
    """Top up the code's member at the station (the code is used up), with the bonus of the
    best active rule; committed. Idempotent on (station, topup_no); a retry returns the
    first top-up with the balance as it is now."""
    station = _station(station)
    if not isinstance(topup_no, str) or not 0 < len(topup_no) <= 64:
        raise ValidationError("充值单号必填，最长 64 位", field="topup_no")
    if pay_method not in PAY_METHODS:
        raise ValidationError(f"pay_method 只能是 {', '.join(PAY_METHODS)}", field="pay_method")
    whole(amount_fen, "amount_fen")
    member_codes.parse(member_code)
    key = f"topup:{station.code}:{topup_no}"
    first = _first_topup(key, member_code, amount_fen, pay_method)
    if first is not None:
        return first
    consumed = member_codes.consume(member_code, key, now)
    try:
        try:
            result = stored_value.topup(account_of(consumed.member, "stored_value"), amount_fen, key=key,
                                        cause_ref=f"{station.code}:{topup_no}", pay_method=pay_method, now=now)
            db.session.commit()
            return ToppedUp(result, consumed.member, True)
        except IntegrityError:
            db.session.rollback()  # another request with this number committed first: a retry or a conflict
            first = _first_topup(key, member_code, amount_fen, pay_method)
            if first is None:
                raise
            return first
    except Exception:
        db.session.rollback()
        if consumed.fresh:
            member_codes.release(member_code, key)
        raise
