"""Deterministic, sticky assignment of a member to an arm of a campaign.

A member's bucket in a campaign is the first 32 bits of md5("<campaign id>:<member id>")
modulo 10000: the same in Python (`bucket`) and in SQL (`bucket_sql`: PostgreSQL's md5;
on SQLite the Python function itself, registered on every connection). Buckets below the
campaign's holdout share (basis points) are the holdout; the rest is cut among the
arms by weight, in their order. The arm is computed once, when the member first enters,
and recorded in campaign_members: a later change of weights never moves anyone.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

BUCKETS = 10_000


def bucket(campaign_id: int, member_id: int) -> int:
    digest = hashlib.md5(f"{int(campaign_id)}:{int(member_id)}".encode()).hexdigest()
    return int(digest[:8], 16) % BUCKETS


def bucket_sql(campaign: str, member: str, postgres: bool) -> str:
    """SQL for `bucket` over two integer expressions."""
    if not postgres:
        return f"campaign_bucket({campaign}, {member})"
    key = f"CAST({campaign} AS TEXT) || ':' || CAST({member} AS TEXT)"
    return f"(('x' || substr(md5({key}), 1, 8))::bit(32)::bigint % {BUCKETS})"


def register_sqlite(dbapi_conn) -> None:
    """Make `campaign_bucket(c, m)` callable in SQLite's SQL (extensions.py, on connect)."""
    dbapi_conn.create_function("campaign_bucket", 2, bucket, deterministic=True)


@dataclass(frozen=True)
class Cut:
    arm_id: int
    below: int  # the arm takes the buckets from the previous cut's `below` up to this


def cuts(holdout: tuple[int, int], arms: list[tuple[int, int]]) -> list[Cut]:
    """(holdout arm id, holdout_bp) and [(arm id, weight)] in order -> the bucket ranges.
    The last arm with a weight takes whatever integer division leaves, so every bucket
    has an arm."""
    holdout_id, holdout_bp = holdout
    if not 0 <= holdout_bp < BUCKETS:
        raise ValueError("holdout share out of range")
    weighted = [(a, w) for a, w in arms if w > 0]
    if not weighted:
        raise ValueError("no arm with a weight")
    total = sum(w for _, w in weighted)
    rest = BUCKETS - holdout_bp
    result, start, running = [Cut(holdout_id, holdout_bp)], holdout_bp, 0
    for arm_id, weight in weighted:
        running += weight
        result.append(Cut(arm_id, holdout_bp + rest * running // total))
    assert result[-1].below == BUCKETS
    return result


def arm_for(campaign_id: int, member_id: int, the_cuts: list[Cut]) -> int:
    b = bucket(campaign_id, member_id)
    return next(c.arm_id for c in the_cuts if b < c.below)


def arm_sql(bucket_column: str, the_cuts: list[Cut]) -> str:
    """SQL for `arm_for` over a column holding the bucket (computed once per row)."""
    whens = " ".join(f"WHEN {bucket_column} < {int(c.below)} THEN {int(c.arm_id)}" for c in the_cuts[:-1])
    return f"CASE {whens} ELSE {int(the_cuts[-1].arm_id)} END" if whens else str(int(the_cuts[-1].arm_id))
