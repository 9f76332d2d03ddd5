"""Coupons issued set-based to the members a producer picked, once per issue key.

The validity is the template's, computed once for the run (every coupon of the run is
issued at the same instant); the insert is ON CONFLICT (issue_key) DO NOTHING, so a
rerun with the same keys issues nothing more.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty.benefits.coupons import validity
from models import CouponTemplate

log = logging.getLogger("youka.reminders")


def template_for(code: str | None, now: datetime) -> tuple[int, datetime, datetime] | None:
    """(template id, valid_from, valid_until) of a coupon of template `code` issued now,
    or None when there is no such template, or it is inactive or its window has closed
    (the notice then goes out without a coupon, and the operator sees why in the log)."""
    if code is None:
        return None
    template = db.session.scalars(select(CouponTemplate).where(CouponTemplate.code == code)).first()
    if template is None or not template.active:
        log.warning("coupon template %s is %s: notices go out without a coupon", code,
                    "missing" if template is None else "inactive")
        return None
    valid_from, valid_until = validity(template, now)
    if valid_until <= max(now, valid_from):
        log.warning("coupon template %s has closed: notices go out without a coupon", code)
        return None
    return template.id, valid_from, valid_until


def issue_sql(members_select: str, key_expr: str, source: str) -> str:
    """INSERT of one coupon per member of `members_select` (a SELECT yielding `member_id`),
    keyed by `key_expr` (SQL over `t.member_id`); parameters :template_id, :now,
    :valid_from, :valid_until."""
    return f"""INSERT INTO coupons (member_id, template_id, issued_at, valid_from, valid_until, status,
                                issue_key, source)
SELECT t.member_id, :template_id, :now, :valid_from, :valid_until, 'issued', {key_expr}, '{source}'
FROM ({members_select}) t
WHERE true
ON CONFLICT (issue_key) DO NOTHING"""
