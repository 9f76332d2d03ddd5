"""The version of the reference data (stations and prices, fuel grades, tiers, the rule
book): one row, set by database triggers (migration 0015) on every change of those tables,
so each process can keep its cached copy (loyalty.reference) until the version moves."""
from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ReferenceVersion(Base):
    __tablename__ = "reference_version"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    # The id of the last transaction that changed reference data (PostgreSQL txid_current();
    # a random number on SQLite): never repeats, so a rolled-back change never matches a cache.
    version: Mapped[int] = mapped_column(BigInteger)
