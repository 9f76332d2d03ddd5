"""Stored value (储值): the top-up bonus rules operators configure ("top up 1000, get 50").

Balances and their movements live in the ledger (models/ledger.py): a stored-value
account's entries carry a bucket, principal or bonus.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class TopupBonusRule(Base):
    """A top-up of at least `min_topup_fen` earns `bonus_fen` of bonus balance; the
    active rule with the highest threshold a top-up reaches applies, only one."""

    __tablename__ = "topup_bonus_rules"
    __table_args__ = (
        CheckConstraint("min_topup_fen > 0", name="min_topup_positive"),
        CheckConstraint("bonus_fen > 0", name="bonus_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    min_topup_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True)
    # Shown to the member and cashier: "充1000送50".
    label: Mapped[str] = mapped_column(String(64))
    # An optional promotion window; open-ended on either side when None.
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
