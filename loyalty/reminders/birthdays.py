"""Birthdays: on the member's birthday (month and day, in Shanghai; a 29 February
birthday on 28 February in other years), a coupon of policy.birthday_coupon_template and
a notice, each once per member per year:

    coupon issue_key birthday:2026:<member>
    birthday:2026:<member>  {"coupon_id": 123}     ({"coupon_id": null} with no template)

The year in both keys is what makes it once a year: a birthday moved later in the year
(an operator's change) finds this year's coupon already given.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime

from loyalty import policy as policies
from loyalty.books.ledger import utc
from loyalty.policy import Policy
from loyalty.reminders import issue, sql

KIND = "birthday"


def _born_today(today: date) -> str:
    days = [today.strftime("%m-%d")]
    if today.month == 2 and today.day == 28 and not calendar.isleap(today.year):
        days.append("02-29")
    listed = ", ".join(f"'{d}'" for d in days)
    month_day = "to_char(m.birthday, 'MM-DD')" if sql.postgres() else "strftime('%m-%d', m.birthday)"
    return f"m.birthday IS NOT NULL AND {month_day} IN ({listed})"


def write_due(now: datetime | None = None, policy: Policy | None = None) -> int:
    """Issue today's birthday coupons and write the notices (flushed); returns how many notices."""
    now, policy = utc(now), policy or policies.current()
    sql.lock(KIND)
    today = sql.business_day(now)
    members = f"SELECT m.id AS member_id FROM members m WHERE {sql.REACHABLE} AND {_born_today(today)}"
    key = f":key_head || {sql.as_text('t.member_id')}"
    template = issue.template_for(policy.birthday_coupon_template, now)
    payload = f"""'{{"coupon_id": ' || COALESCE({sql.as_text('c.id')}, 'null') || '}}'"""
    return issue.coupons_and_notices(KIND, members, key, payload, source="birthday", template=template,
                                     now=now, key_head=f"{KIND}:{today.year}:")
