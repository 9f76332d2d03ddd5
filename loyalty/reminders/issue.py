"""Coupons issued set-based to the members a producer picked, once per issue key, and
the notices that carry them.

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
from loyalty.reminders import sql
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


def _issue_sql(members: str, key: str, source: str) -> str:
    return f"""INSERT INTO coupons (member_id, template_id, issued_at, valid_from, valid_until, status,
                                issue_key, source)
SELECT t.member_id, :template_id, :now, :valid_from, :valid_until, 'issued', {key}, '{source}'
FROM ({members}) t
WHERE true
ON CONFLICT (issue_key) DO NOTHING"""


def coupons_and_notices(kind: str, members: str, key: str, payload: str, *, source: str,
                        template: tuple[int, datetime, datetime] | None, now: datetime, **params) -> int:
    """One coupon (when `template` is given, see template_for) and one outbox row of `kind`
    per member of `members` (a SELECT yielding `member_id` and what `payload` uses, as t.*),
    both keyed by `key` (SQL over t.member_id): a rerun with the same keys adds nothing.
    `payload` is SQL for the row's JSON text, over t.* and c.id (the coupon's id, or NULL).
    Returns the notices written.

    On PostgreSQL the coupons' ids come back from the INSERT itself (RETURNING, in one
    statement with the notices); elsewhere the notices look the coupons up by issue key."""
    notices = f"""{sql.OUTBOX_INSERT}
SELECT '{kind}', {key}, t.member_id, {payload}, :now
FROM ({members}) t
LEFT JOIN __COUPONS__
WHERE true
ON CONFLICT (dedup_key) DO NOTHING"""
    looked_up = notices.replace("__COUPONS__", f"coupons c ON c.issue_key = {key}")
    if template is None:
        return sql.run(looked_up, now=now, **params)
    template_id, valid_from, valid_until = template
    params.update(template_id=template_id, valid_from=valid_from, valid_until=valid_until, now=now)
    if sql.postgres():
        return sql.run(f"WITH issued AS ({_issue_sql(members, key, source)} RETURNING id, member_id)\n"
                       + notices.replace("__COUPONS__", "issued c ON c.member_id = t.member_id"), **params)
    sql.run(_issue_sql(members, key, source), **params)
    return sql.run(looked_up, **params)
