"""Daily check-in (签到): points once per business day (Asia/Shanghai), a streak bonus.

A member checks in at most once per business day: run_once locks the key
`checkin:<member>:<yyyy-mm-dd>` (the same key the points are earned with), and the
unique (member, day) constraint of `checkins` stands behind it, so two check-ins racing
in two transactions give one award. The streak counts consecutive business days; every
`checkin_streak_days`-th day of a streak (the 7th, 14th, ...) earns `checkin_streak_bonus`
more (loyalty.policy).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from extensions import db
from loyalty import policy as policies
from loyalty.books import points
from loyalty.books.ledger import utc
from loyalty.once import run_once
from loyalty.people.members import account_of
from loyalty.policy import BUSINESS_TZ, Policy
from models import CheckIn, Member


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    created: bool       # False: already checked in today, nothing awarded now
    next_bonus_in: int  # days until the next bonus day (1: tomorrow); 0: no bonus configured
    next_bonus: int     # the bonus that day brings


def business_day(now: datetime) -> date:
    """The Asia/Shanghai date of an instant: 23:59 and 00:01 Shanghai time are two days."""
    return utc(now).astimezone(BUSINESS_TZ).date()


def check_in(member: Member, *, now: datetime | None = None, policy: Policy | None = None) -> CheckInResult:
    """Check the member in for the business day of `now` and commit (run_once). A second
    check-in the same day answers with the first (created False) and awards nothing."""
    now, policy = utc(now), policy or policies.current()
    day = business_day(now)
    key = f"checkin:{member.id}:{day.isoformat()}"

    def first() -> CheckIn | None:
        return _on(member.id, day)

    def do() -> CheckIn:
        before = _on(member.id, day - timedelta(days=1))
        streak = before.streak + 1 if before is not None else 1
        bonus = policy.checkin_streak_bonus if _bonus_day(streak, policy) else 0
        row = CheckIn(member_id=member.id, day=day, streak=streak, points=policy.checkin_points,
                      bonus=bonus, created_at=now)
        db.session.add(row)
        db.session.flush()  # the unique (member, day) index is checked here, before any points
        if row.points + bonus:
            entry = points.earn(account_of(member, "points"), row.points + bonus, key=key,
                                cause_type="checkin", cause_ref=str(row.id),
                                memo=f"签到第{streak}天", now=now, policy=policy)
            row.ledger_entry_id = entry.id
        db.session.flush()
        return row

    done = run_once(key, first, do)
    row = done.result
    # Tomorrow continues the streak only if the member checks in; count from today's row.
    in_days, bonus = next_bonus(row.streak, policy)
    return CheckInResult(row, done.created, in_days, bonus)


def next_bonus(streak: int, policy: Policy) -> tuple[int, int]:
    """(days until the next bonus day, its bonus) for a streak that has reached `streak`
    today; (0, 0) when the policy has no streak bonus."""
    every = policy.checkin_streak_days
    if every <= 0 or policy.checkin_streak_bonus <= 0:
        return 0, 0
    return every - streak % every, policy.checkin_streak_bonus


def _bonus_day(streak: int, policy: Policy) -> bool:
    return policy.checkin_streak_days > 0 and streak % policy.checkin_streak_days == 0


def _on(member_id: int, day: date) -> CheckIn | None:
    return db.session.scalars(select(CheckIn).where(CheckIn.member_id == member_id, CheckIn.day == day)
                              .execution_options(populate_existing=True)).first()
