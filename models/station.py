"""Stations, fuel grades with a price per station, shop categories."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Station(Base):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    city: Mapped[str | None] = mapped_column(String(32))
    # The station API credential, encrypted with the app's key (never stored or logged in clear).
    secret_encrypted: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(default=True)


class FuelGrade(Base):
    """92, 95, 98, 0 (0# diesel)."""

    __tablename__ = "fuel_grades"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(16))


class StationPrice(Base):
    __tablename__ = "station_prices"
    __table_args__ = (UniqueConstraint("station_id", "grade_code"),
                      CheckConstraint("price_fen > 0", name="price_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    grade_code: Mapped[str] = mapped_column(ForeignKey("fuel_grades.code"))
    price_fen: Mapped[int]  # per litre


class ShopCategory(Base):
    __tablename__ = "shop_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
