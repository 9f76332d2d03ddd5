"""The dashboards' daily rollups (docs/console.md, "Dashboards"): kept by the rollup job
(loyalty/dashboards/rollup.py, jobs/dashboards.py), read by the console's dashboards.

Business days are Asia/Shanghai dates. Sales-based rows hold one station each (the chain
is their sum); member-based rows (a member may fuel at several stations) hold
`station_id` 0 for the whole chain beside one row per station, whose members are those
with a sale there (loyalty.people.staff_scope's rule). Money in fen, fuel in millilitres.
No personal data: counts and sums only (rollup_station_members holds ids, never shown).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

CHAIN = 0  # station_id of the whole chain's row in the member-based rollups


class SalesHour(Base):
    """The sales of one hour of one business day at one station, members' apart from the
    anonymous: refunds taken back from the sale's own day (as member_daily_totals)."""

    __tablename__ = "rollup_sales_hours"

    day: Mapped[date] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0-23, Shanghai
    member: Mapped[bool] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # ISO: 1 Monday .. 7 Sunday
    sales: Mapped[int] = mapped_column(default=0)
    visits: Mapped[int] = mapped_column(default=0)  # sales not fully refunded
    litres_ml: Mapped[int] = mapped_column(BigInteger, default=0)  # kept: refunds take back in proportion
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # payable less refunded


class GradeDay(Base):
    """The fuel of one grade sold at one station on one business day: the lines' litres
    and their share of what was paid (discounts and refunds spread over a sale's lines in
    proportion to their gross, floored per line)."""

    __tablename__ = "rollup_grade_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    grade_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    lines: Mapped[int] = mapped_column(default=0)
    litres_ml: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class StationMember(Base):
    """A member's first and last business day with a sale at a station: who are a station's
    members (for the member-based rollups) and who is new to it."""

    __tablename__ = "rollup_station_members"
    __table_args__ = (Index("ix_rollup_station_members_first_day", "first_day"),)

    # The member first: the member-based rollups join it by member.
    member_id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[date]
    last_day: Mapped[date]


class MemberWeek(Base):
    """One week (Monday, Shanghai) of members: new (chain: joined that week; a station:
    their first sale there that week) and active (with a sale that week, there)."""

    __tablename__ = "rollup_member_weeks"

    week: Mapped[date] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    new_members: Mapped[int] = mapped_column(default=0)
    active_members: Mapped[int] = mapped_column(default=0)


class TierCount(Base):
    """Snapshot: members (not erased) per tier as the job found them on `day`."""

    __tablename__ = "rollup_tier_counts"

    day: Mapped[date] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    tier_id: Mapped[int] = mapped_column(primary_key=True)
    members: Mapped[int] = mapped_column(default=0)


class Liability(Base):
    """Snapshot on `day`: points outstanding and stored value owed (principal and bonus).
    A family pool counts for its owner's stations."""

    __tablename__ = "rollup_liabilities"

    day: Mapped[date] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    principal_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class PointsExpiry(Base):
    """Snapshot on `day`: the points still in lots that expire in `month` (its first day,
    Shanghai), for every month after `day`'s; lots that never expire are not here."""

    __tablename__ = "rollup_points_expiry"

    day: Mapped[date] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger, default=0)


class CouponDay(Base):
    """Coupons on one business day: issued then, used then (a station: used there) and
    expired (status expired, validity ending that day). For a station, issued and expired
    count its members' coupons."""

    __tablename__ = "rollup_coupon_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    issued: Mapped[int] = mapped_column(default=0)
    used: Mapped[int] = mapped_column(default=0)
    expired: Mapped[int] = mapped_column(default=0)


class PushDay(Base):
    """The delivery log of one business day by channel: attempts sent and failed. For a
    station, the pushes to its members."""

    __tablename__ = "rollup_push_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)  # '' when none was chosen
    sent: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
