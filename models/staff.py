"""Staff who log in to the cashier page and the console: HQ admins, station managers, cashiers.

A cashier or a station manager belongs to one station and acts there only; an HQ admin
belongs to none and may act at any station. The database holds that rule too.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

STAFF_ROLES = ("hq_admin", "station_manager", "cashier")


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint("role IN ('hq_admin', 'station_manager', 'cashier')", name="role_known"),
        CheckConstraint("role = 'hq_admin' OR station_id IS NOT NULL", name="station_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case (loyalty.people.staff normalises), so "Li" and "li" are one account.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # A werkzeug.security hash (algorithm and salt inside); never the password.
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    # Deactivated rather than deleted: sales and refunds may still name who made them.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    # What Flask-Login asks of a user (web/staff_login.py), without importing it here.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<Staff {self.id} {self.username} {self.role}>"
