"""Daily check-ins (签到): one row per member per business day (Asia/Shanghai).

The unique (member_id, day) constraint is what makes a check-in once a day: two
check-ins racing past every other guard still cannot both land.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId


class CheckIn(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("member_id", "day", name="uq_checkins_member_id_day"),
        CheckConstraint("streak > 0", name="streak_positive"),
        CheckConstraint("points >= 0 AND bonus >= 0", name="points_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    day: Mapped[date] = mapped_column(Date)  # the business day in Asia/Shanghai
    streak: Mapped[int]  # consecutive days ending on `day`, this one included
    points: Mapped[int] = mapped_column(BigInteger)  # the daily points
    bonus: Mapped[int] = mapped_column(BigInteger, default=0)  # the streak bonus, if this day earned it
    ledger_entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ledger_entries.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
