"""Each dashboard's figures for a Filter, read from the rollup tables (models/rollup.py):
JSON-ready dicts of integers (fen, millilitres, counts; shares in basis points) and ISO
dates. Sales-based figures sum the stations' rows; member-based ones read the chain's
row (station 0) or the station's. The fields are documented in docs/console.md."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from extensions import db
from loyalty.dashboards.filters import Filter
from loyalty.dashboards.sql import monday
from models import FuelGrade, Station, Tier
from models.rollup import (CHAIN, CouponDay, GradeDay, Liability, MemberWeek, PointsExpiry, PushDay, SalesHour,
                           TierCount)


def _head(f: Filter) -> dict:
    return {"from": f.first.isoformat(), "to": f.last.isoformat(), "station": f.station_code}


def _in_range(model, f: Filter, *, chain_row: bool):
    """Rows of the filter's days and station: a member-based table's (`chain_row`) own row
    for the chain (station 0) or the station; a sales-based table's every station or one."""
    cond = (model.day >= f.first) & (model.day <= f.last)
    if chain_row:
        return cond & (model.station_id == f.station_id)
    return cond if f.station_id == CHAIN else cond & (model.station_id == f.station_id)


def _codes() -> dict[int, str]:
    return dict(db.session.execute(select(Station.id, Station.code)).all())


def _share_bp(part: int, whole: int) -> int:
    return part * 10000 // whole if whole else 0


def sales(f: Filter) -> dict:
    """Daily litres and amount per station and grade."""
    rows = db.session.execute(
        select(GradeDay.day, GradeDay.station_id, GradeDay.grade_code, func.sum(GradeDay.lines),
               func.sum(GradeDay.litres_ml), func.sum(GradeDay.amount_fen))
        .where(_in_range(GradeDay, f, chain_row=False))
        .group_by(GradeDay.day, GradeDay.station_id, GradeDay.grade_code)
        .order_by(GradeDay.day, GradeDay.station_id, GradeDay.grade_code)).all()
    codes, names = _codes(), dict(db.session.execute(select(FuelGrade.code, FuelGrade.name)).all())
    out = [{"day": d.isoformat(), "station": codes.get(s), "grade": g, "lines": int(n), "litres_ml": int(l),
            "amount_fen": int(a)} for d, s, g, n, l, a in rows]
    totals: dict[tuple, dict] = {}
    for row in out:
        t = totals.setdefault((row["station"], row["grade"]), {"station": row["station"], "grade": row["grade"],
                                                               "litres_ml": 0, "amount_fen": 0})
        t["litres_ml"] += row["litres_ml"]
        t["amount_fen"] += row["amount_fen"]
    return {**_head(f), "days": [d.isoformat() for d in f.days], "grades": names, "rows": out,
            "totals": sorted(totals.values(), key=lambda t: (t["station"] or "", t["grade"]))}


def member_share(f: Filter) -> dict:
    """Members' sales against anonymous ones, per day and over the range."""
    rows = db.session.execute(
        select(SalesHour.day, SalesHour.member, func.sum(SalesHour.sales), func.sum(SalesHour.litres_ml),
               func.sum(SalesHour.paid_fen))
        .where(_in_range(SalesHour, f, chain_row=False))
        .group_by(SalesHour.day, SalesHour.member)).all()
    zero = {"member_sales": 0, "anonymous_sales": 0, "member_litres_ml": 0, "anonymous_litres_ml": 0,
            "member_paid_fen": 0, "anonymous_paid_fen": 0}
    days = {d: {"day": d.isoformat(), **zero} for d in f.days}
    total = dict(zero)
    for d, member, n, litres, paid in rows:
        who = "member" if member else "anonymous"
        for target in (days[d], total):
            target[f"{who}_sales"] += int(n)
            target[f"{who}_litres_ml"] += int(litres)
            target[f"{who}_paid_fen"] += int(paid)
    for target in (*days.values(), total):
        target["member_share_bp"] = _share_bp(target["member_paid_fen"],
                                              target["member_paid_fen"] + target["anonymous_paid_fen"])
    return {**_head(f), "days": list(days.values()), "total": total}


def peak_hours(f: Filter) -> dict:
    """Sales and litres by weekday (1 Monday .. 7 Sunday) and hour (Shanghai)."""
    rows = db.session.execute(
        select(SalesHour.weekday, SalesHour.hour, func.sum(SalesHour.sales), func.sum(SalesHour.litres_ml))
        .where(_in_range(SalesHour, f, chain_row=False))
        .group_by(SalesHour.weekday, SalesHour.hour)).all()
    counts = [[0] * 24 for _ in range(7)]
    litres = [[0] * 24 for _ in range(7)]
    for weekday, hour, n, ml in rows:
        counts[weekday - 1][hour] = int(n)
        litres[weekday - 1][hour] = int(ml)
    return {**_head(f), "sales": counts, "litres_ml": litres}


