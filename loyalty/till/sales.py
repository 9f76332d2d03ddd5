"""Quoting and committing a sale.

`commit` is idempotent on (station, POS transaction number): the same number with the
same request returns the first sale; with another request it is a DuplicateConflict.
In one transaction it writes the sale and its lines and discounts, uses the coupons,
takes the payment from stored value when asked, earns the points, moves the member up a
tier when the sale crosses a threshold, and writes the receipt's outbox row.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty.benefits import coupons as coupon_rules
from loyalty import outbox
from loyalty.books import points, stored_value
from loyalty.till import pricing
from loyalty.rules import engine as rules
from loyalty.benefits import tiers
from loyalty.errors import DuplicateConflict, NotFound, ValidationError
from loyalty.books.ledger import utc
from loyalty.people.members import account_of, lock_accounts
from loyalty.policy import BUSINESS_TZ, Policy
from loyalty.policy import current as current_policy
from models import Account, Coupon, FuelGrade, LedgerEntry, Member, Sale, SaleDiscount, SaleLine, Station, Tier

Line = pricing.FuelLine | pricing.ShopLine


@dataclass(frozen=True)
class Priced:
    quote: pricing.Quote
    points: rules.PointsBreakdown


@dataclass(frozen=True)
class Committed:
    sale: Sale
    created: bool  # False: a retry that returned the first sale


def station_by_code(code: str) -> Station:
    """The active station with this code; NotFound otherwise."""
    station = db.session.scalars(select(Station).where(Station.code == code, Station.active)).first()
    if station is None:
        raise NotFound("油站不存在", field="station", code=code)
    return station


def _check_lines(lines: list[Line]) -> None:
    if not lines:
        raise ValidationError("至少需要一行商品", field="lines")
    known = set(db.session.scalars(select(FuelGrade.code)))
    for i, line in enumerate(lines):
        if isinstance(line, pricing.FuelLine):
            if line.grade not in known:
                raise ValidationError(f"未知油品 {line.grade}", field=f"lines[{i}].grade")
            if line.litres_ml <= 0 or line.unit_price_fen <= 0:
                raise ValidationError("升数和单价必须大于零", field=f"lines[{i}]")
        elif line.amount_fen <= 0:
            raise ValidationError("金额必须大于零", field=f"lines[{i}].amount_fen")


def earned_today(account: Account, at: datetime) -> int:
    """Points this account earned from sales since the start of `at`'s business day."""
    local = at.astimezone(BUSINESS_TZ)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(local.tzinfo)
    return int(db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.account_id == account.id, LedgerEntry.kind == "earn",
            LedgerEntry.cause_type == "sale", LedgerEntry.created_at >= start,
            LedgerEntry.created_at < start + timedelta(days=1))))


def price(station: Station, lines: list[Line], *, member: Member | None = None, coupon_ids=(),
          now: datetime | None = None, policy: Policy | None = None, points_account: Account | None = None) -> Priced:
    """The quote (gross, discounts in order, payable) and the points it would earn.
    Nothing is written; the member code is not consumed. `points_account`: the member's,
    when the caller has it at hand already."""
    now, policy = utc(now), policy or current_policy()
    _check_lines(lines)
    tier = db.session.get(Tier, member.tier_id) if member and member.tier_id else None
    coupons = _coupons(member, coupon_ids)
    member_day = pricing.MemberDay(policy.member_day_per_litre_fen, frozenset(policy.member_day_weekdays)) \
        if member is not None else None
    quote = pricing.quote(lines, tier=tier, member_day=member_day, coupons=coupons, station_code=station.code,
                          at=now, member_id=member.id if member else None)
    if member is None:
        return Priced(quote, rules.PointsBreakdown(0, []))
    facts = rules.SaleFacts(at=now, station_code=station.code, lines=[
        rules.FuelLine(q.line.grade, q.line.litres_ml, q.paid_fen) if q.line.kind == "fuel"
        else rules.ShopLine(q.line.category, q.paid_fen) for q in quote.lines])
    who = rules.MemberFacts(tier_code=tier.code if tier else None, identity=member.identity,
                            birthday=member.birthday)
    today = earned_today(points_account or account_of(member, "points"), now)
    return Priced(quote, rules.evaluate(facts, who, earned_today=today))


