"""Manual adjustments of a member's points or stored value, made by HQ admins in the
console: a goodwill credit, a correction of a till mistake.

Every one has a reason, is idempotent on the form's one-time key (a double click posts
it twice and adjusts once: loyalty.once.run_once), and writes a change record. One
whose size (either sign) is above the policy's threshold (`adjustment_approval_points`,
`adjustment_approval_fen`) waits `pending` until a *second* HQ admin approves it (the
requester cannot: here and in the database) or anyone rejects it.

The money moves through the ledger: points by loyalty.books.points (earn opens a lot,
a debit spends the soonest-expiring lots first; the family pool when the member is in
one), stored value by ledger.post into the chosen bucket (principal by default), so no
balance goes negative and the invariants hold. request / approve / reject commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty import changes
from loyalty import policy as policies
from loyalty.books import points
from loyalty.books.ledger import post, utc
from loyalty.books.stored_value import wallet
from loyalty.errors import DuplicateConflict, NotAllowed, NotFound, ValidationError
from loyalty.once import Done, check_reference, run_once
from loyalty.people.members import account_of
from loyalty.policy import Policy
from models import Adjustment, Member, Staff

KINDS = ("points", "stored_value")
BUCKETS = ("principal", "bonus")
MAX_REASON = 200
MAX_AMOUNT = 10 ** 9
FIELDS = ("member_id", "account_kind", "amount", "bucket", "reason", "status", "requested_by", "decided_by",
          "ledger_entry_id")


def _hq(staff: Staff) -> None:
    if staff is None or not staff.active or staff.role != "hq_admin":
        raise NotAllowed("只有总部管理员可以调整积分和储值")


def needs_approval(account_kind: str, amount: int, policy: Policy | None = None) -> bool:
    """True when an adjustment this size waits for a second HQ admin."""
    policy = policy or policies.current()
    limit = policy.adjustment_approval_points if account_kind == "points" else policy.adjustment_approval_fen
    return abs(amount) > limit


def _check(account_kind: str, amount, bucket: str | None, reason: str | None) -> tuple[str | None, str]:
    if account_kind not in KINDS:
        raise ValidationError("请选择积分或储值", field="account_kind")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_AMOUNT:
        raise ValidationError("调整数额须为非零整数", field="amount")
    if account_kind == "stored_value":
        bucket = bucket or "principal"
        if bucket not in BUCKETS:
            raise ValidationError("储值须注明本金或赠送", field="bucket")
    else:
        bucket = None
    reason = changes.require_reason(reason)
    if len(reason) > MAX_REASON:
        raise ValidationError(f"原因最长 {MAX_REASON} 字", field="reason")
    return bucket, reason


def request(member: Member, account_kind: str, amount: int, *, reason: str, key: str, staff: Staff,
            bucket: str | None = None, now: datetime | None = None, policy: Policy | None = None) -> Done[Adjustment]:
    """Adjust the member's points or stored value by `amount` (positive credits), or, above
    the threshold, file it for approval. `key` is the form's one-time key: the same key
    again answers with the first adjustment (created False); with other terms it is a
    DuplicateConflict. InsufficientPoints / InsufficientBalance when a debit is not covered."""
    _hq(staff)
    key = check_reference(key, "key", "请求编号")
    bucket, reason = _check(account_kind, amount, bucket, reason)
    now = utc(now)

    def first() -> Adjustment | None:
        row = db.session.scalars(select(Adjustment).where(Adjustment.request_key == key)).first()
        if row is not None and (row.member_id, row.account_kind, row.amount, row.bucket) != (
                member.id, account_kind, amount, bucket):
            raise DuplicateConflict(key=key)
        return row

    def do() -> Adjustment:
        row = Adjustment(request_key=key, member_id=member.id, account_kind=account_kind, amount=amount,
                         bucket=bucket, reason=reason, requested_by=staff.id, status="pending", created_at=now)
        db.session.add(row)
        db.session.flush()
        if needs_approval(account_kind, amount, policy):
            changes.record("adjustment", str(row.id), "request", staff=staff, reason=reason,
                           after=changes.snapshot(row, FIELDS), now=now)
        else:
            _apply(row, member, now)
            changes.record("adjustment", str(row.id), "apply", staff=staff, reason=reason,
                           after=changes.snapshot(row, FIELDS), now=now)
        return row

    return run_once(f"adjustment:{key}", first, do)


def _apply(row: Adjustment, member: Member, now: datetime) -> None:
    entry_key, memo = f"adjustment:{row.id}", row.reason[:128]
    if row.account_kind == "points":
        account = account_of(member, "points")
        if row.amount > 0:
            entry = points.earn(account, row.amount, key=entry_key, cause_type="adjustment",
                                cause_ref=str(row.id), memo=memo, now=now)
        else:
            entry = points.spend(account, -row.amount, key=entry_key, cause_type="adjustment",
                                 cause_ref=str(row.id), memo=memo, now=now)
    else:
        account = wallet(account_of(member, "stored_value").id)
        entry = post(account, "adjustment", row.amount, key=entry_key, cause_type="adjustment",
                     cause_ref=str(row.id), bucket=row.bucket, memo=memo, now=now)
    row.ledger_entry_id, row.status = entry.id, "applied"
    db.session.flush()


def _decide(adjustment_id: int, staff: Staff, action: str, reason: str | None, now: datetime | None) -> Done[Adjustment]:
    _hq(staff)
    now = utc(now)
    if not 0 < adjustment_id < 2 ** 63:
        raise NotFound("调整记录不存在", field="adjustment_id")

    def first() -> Adjustment | None:
        row = db.session.get(Adjustment, adjustment_id, with_for_update=True, populate_existing=True)
        if row is None:
            raise NotFound("调整记录不存在", field="adjustment_id")
        if row.status == "pending":
            return None
        if row.decided_by == staff.id and row.status == ("applied" if action == "approve" else "rejected"):
            return row  # this admin's own double click: the first answer
        raise ValidationError("该调整已处理", field="adjustment_id", status=row.status)

    def do() -> Adjustment:
        row = db.session.get(Adjustment, adjustment_id)
        if row.requested_by == staff.id:
            raise NotAllowed("不能审批自己提交的调整，请另一位总部管理员审批")
        row.decided_by, row.decided_at = staff.id, now
        if action == "approve":
            _apply(row, db.session.get(Member, row.member_id), now)
        else:
            row.status = "rejected"
        db.session.flush()
        changes.record("adjustment", str(row.id), action, staff=staff, reason=reason or row.reason,
                       after=changes.snapshot(row, FIELDS), now=now)
        return row

    return run_once(f"adjustment-decision:{adjustment_id}", first, do)


def approve(adjustment_id: int, *, staff: Staff, now: datetime | None = None) -> Done[Adjustment]:
    """A second HQ admin approves a pending adjustment: it is applied now. NotAllowed for
    the admin who asked for it; ValidationError when it was already decided (by someone else)."""
    return _decide(adjustment_id, staff, "approve", None, now)


def reject(adjustment_id: int, *, staff: Staff, reason: str, now: datetime | None = None) -> Done[Adjustment]:
    """Turn a pending adjustment down, with a reason; nothing moves."""
    return _decide(adjustment_id, staff, "reject", changes.require_reason(reason), now)


def pending() -> list[Adjustment]:
    """Adjustments waiting for approval, oldest first. Reads only."""
    return list(db.session.scalars(select(Adjustment).where(Adjustment.status == "pending").order_by(Adjustment.id)))


def of_member(member_id: int) -> list[Adjustment]:
    """A member's adjustments, newest first. Reads only."""
    return list(db.session.scalars(select(Adjustment).where(Adjustment.member_id == member_id)
                                   .order_by(Adjustment.id.desc())))
