"""Quoting and committing a sale.

`commit` is idempotent on (station, POS transaction number), through loyalty.once: the
same number with the same request (loyalty.till.sale_request) returns the first sale;
with another request it is a DuplicateConflict. In one transaction it writes the sale
and its lines and discounts, uses the coupons, takes the payment from stored value when
asked, earns the points, moves the member up a tier when the sale crosses a threshold,
and writes the receipt's outbox row (`write`, which checkout.sell also runs). The daily
points cap counts the member's own sales of the business day, net of refunds
(`earned_today`), and the tier metric the days of its window: both from the member's
daily totals (loyalty.till.daily_totals), which the sale updates.

A member's sale paid externally without coupons is eight statements on PostgreSQL: the
run-once lock (with the reference data's version), the first-sale lookup, the accounts
lock, the member row with today's points and the tier window, the sale (its row, lines,
discounts and daily totals in one INSERT: loyalty.till.sale_rows), the points (balance and entry in one
statement, then the lot) and the receipt's outbox row. Stations, prices, tiers and the
rule book come from the process's cache (loyalty.reference).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from extensions import db
from loyalty import outbox, reference
from loyalty.benefits import coupons as coupon_rules
from loyalty.benefits import tiers
from loyalty.books import points, stored_value
from loyalty.books.ledger import utc
from loyalty.errors import DuplicateConflict, NotFound, ValidationError
from loyalty.once import run_once
from loyalty.people.members import lock_member
from loyalty.policy import BUSINESS_TZ, Policy
from loyalty.policy import current as current_policy
from loyalty.rules import engine as rules
from loyalty.till import daily_totals, price_list, pricing, sale_rows
from loyalty.till.sale_request import Line, PayWith, SaleRequest
from models import Account, Coupon, Member, Sale


@dataclass(frozen=True)
class Priced:
    quote: pricing.Quote
    points: rules.PointsBreakdown


@dataclass(frozen=True)
class Committed:
    sale: Sale
    created: bool  # False: a retry that returned the first sale


def station_by_code(code: str) -> reference.StationRef:
    """The active station with this code (from the cached reference data); NotFound otherwise."""
    station = reference.current().stations.get(code)
    if station is None or not station.active:
        raise NotFound("油站不存在", field="station", code=code)
    return station


def earned_today(member: Member, at: datetime) -> int:
    """Points the member's own sales earned since the start of `at`'s business day
    (Asia/Shanghai), less what refunds of those sales took back: the daily cap is per
    member and net of refunds, whether the points sit in the member's account or in a
    family pool that others earn into too. Today's daily total (loyalty.till.daily_totals)."""
    # int(): PostgreSQL sums a bigint column as numeric.
    return int(db.session.scalar(select(daily_totals.day_points(member.id, daily_totals.business_day(at)))))


def price(station, lines: list[Line], *, member: Member | None = None, coupon_ids=(),
          now: datetime | None = None, policy: Policy | None = None, earned: int | None = None) -> Priced:
    """The quote (gross, discounts in order, payable) and the points it would earn.
    Nothing is written; the member code is not consumed. The lines are checked against
    the station's price list first (loyalty.till.price_list). `earned`: the member's
    points of the day when the caller read them already (earned_today otherwise)."""
    now, policy = utc(now), policy or current_policy()
    price_list.check(station, lines)
    tier = reference.current().tier(member.tier_id) if member else None
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
    today = earned_today(member, now) if earned is None else earned
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


def sale_by_txn(station, pos_txn_no: str) -> Sale | None:
    """The station's sale with this POS transaction number, if any."""
    return db.session.scalars(_by_txn(), {"station_id": station.id, "pos_txn_no": pos_txn_no}).first()


@lru_cache(maxsize=1)
def _by_txn():
    return select(Sale).where(Sale.station_id == bindparam("station_id"), Sale.pos_txn_no == bindparam("pos_txn_no"))


def first_sale(station, request: SaleRequest) -> Sale | None:
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
    # The station is found under the run-once lock, whose statement reads the reference
    # data's version: no statement of its own.
    done = run_once(request.key, lambda: first_sale(station_by_code(station_code), request),
                    lambda: _write(station_by_code(station_code), request, member_id, now, policy))
    return Committed(done.result, done.created)


