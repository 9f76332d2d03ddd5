"""Vehicle inspection reminders (年检), for private cars whose first registration date
is known (members.vehicle_registered_on, identity "private").

The schedule, for non-operating small and micro passenger cars (private cars, not
vans) under the 2022 reform of the Ministry of Public Security and SAMR (in force since
2022-10-01), kept simple:

    years 6 and 10       no on-site inspection: the exemption label is applied for online
    years 11 to 15       an on-site inspection every year
    over 15 years        an on-site inspection every six months

A due date is the registration date's anniversary (a 29 February registration falls
on 28 February in other years), and for the half-yearly checks also six months after
it. Registered 2020-03-15: due 2026-03-15 (online), 2030-03-15 (online), 2031-03-15,
..., 2035-03-15, then 2035-09-15, 2036-03-15, 2036-09-15, ...

The reminder is written policy.inspection_lead_days (30) days before a due date:

    inspection:<member>:2026-03-15  {"due_on": "2026-03-15", "plate": "浙A12345"}

Taxis, ride-hailing and fleet vehicles follow other schedules and get no reminder here.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from loyalty import policy as policies
from loyalty.books.ledger import utc
from loyalty.policy import Policy
from loyalty.reminders import sql

KIND = "inspection"
ONLINE_YEARS = (6, 10)
YEARLY_UNTIL = 15  # yearly on-site checks through this anniversary; half-yearly after it
OLDEST = 60  # years after registration we still remind of


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, kept to the month's last day (31 Aug + 6 -> 28 Feb)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def due_dates(registered_on: date, until: date) -> list[tuple[date, str]]:
    """(due date, "online" | "on_site") of a private car registered on `registered_on`,
    every one up to `until`, in order."""
    found = []
    for year in range(1, OLDEST + 1):
        anniversary = add_months(registered_on, 12 * year)
        if anniversary > until:
            break
        if year in ONLINE_YEARS:
            found.append((anniversary, "online"))
        elif year > ONLINE_YEARS[-1]:
            found.append((anniversary, "on_site"))
        if year >= YEARLY_UNTIL:
            half = add_months(registered_on, 12 * year + 6)
            if half <= until:
                found.append((half, "on_site"))
    return found


def registrations_due_on(due_on: date) -> list[date]:
    """Every registration date for which `due_on` is a due date (the inverse of
    due_dates, for the set-based query)."""
    candidates = set()
    month_end = due_on.day == calendar.monthrange(due_on.year, due_on.month)[1]
    for months in range(12 * ONLINE_YEARS[0], 12 * OLDEST + 7, 6):
        back = add_months(due_on, -months)
        candidates.add(back)
        if month_end:
            # A month's last day is also the due date of every later day of the month
            # `months` before (29 Feb -> 28 Feb; 31 Aug + 6 months -> 28 Feb).
            last = calendar.monthrange(back.year, back.month)[1]
            candidates.update(back.replace(day=d) for d in range(back.day, last + 1))
    return sorted(r for r in candidates if (due_on, "online") in due_dates(r, due_on)
                  or (due_on, "on_site") in due_dates(r, due_on))


def _json_escaped(column: str) -> str:
    # A plate set by hand could hold a quote or a backslash: escaped for the JSON text.
    return f"""REPLACE(REPLACE(COALESCE({column}, ''), '\\', '\\\\'), '"', '\\"')"""


def write_due(now: datetime | None = None, policy: Policy | None = None) -> int:
    """Write the inspection reminders for the due date policy.inspection_lead_days ahead
    (flushed); returns how many."""
    now, policy = utc(now), policy or policies.current()
    sql.lock(KIND)
    due_on = sql.business_day(now) + timedelta(days=policy.inspection_lead_days)
    registered = registrations_due_on(due_on)
    if not registered:
        return 0
    listed = ", ".join(f"'{r.isoformat()}'" for r in registered)
    return sql.run(f"""{sql.OUTBOX_INSERT}
SELECT '{KIND}', '{KIND}:' || {sql.as_text('m.id')} || :key_tail, m.id,
       '{{"due_on": "{due_on.isoformat()}", "plate": "' || {_json_escaped('m.plate')} || '"}}', :now
FROM members m
WHERE {sql.REACHABLE} AND m.identity = 'private' AND m.vehicle_registered_on IN ({listed})
ON CONFLICT (dedup_key) DO NOTHING""", now=now, key_tail=f":{due_on.isoformat()}")
