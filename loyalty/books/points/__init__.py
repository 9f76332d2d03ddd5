"""Points: earned into lots, spent soonest-expiry first, given back to the lots they
came from, clawed back on refunds, expired by a set-based run.

    from loyalty.books import points
    entry = points.earn(account, 100, key="sale:42:earn", cause_type="sale", cause_ref="42")

Every function flushes and never commits (the caller owns the transaction) and takes
`now` (aware UTC) for testability. Rules for partial restores, expired lots on a refund,
claw-back shortfalls and the expiry instant are documented in the modules below.
"""
from loyalty.books.points.expiry import expire_due
from loyalty.books.points.lots import expiry_instant
from loyalty.books.points.operations import claw_back, earn, spend, spendable
from loyalty.books.points.restore import restore

__all__ = ["earn", "spend", "restore", "claw_back", "spendable", "expire_due", "expiry_instant"]
