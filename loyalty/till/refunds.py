"""Refunding a sale, in full or in part, idempotent on the refund number (one command of
loyalty.once.run_once, keyed by sale and refund number).

Points earned by the sale are taken back in proportion to the money refunded (computed
on the running total, so several partial refunds never drift from one full refund);
stored value paid for the sale goes back to the buckets it came from; on the refund that
completes a full refund the sale's coupons are restored when still valid. Tiers are not
lowered here: only the periodic review downgrades.

A sale paid wholly by coupons (payable 0) is refunded once, by a refund of 0 fen: its
coupons come back and any points it earned (per litre) are taken back.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty.benefits import coupons as coupon_rules
from loyalty import outbox
from loyalty.books import points, stored_value
from loyalty.errors import DuplicateConflict, NotFound, ValidationError
from loyalty.books.ledger import as_utc, find_entry, utc
from loyalty.once import check_reference, run_once
from loyalty.till import daily_totals
from models import LedgerEntry, Member, Sale, SaleRefund


def _locked_sale(sale_id: int) -> Sale:
    sale = db.session.execute(select(Sale).where(Sale.id == sale_id).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if sale is None:
        raise NotFound("交易不存在", field="sale_id", sale_id=sale_id)
    return sale


def first_refund(sale_id: int, refund_no: str, request_hash: str) -> SaleRefund | None:
    """The refund already made with this number on this sale, or None; DuplicateConflict
    when it was asked for another amount."""
    done = db.session.scalars(select(SaleRefund).where(SaleRefund.sale_id == sale_id,
                                                       SaleRefund.refund_no == refund_no)).first()
    if done is not None and done.request_hash != request_hash:
        raise DuplicateConflict("同一退款单号已用于不同金额", refund_no=refund_no)
    return done


def refund(sale_id: int, refund_no: str, amount_fen: int | None = None, *,
           now: datetime | None = None) -> tuple[SaleRefund, bool]:
    """Refund `amount_fen` of the sale (the whole remaining amount when None); returns
    (refund, created); committed. The same refund number with the same amount returns the
    first refund (created False); with another amount it is a DuplicateConflict."""
    check_reference(refund_no, "refund_no", "退款单号")
    if amount_fen is not None and (not isinstance(amount_fen, int) or isinstance(amount_fen, bool)):
        raise ValidationError("退款金额必须是整数（分）", field="amount_fen")
    now = utc(now)
    # The hash of the amount asked for (None: all that is left), as refunds on record have it.
    request_hash = hashlib.sha256(f"{amount_fen}".encode()).hexdigest()
    done = run_once(f"refund:{sale_id}:{refund_no}", lambda: first_refund(sale_id, refund_no, request_hash),
                    lambda: _refund(_locked_sale(sale_id), refund_no, request_hash, amount_fen, now))
    return done.result, done.created


def _refund(sale: Sale, refund_no: str, request_hash: str, amount_fen: int | None, now: datetime) -> SaleRefund:
    left = sale.payable_fen - sale.refunded_fen
    amount = left if amount_fen is None else amount_fen
    # A sale that cost nothing (coupons paid it all) has one refund of 0 fen to give them back.
    free_and_unrefunded = sale.payable_fen == 0 and amount_fen is None and not _refunded_before(sale)
    if not free_and_unrefunded and (amount <= 0 or amount > left):
        raise ValidationError(f"可退金额为 {left} 分", field="amount_fen", refundable_fen=left)
    row = SaleRefund(sale_id=sale.id, refund_no=refund_no, request_hash=request_hash, amount_fen=amount,
                     created_at=now)
    db.session.add(row)
    db.session.flush()
    key = f"sale:{sale.id}:refund:{row.id}"
    row.points_reversed = _claw_back_points(sale, amount, key, now)
    if sale.paid_from_balance_fen > 0:
        row.balance_returned_fen = _return_balance(sale, amount, key, now)
    if sale.member_id is not None:
        # The sale's day, not the refund's: the tier window and the day cap count the sale.
        daily_totals.add(sale.member_id, daily_totals.business_day(as_utc(sale.created_at)),
                         daily_totals.of_refund(sale, amount, row.points_reversed))
    sale.refunded_fen += amount
    if sale.refunded_fen == sale.payable_fen:
        coupon_rules.restore(sale.id, now=now)
    if sale.member_id is not None:
        outbox.add("refund", f"refund:{row.id}", {"sale_id": sale.id, "refund_id": row.id}, member_id=sale.member_id)
    return row


def _refunded_before(sale: Sale) -> bool:
    return db.session.scalar(select(SaleRefund.id).where(SaleRefund.sale_id == sale.id).limit(1)) is not None


def _claw_back_points(sale: Sale, amount: int, key: str, now: datetime) -> int:
    earn = find_entry(f"sale:{sale.id}:earn")
    if earn is None:
        return 0
    # Proportional on the running total: floor(earned × refunded after / paid) minus the
    # same before this refund, so partial refunds add up to one full refund. What was due,
    # not what was taken: points an earlier refund wrote off (already spent) stay written
    # off and are never taken from points earned since. All of them for the one refund of
    # a sale that cost nothing.
    earned, paid = sale.points_earned, sale.payable_fen
    if paid:
        due = earned * (sale.refunded_fen + amount) // paid - earned * sale.refunded_fen // paid
    else:
        due = earned
    if due <= 0:
        return 0
    entry = points.claw_back(earn, due, key=f"{key}:points", cause_type="refund", cause_ref=str(sale.id), now=now)
    return -entry.amount if entry is not None else 0


def _return_balance(sale: Sale, amount: int, key: str, now: datetime) -> int:
    # The sale's payment legs, by their cause (ix_ledger_entries_cause).
    legs = list(db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.cause_type == "sale", LedgerEntry.cause_ref == str(sale.id), LedgerEntry.kind == "payment")))
    if not legs:
        return 0
    # Payment from balance covers the whole payable amount, so the refund returns it all.
    back = stored_value.refund_payment(legs, amount, key=f"{key}:balance", cause_ref=str(sale.id), now=now)
    return sum(e.amount for e in back)


def member_of(sale: Sale) -> Member | None:
    """The member the sale was credited to, if any."""
    return db.session.get(Member, sale.member_id) if sale.member_id else None
