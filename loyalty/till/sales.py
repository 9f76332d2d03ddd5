"""Quoting and committing a sale.

`commit` is idempotent on (station, POS transaction number), through loyalty.once: the
same number with the same request (loyalty.till.sale_request) returns the first sale;
with another request it is a DuplicateConflict. In one transaction it writes the sale
and its lines and discounts, uses the coupons, takes the payment from stored value when
asked, earns the points, moves the member up a tier when the sale crosses a threshold,
and writes the receipt's outbox row (`write`, which checkout.sell also runs). The daily
points cap counts the member's own sales of the business day, net of refunds
(`earned_today`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from extensions import db
from loyalty import outbox
from loyalty.benefits import coupons as coupon_rules
from loyalty.benefits import tiers
from loyalty.books import points, stored_value
from loyalty.books.ledger import utc
from loyalty.errors import DuplicateConflict, NotFound, ValidationError
from loyalty.once import run_once
from loyalty.people.members import lock_accounts
from loyalty.policy import BUSINESS_TZ, Policy
from loyalty.policy import current as current_policy
from loyalty.rules import engine as rules
from loyalty.till import price_list, pricing
from loyalty.till.sale_request import Line, PayWith, SaleRequest
from models import Account, Coupon, Member, Sale, SaleDiscount, SaleLine, SaleRefund, Station, Tier


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


def earned_today(member: Member, at: datetime) -> int:
    """Points the member's own sales earned since the start of `at`'s business day
    (Asia/Shanghai), less what refunds of those sales took back: the daily cap is per
    member and net of refunds, whether the points sit in the member's account or in a
    family pool that others earn into too."""
    local = at.astimezone(BUSINESS_TZ)
    # The window in UTC: SQLite keeps a datetime's digits and drops its zone, so a
    # Shanghai midnight bound as such would be read as 00:00 UTC, eight hours late.
    start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
    day = (Sale.member_id == member.id, Sale.created_at >= start, Sale.created_at < start + timedelta(days=1))
    earned = select(func.coalesce(func.sum(Sale.points_earned), 0)).where(*day).scalar_subquery()
    taken_back = (select(func.coalesce(func.sum(SaleRefund.points_reversed), 0))
                  .join(Sale, Sale.id == SaleRefund.sale_id).where(*day).scalar_subquery())
    # int(): PostgreSQL sums a bigint column as numeric.
    return int(db.session.scalar(select(earned - taken_back)))


def price(station: Station, lines: list[Line], *, member: Member | None = None, coupon_ids=(),
          now: datetime | None = None, policy: Policy | None = None) -> Priced:
    """The quote (gross, discounts in order, payable) and the points it would earn.
    Nothing is written; the member code is not consumed. The lines are checked against
    the station's price list first (loyalty.till.price_list)."""
    now, policy = utc(now), policy or current_policy()
    price_list.check(station, lines)
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
    today = earned_today(member, now)
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


def sale_by_txn(station: Station, pos_txn_no: str) -> Sale | None:
    """The station's sale with this POS transaction number, if any."""
    return db.session.scalars(select(Sale).where(Sale.station_id == station.id,
                                                 Sale.pos_txn_no == pos_txn_no)).first()


def first_sale(station: Station, request: SaleRequest) -> Sale | None:
    """The sale a request with this POS number already made, or None; DuplicateConflict
    when that sale was asked for with another body."""
    sale = sale_by_txn(station, request.pos_txn_no)
    if sale is not None and sale.request_hash != request.fingerprint():
        raise DuplicateConflict(pos_txn_no=request.pos_txn_no, sale_id=sale.id)
    return sale


def commit(station_code: str, pos_txn_no: str, lines: list[Line], *, member_id: int | None = None,
           coupon_ids=(), pay_with: str = PayWith.EXTERNAL, nozzle: str | None = None,
           now: datetime | None = None, policy: Policy | None = None) -> Committed:
    """Commit a sale credited to `member_id` (see the module docstring) and return it.
    Errors — InsufficientBalance, CouponNotApplicable, ValidationError, NotFound,
    DuplicateConflict, LineAmountMismatch, UnitPriceMismatch — leave nothing written."""
    request = SaleRequest(station_code, pos_txn_no, lines, member_id=member_id, coupon_ids=coupon_ids,
                          pay_with=pay_with, nozzle=nozzle)
    station = station_by_code(station_code)

    def write_for_member() -> Sale:
        member = db.session.get(Member, member_id) if member_id is not None else None
        if member_id is not None and member is None:
            raise NotFound("会员不存在", field="member_id")
        return write(station, request, member, now=now, policy=policy)

    done = run_once(request.key, lambda: first_sale(station, request), write_for_member)
    return Committed(done.result, done.created)


def write(station: Station, request: SaleRequest, member: Member | None, *, now: datetime | None = None,
          policy: Policy | None = None) -> Sale:
    """Write the sale credited to `member` (the request's, or the nozzle's), flushed and
    not committed: for a command run by loyalty.once.run_once under the request's key."""
    now, policy = utc(now), policy or current_policy()
    accounts = {}
    if member is not None:
        # One member's sales queue up here: balances and today's points are read current.
        accounts = lock_accounts(member)
    elif request.pay_with is PayWith.BALANCE:
        raise ValidationError("储值支付需要会员身份", field="pay_with")
    priced = price(station, list(request.lines), member=member, coupon_ids=request.coupon_ids, now=now,
                   policy=policy)
    sale = _write_sale(station, request, member, priced, now)
    if member is not None:
        _settle(sale, member, accounts, priced, now, policy)
    return sale


def _write_sale(station: Station, request: SaleRequest, member: Member | None, priced: Priced, now) -> Sale:
    q = priced.quote
    sale = Sale(station_id=station.id, pos_txn_no=request.pos_txn_no, request_hash=request.fingerprint(),
                member_id=member.id if member else None, nozzle=request.nozzle, gross_fen=q.gross_fen,
                discount_fen=q.discount_fen, payable_fen=q.payable_fen, pay_with=str(request.pay_with),
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
    if sale.pay_with == PayWith.BALANCE and sale.payable_fen > 0:
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