def write(station, request: SaleRequest, member: Member | None, *, now: datetime | None = None,
          policy: Policy | None = None) -> Sale:
    """Write the sale credited to `member` (the request's, or the nozzle's), flushed and
    not committed: for a command run by loyalty.once.run_once under the request's key."""
    return _write(station, request, member.id if member is not None else None, now, policy)


def _write(station, request: SaleRequest, member_id: int | None, now, policy) -> Sale:
    now, policy = utc(now), policy or current_policy()
    lines = list(request.lines)
    if member_id is None:
        if request.pay_with is PayWith.BALANCE:
            raise ValidationError("储值支付需要会员身份", field="pay_with")
        return _write_sale(station, request, None, price(station, lines, coupon_ids=request.coupon_ids, now=now,
                                                         policy=policy), now)
    day = daily_totals.business_day(now)
    # One member's sales queue up here; the member, today's points and the tier window are
    # then read current, in one statement.
    locked = lock_member(member_id, also=_day_and_window(policy.tier_metric), params={
        "day": day, "since": day - timedelta(days=policy.tier_window_days)})
    if locked is None:
        raise NotFound("会员不存在", field="member_id")
    member, (today, window) = locked.member, locked.also
    priced = price(station, lines, member=member, coupon_ids=request.coupon_ids, now=now, policy=policy,
                   earned=int(today))
    added = daily_totals.of_sale(priced.quote.litres_ml, priced.quote.payable_fen, priced.points.total)
    sale = _write_sale(station, request, member, priced, now, day=day, added=added)
    metric = int(window) + added[("litres", "amount", "visits").index(policy.tier_metric)]
    _settle(sale, member, locked.accounts, priced, now, policy, metric)
    return sale


@lru_cache(maxsize=8)
def _day_and_window(metric: str) -> tuple:
    """Today's points and the tier window's metric, as columns bound to :member_id, :day and
    :since (built once per metric)."""
    member_id = bindparam("member_id")
    return (daily_totals.day_points(member_id, bindparam("day")),
            daily_totals.window_total(member_id, metric, bindparam("day"), since=bindparam("since")))


def _write_sale(station, request: SaleRequest, member: Member | None, priced: Priced, now, *, day=None,
                added: daily_totals.Figures | None = None) -> Sale:
    q = priced.quote
    paid_from_balance = q.payable_fen if request.pay_with is PayWith.BALANCE else 0
    fields = dict(station_id=station.id, pos_txn_no=request.pos_txn_no, request_hash=request.fingerprint(),
                  member_id=member.id if member else None, nozzle=request.nozzle, gross_fen=q.gross_fen,
                  discount_fen=q.discount_fen, payable_fen=q.payable_fen, pay_with=str(request.pay_with),
                  paid_from_balance_fen=paid_from_balance, litres_ml=q.litres_ml, points_earned=priced.points.total,
                  points_breakdown=json.dumps([[label, n] for label, n in priced.points.lines], ensure_ascii=False),
                  refunded_fen=0, created_at=now)
    lines = [dict(kind=ql.line.kind, grade_code=ql.line.grade, litres_ml=ql.line.litres_ml,
                  unit_price_fen=getattr(ql.line, "unit_price_fen", None), category=ql.line.category,
                  sku=ql.line.sku, amount_fen=ql.gross_fen) for ql in q.lines]
    discounts = [dict(label=d.label, amount_fen=d.amount_fen, coupon_id=d.coupon_id) for d in q.discounts]
    return sale_rows.write(fields, lines, discounts, member, day, added)


def _settle(sale: Sale, member: Member, accounts: dict[str, Account], priced: Priced, now, policy,
            metric: int) -> None:
    if priced.quote.coupon_ids:
        coupon_rules.use(priced.quote.coupon_ids, member, sale.id, now=now)
    if sale.pay_with == PayWith.BALANCE and sale.payable_fen > 0:
        stored_value.pay(accounts["stored_value"], sale.payable_fen, key=f"sale:{sale.id}:pay",
                         cause_type="sale", cause_ref=str(sale.id), policy=policy, new=True)
    if priced.points.total > 0:
        points.earn(accounts["points"], priced.points.total, key=f"sale:{sale.id}:earn",
                    cause_type="sale", cause_ref=str(sale.id), memo=f"消费积分 {sale.pos_txn_no}",
                    now=now, policy=policy, new=True)
    tiers.after_sale(member, now=now, policy=policy, value=metric)
    outbox.add("receipt", f"receipt:{sale.id}", {"sale_id": sale.id}, member_id=member.id, new=True)
