"""Referrals (M13): a member's personal permanent QR code, the scans of it by people who
are not members yet, and the referral a scan becomes when the scanner binds."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ReferralCode(Base):
    """A member's referral code (the QR scene is `ref:<code>`) and, once created, the
    permanent QR ticket WeChat gave for it (cached: permanent QR codes are a quota)."""

    __tablename__ = "referral_codes"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    qr_ticket: Mapped[str | None] = mapped_column(String(255))
    qr_url: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReferralScan(Base):
    """An openid not bound to any member scanned a referral code: remembered until it binds.
    One row per openid: the first code scanned is the one that counts."""

    __tablename__ = "referral_scans"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    scanned_at: Mapped[datetime]


class Referral(Base):
    """A new member brought by a referrer; both were rewarded once. The unique
    `referred_id` is the database's guarantee of one referrer (and one reward) per member."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    referred_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    openid: Mapped[str] = mapped_column(String(64))
    scanned_at: Mapped[datetime]
    rewarded_at: Mapped[datetime]
    referrer_points: Mapped[int]
    referred_points: Mapped[int]
