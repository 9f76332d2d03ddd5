"""Change records: the append-only audit trail of the operators' console.

Every configuration change (rule book, tiers, coupon templates, rewards, top-up bonus
rules, notice templates, reply texts) and every audited act (a full phone revealed, a
manual adjustment, an inbox answer, a CSV export) writes one record: who, when, what
(kind and object key), the action, the object before and after as JSON, and the reason. Records are only ever added
(PostgreSQL refuses an UPDATE or DELETE by trigger); they are read per object
(`for_object`) or as one timeline (`timeline`).

`record` only flushes: the change and its record commit together, or neither does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from loyalty.books.ledger import as_utc, utc
from loyalty.errors import ValidationError
from models import ChangeRecord, Staff

MAX_REASON = 500
# Control characters (a line break and a tab excepted) are no part of any text an operator
# types; PostgreSQL cannot even store NUL.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
KIND_NAMES = {"rule_book": "积分规则", "tier": "等级", "coupon_template": "优惠券模板", "reward": "积分商城商品",
              "topup_bonus_rule": "充值赠送", "phone_reveal": "查看完整手机号", "adjustment": "手工调整",
              "feedback": "反馈工单", "invoice": "发票申请", "tag_rule": "标签规则", "export": "数据导出",
              "notice_template": "通知模板", "reply_text": "回复文案",
              "segment": "人群", "campaign": "营销活动"}


@dataclass(frozen=True)
class Change:
    id: int
    at: datetime
    staff: str | None  # the username, None for a change made outside the console
    kind: str
    object_key: str
    action: str
    before: dict | None
    after: dict | None
    reason: str


def require_reason(reason: str | None, *, field: str = "reason") -> str:
    """The reason as stored: stripped, 1..MAX_REASON characters; ValidationError otherwise."""
    text = (reason or "").strip()
    if not text:
        raise ValidationError("请填写原因", field=field)
    check_plain(text, field)
    if len(text) > MAX_REASON:
        raise ValidationError(f"原因最长 {MAX_REASON} 字", field=field)
    return text


def check_plain(text: str, field: str) -> str:
    """`text` if it holds no control character; ValidationError naming the field otherwise."""
    if CONTROL.search(text):
        raise ValidationError("内容不能包含控制字符", field=field)
    return text


def jsonable(value):
    """A value as the JSON of a record holds it: Decimal and times as strings, sets sorted."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple, list)):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def snapshot(row, fields) -> dict:
    """The named columns of a row as JSON-ready values (what before/after hold)."""
    return {name: jsonable(getattr(row, name)) for name in fields}


def record(kind: str, object_key: str, action: str, *, staff: Staff | None, reason: str,
           before: dict | None = None, after: dict | None = None, now: datetime | None = None) -> ChangeRecord:
    """Append one change record (flushed, not committed)."""
    row = ChangeRecord(at=utc(now), staff_id=staff.id if staff else None, kind=kind,
                       object_key=str(object_key)[:64], action=action, before=jsonable(before),
                       after=jsonable(after), reason=require_reason(reason))
    db.session.add(row)
    db.session.flush()
    return row


def _changes(query) -> list[Change]:
    rows = db.session.execute(query.outerjoin(Staff, Staff.id == ChangeRecord.staff_id)
                              .add_columns(Staff.username)).all()
    return [Change(r.id, as_utc(r.at), name, r.kind, r.object_key, r.action, r.before, r.after, r.reason)
            for r, name in rows]


def for_object(kind: str, object_key: str) -> list[Change]:
    """One object's records, newest first. Reads only."""
    if CONTROL.search(kind + str(object_key)):
        return []  # no record is keyed so (nor could PostgreSQL be asked)
    return _changes(select(ChangeRecord).where(ChangeRecord.kind == kind, ChangeRecord.object_key == str(object_key))
                    .order_by(ChangeRecord.id.desc()))


def timeline(*, kind: str | None = None, before_id: int | None = None, limit: int = 50) -> list[Change]:
    """Every record (or one kind's), newest first, `limit` at a time below `before_id`. Reads only."""
    query = select(ChangeRecord).order_by(ChangeRecord.id.desc()).limit(limit)
    if kind:
        query = query.where(ChangeRecord.kind == kind)
    if before_id:
        query = query.where(ChangeRecord.id < before_id)
    return _changes(query)