def _coupons(member: Member | None, coupon_ids) -> list[Coupon]:
    ids = list(coupon_ids or ())
    if not ids:
        return []
    if member is None:
        raise ValidationError("使用优惠券需要会员身份", field="coupon_ids")
    found = {c.id: c for c in db.session.scalars(select(Coupon).where(Coupon.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound("优惠券不存在", field="coupon_ids", ids=missing)
    return [found[i] for i in ids]


def request_hash(member_id, lines: list[Line], coupon_ids, pay_with: str, nozzle) -> str:
    """A fingerprint of what was asked, to tell a POS retry from a conflicting reuse."""
    body = {"member": member_id, "coupons": list(coupon_ids or ()), "pay_with": pay_with, "nozzle": nozzle,
            "lines": [[line.kind, line.grade, line.litres_ml, getattr(line, "unit_price_fen", None),
                       line.category, line.sku, line.amount_fen] for line in lines]}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def sale_by_txn(station: Station, pos_txn_no: str) -> Sale | None:
    """The station's sale with this POS transaction number, if any."""
    return db.session.scalars(select(Sale).where(Sale.station_id == station.id,
                                                 Sale.pos_txn_no == pos_txn_no)).first()


def _existing(station: Station, pos_txn_no: str, fingerprint: str) -> Sale | None:
    sale = sale_by_txn(station, pos_txn_no)
    if sale is not None and sale.request_hash != fingerprint:
        raise DuplicateConflict(pos_txn_no=pos_txn_no, sale_id=sale.id)
    return sale


def commit(station_code: str, pos_txn_no: str, lines: list[Line], *, member_id: int | None = None,
           coupon_ids=(), pay_with: str = "external", nozzle: str | None = None,
           now: datetime | None = None, policy: Policy | None = None) -> Committed:
    """Commit a sale (see the module docstring) and return it. Errors — InsufficientBalance,
    CouponNotApplicable, ValidationError, NotFound, DuplicateConflict — leave nothing written."""
    if not pos_txn_no or len(pos_txn_no) > 64:
        raise ValidationError("POS 流水号必填，最长 64 位", field="pos_txn_no")
    if pay_with not in ("balance", "external"):
        raise ValidationError("pay_with 只能是 balance 或 external", field="pay_with")
    now, policy = utc(now), policy or current_policy()
    station = station_by_code(station_code)
    fingerprint = request_hash(member_id, lines, coupon_ids, pay_with, nozzle)
    try:
        result = _commit(station, pos_txn_no, fingerprint, lines, member_id, coupon_ids, pay_with, nozzle,
                         now, policy)
        db.session.commit()
    except IntegrityError:
        # Another request with this transaction number committed first: return its sale.
        db.session.rollback()
        sale = _existing(station, pos_txn_no, fingerprint)
        if sale is None:
            raise
        return Committed(sale, False)
    except Exception:
        db.session.rollback()
        raise
    return result


def _commit(station, pos_txn_no, fingerprint, lines, member_id, coupon_ids, pay_with, nozzle, now, policy):
    member = db.session.get(Member, member_id) if member_id is not None else None
    if member_id is not None and member is None:
        raise NotFound("会员不存在", field="member_id")
    accounts = {}
    if member is not None:
        # One member's sales queue up here, so a retry sees the first sale once committed.
        accounts = lock_accounts(member)
    elif pay_with == "balance":
        raise ValidationError("储值支付需要会员身份", field="pay_with")
    existing = _existing(station, pos_txn_no, fingerprint)
    if existing is not None:
        return Committed(existing, False)
    priced = price(station, lines, member=member, coupon_ids=coupon_ids, now=now, policy=policy,
                   points_account=accounts.get("points"))
    sale = _write_sale(station, pos_txn_no, fingerprint, member, pay_with, nozzle, priced, now)
    if member is not None:
        _settle(sale, member, accounts, priced, now, policy)
    return Committed(sale, True)


def _write_sale(station, pos_txn_no, fingerprint, member, pay_with, nozzle, priced: Priced, now) -> Sale:
    q = priced.quote
    sale = Sale(station_id=station.id, pos_txn_no=pos_txn_no, request_hash=fingerprint,
                member_id=member.id if member else None, nozzle=nozzle, gross_fen=q.gross_fen,
                discount_fen=q.discount_fen, payable_fen=q.payable_fen, pay_with=pay_with,
                litres_ml=q.litres_ml, points_earned=priced.points.total,
                points_breakdown=json.dumps([[label, n] for label, n in priced.points.lines], ensure_ascii=False),
                created_at=now)
    db.session.add(sale)
    db.session.flush()  # the unique (station, pos_txn_no) index speaks here
    for ql in q.lines:
        line = ql.line
        db.session.add(SaleLine(sale_id=sale.id, kind=line.kind, grade_code=line.grade, litres_ml=line.litres_ml,
                                unit_price_fen=getattr(line, "unit_price_fen", None), category=line.category,
                                sku=line.sku, amount_fen=ql.gross_fen))
    for d in q.discounts:
        db.session.add(SaleDiscount(sale_id=sale.id, label=d.label, amount_fen=d.amount_fen, coupon_id=d.coupon_id))
    return sale


def _settle(sale: Sale, member: Member, accounts: dict[str, Account], priced: Priced, now, policy) -> None:
    if priced.quote.coupon_ids:
        coupon_rules.use(priced.quote.coupon_ids, member, sale.id, now=now)
    if sale.pay_with == "balance" and sale.payable_fen > 0:
        stored_value.pay(accounts["stored_value"], sale.payable_fen, key=f"sale:{sale.id}:pay",
                         cause_type="sale", cause_ref=str(sale.id), policy=policy)
        sale.paid_from_balance_fen = sale.payable_fen
    if priced.points.total > 0:
        points.earn(accounts["points"], priced.points.total, key=f"sale:{sale.id}:earn",
                    cause_type="sale", cause_ref=str(sale.id), memo=f"消费积分 {sale.pos_txn_no}",
                    now=now, policy=policy)
    db.session.flush()
    tiers.after_sale(member, now=now, policy=policy)
    outbox.add("receipt", f"receipt:{sale.id}", {"sale_id": sale.id}, member_id=member.id, new=True)