def members(f: Filter) -> dict:
    """New and active members of each week (Monday) from the week of `from` to `to`'s."""
    first, last = monday(f.first), monday(f.last)
    found = dict(((w, (n, a)) for w, n, a in db.session.execute(
        select(MemberWeek.week, MemberWeek.new_members, MemberWeek.active_members)
        .where(MemberWeek.week >= first, MemberWeek.week <= last, MemberWeek.station_id == f.station_id))))
    weeks, week = [], first
    while week <= last:
        new, active = found.get(week, (0, 0))
        weeks.append({"week": week.isoformat(), "new_members": new, "active_members": active})
        week = date.fromordinal(week.toordinal() + 7)
    return {**_head(f), "weeks": weeks}


def _as_of(model, f: Filter) -> date | None:
    """The day of the latest snapshot on or before `to`."""
    return db.session.scalar(select(func.max(model.day)).where(model.day <= f.last,
                                                               model.station_id == f.station_id))


def tiers(f: Filter) -> dict:
    """Members per tier, as the latest snapshot on or before `to` found them."""
    day = _as_of(TierCount, f)
    counts = dict(db.session.execute(select(TierCount.tier_id, TierCount.members).where(
        TierCount.day == day, TierCount.station_id == f.station_id)).all()) if day else {}
    ladder = db.session.execute(select(Tier.id, Tier.code, Tier.name).order_by(Tier.rank)).all()
    return {**_head(f), "as_of": day.isoformat() if day else None,
            "tiers": [{"code": code, "name": name, "members": counts.get(tid, 0)} for tid, code, name in ladder]}


def liabilities(f: Filter) -> dict:
    """Points and stored value owed (the latest snapshot on or before `to`, and each day's
    of the range), and the points expiring in each coming month."""
    day = _as_of(Liability, f)
    history = db.session.execute(
        select(Liability.day, Liability.points, Liability.principal_fen, Liability.bonus_fen)
        .where(Liability.day >= f.first, Liability.day <= f.last, Liability.station_id == f.station_id)
        .order_by(Liability.day)).all()
    latest = db.session.execute(select(Liability.points, Liability.principal_fen, Liability.bonus_fen).where(
        Liability.day == day, Liability.station_id == f.station_id)).first() if day else None
    expiring = db.session.execute(select(PointsExpiry.month, PointsExpiry.points).where(
        PointsExpiry.day == day, PointsExpiry.station_id == f.station_id).order_by(PointsExpiry.month)).all() \
        if day else []
    points, principal, bonus = latest or (0, 0, 0)
    return {**_head(f), "as_of": day.isoformat() if day else None, "points": points,
            "principal_fen": principal, "bonus_fen": bonus,
            "expiring": [{"month": m.strftime("%Y-%m"), "points": p} for m, p in expiring],
            "days": [{"day": d.isoformat(), "points": p, "principal_fen": pr, "bonus_fen": b}
                     for d, p, pr, b in history]}


def coupons(f: Filter) -> dict:
    """Coupons issued, used and expired per day, and over the range."""
    found = {d: (i, u, e) for d, i, u, e in db.session.execute(
        select(CouponDay.day, CouponDay.issued, CouponDay.used, CouponDay.expired)
        .where(_in_range(CouponDay, f, chain_row=True)))}
    days = [dict(zip(("day", "issued", "used", "expired"), (d.isoformat(), *found.get(d, (0, 0, 0)))))
            for d in f.days]
    total = {k: sum(day[k] for day in days) for k in ("issued", "used", "expired")}
    return {**_head(f), "days": days, "total": total}


def pushes(f: Filter) -> dict:
    """Pushes (delivery attempts) sent and failed, by channel: per day and over the range."""
    rows = db.session.execute(
        select(PushDay.day, PushDay.channel, PushDay.sent, PushDay.failed)
        .where(_in_range(PushDay, f, chain_row=True)).order_by(PushDay.day, PushDay.channel)).all()
    channels: dict[str, dict] = {}
    for _, channel, sent, failed in rows:
        c = channels.setdefault(channel, {"channel": channel, "sent": 0, "failed": 0})
        c["sent"] += sent
        c["failed"] += failed
    return {**_head(f), "channels": [channels[c] for c in sorted(channels)],
            "days": [{"day": d.isoformat(), "channel": c, "sent": s, "failed": x} for d, c, s, x in rows]}


DASHBOARDS = {"sales": sales, "member-share": member_share, "peak-hours": peak_hours, "members": members,
              "tiers": tiers, "liabilities": liabilities, "coupons": coupons, "pushes": pushes}
