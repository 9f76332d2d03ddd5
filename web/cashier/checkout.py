"""Quoting, committing a sale and topping up for the member the cashier identified.

A code or a nozzle goes through loyalty.till.checkout, as the station API does: the sale
consumes the code (or takes the nozzle's attachment) only if it commits, and a retry of
the same POS number answers with the first sale. A member found by phone has no code to
consume: their sale goes to loyalty.till.sales, their top-up to loyalty.till.topups.topup_member.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.books import stored_value
from loyalty.till import checkout, sales, topups
from loyalty.till.sale_request import PayWith
from models import Member, Sale
from web.cashier.members import Identified


@dataclass(frozen=True)
class ToppedUp:
    result: stored_value.TopupResult
    member: Member


def quote(station, lines, who: Identified | None, *, coupon_ids=(),
          pay_with: str = PayWith.EXTERNAL, now: datetime | None = None) -> sales.Priced:
    """The quote and points; nothing is written or used up. With pay_with "balance" the
    balance must cover the payable amount (InsufficientBalance before confirming)."""
    if who is not None and who.via in ("code", "nozzle"):
        priced, _ = checkout.quote(station.code, lines, member_code=who.code, nozzle=who.nozzle,
                                   coupon_ids=coupon_ids, pay_with=pay_with, now=now)
        return priced
    return sales.price(station, lines, member=who.member if who else None, coupon_ids=coupon_ids, now=now)


def commit_sale(station_code: str, pos_txn_no: str, lines, who: Identified | None, *,
                coupon_ids=(), pay_with: str = PayWith.EXTERNAL, nozzle: str | None = None,
                now: datetime | None = None) -> tuple[Sale, bool]:
    """Commit the sale; returns (sale, created). created is False for a retry."""
    if who is not None and who.via == "phone":
        done = sales.commit(station_code, pos_txn_no, lines, member_id=who.member.id, coupon_ids=coupon_ids,
                            pay_with=pay_with, nozzle=nozzle, now=now)
        return done.sale, done.created
    if who is None:
        # A walk-in sale records its nozzle as a plain field: it must not take a member
        # who happens to be attached to that nozzle (the cashier did not choose them).
        done = sales.commit(station_code, pos_txn_no, lines, coupon_ids=coupon_ids, pay_with=pay_with,
                            nozzle=nozzle, now=now)
        return done.sale, done.created
    # Via the nozzle, the member must still be attached when the sale takes them (checked
    # under the sale's lock): an attachment that lapsed after the quote never turns the
    # sale into a walk-in's.
    sold = checkout.sell(station_code, pos_txn_no, lines, member_code=who.code,
                         nozzle=who.nozzle if who.via == "nozzle" else nozzle,
                         coupon_ids=coupon_ids, pay_with=pay_with, nozzle_member_required=who.via == "nozzle", now=now)
    return sold.sale, sold.created


def topup(station_code: str, who: Identified, topup_no: str, amount_fen: int, pay_method: str,
          now: datetime | None = None) -> ToppedUp:
    """Top up and commit, idempotent on (station, topup_no); a code is used up."""
    if who.via == "code":
        done = topups.topup(station_code, topup_no, who.code, amount_fen, pay_method, now=now)
    else:
        done = topups.topup_member(station_code, who.member, topup_no, amount_fen, pay_method, now=now)
    return ToppedUp(done.result, done.member)
