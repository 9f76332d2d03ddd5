"""The channel policy's inputs for a batch of outbox rows: a handful of set-based
queries per batch, never a query per member."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, text

from extensions import db, get_redis
from loyalty.books.ledger import as_utc
from loyalty.notices.kinds import SPECS, Category
from loyalty.notices.policy import CUSTOM_WINDOW, Recipient
from models import Delivery, Follower, Member, NoticeAcceptance, PushPreference, WeChatBinding
from models.push_preference import PUSH_CATEGORIES, PUSH_DEFAULTS

# Outcomes that count as "went out" for caps and windows (unknown: it may have).
COUNTED = ("sent", "sending", "unknown")
# Errors that close a channel for one notice: retrying on it never helps.
CLOSING = (43004, 43101, 45015, 45047, 47003)
MARKETING_KINDS = tuple(k.value for k, s in SPECS.items() if s.category is Category.MARKETING)
SEEN_KEY = "wx:seen:{openid}"  # set by bot.dispatch on every member message (unix time, 48 h)
TAP_KEY = "wx:tap:{openid}"    # set by bot.dispatch on a menu tap, follow or scan (unix time)


def activity(openids: list[str]) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """When each member last wrote to the account, and last tapped the menu, followed or
    scanned (bot.dispatch keeps both in Redis): one MGET."""
    if not openids:
        return {}, {}
    values = get_redis().mget([SEEN_KEY.format(openid=o) for o in openids] +
                              [TAP_KEY.format(openid=o) for o in openids])
    moments = [datetime.fromtimestamp(int(v), timezone.utc) if v else None for v in values]
    wrote, tapped = moments[:len(openids)], moments[len(openids):]
    return ({o: at for o, at in zip(openids, wrote) if at}, {o: at for o, at in zip(openids, tapped) if at})


def _since(times, moment: datetime | None) -> int:
    """How many of `times` (CS messages sent; naive UTC from SQLite) are at or after `moment`."""
    return sum(1 for at in (times or ()) if moment and as_utc(at) >= moment)


def _in(column, values: list):
    from loyalty.notices.writes import id_in
    return id_in(column, values)


ONE_QUERY = text("""
SELECT m.id, m.phone, m.deleted_at, b.openid, f.subscribed,
       p.service_notices, p.reminders, p.marketing,
       (SELECT count(*) FROM deliveries d WHERE d.member_id = m.id AND d.kind = ANY(:marketing_kinds)
          AND d.outcome = ANY(:counted) AND d.created_at >= :week) AS marketing_count,
       (SELECT array_agg(d.created_at) FROM deliveries d WHERE d.member_id = m.id AND d.channel = 'custom'
          AND d.outcome = ANY(:counted) AND d.created_at >= :window) AS custom_times,
       (SELECT array_agg(a.template_id) FROM notice_acceptances a
          WHERE a.openid = b.openid AND a.used_at IS NULL) AS accepted
FROM members m
LEFT JOIN LATERAL (SELECT wb.openid FROM wechat_bindings wb WHERE wb.member_id = m.id
                   ORDER BY wb.bound_at DESC, wb.id DESC LIMIT 1) b ON true
LEFT JOIN followers f ON f.openid = b.openid
LEFT JOIN push_preferences p ON p.member_id = m.id
WHERE m.id = ANY(:ids)
""")


def load(member_ids: set[int], outbox_ids_retried: list[int], now: datetime) -> tuple[dict[int, Recipient], dict[int, frozenset[str]]]:
    """Recipients by member id, and the channels closed per outbox row (from its failed
    deliveries). On PostgreSQL one statement for the whole batch; elsewhere a few."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _load_pg(list(member_ids), now), _closed(outbox_ids_retried)
    return _load_portable(member_ids, outbox_ids_retried, now)


def _load_pg(ids: list[int], now: datetime) -> dict[int, Recipient]:
    if not ids:
        return {}
    rows = db.session.execute(ONE_QUERY, {"ids": ids, "marketing_kinds": list(MARKETING_KINDS),
                                          "counted": list(COUNTED), "week": now - timedelta(days=7),
                                          "window": now - CUSTOM_WINDOW}).all()
    wrote, tapped = activity([r.openid for r in rows if r.openid])
    recipients = {member_id: Recipient(member_id=None) for member_id in ids}
    for r in rows:
        if r.deleted_at is not None:
            continue
        seen = wrote.get(r.openid) if r.openid else None
        tap = tapped.get(r.openid) if r.openid else None
        accepted: dict[str, int] = {}
        for template_id in r.accepted or ():
            accepted[template_id] = accepted.get(template_id, 0) + 1
        prefs = (dict(PUSH_DEFAULTS) if r.service_notices is None else
                 {"service_notices": r.service_notices, "reminders": r.reminders, "marketing": r.marketing})
        recipients[r.id] = Recipient(
            member_id=r.id, openid=r.openid, following=r.openid is not None and r.subscribed is not False,
            phone=r.phone, preferences=prefs, last_wrote_at=seen, custom_sent_in_window=_since(r.custom_times, seen),
            last_tapped_at=tap, custom_sent_since_tap=_since(r.custom_times, tap),
            acceptances=accepted, marketing_this_week=int(r.marketing_count))
    return recipients


def _closed(outbox_ids_retried: list[int]) -> dict[int, frozenset[str]]:
    closed: dict[int, set[str]] = defaultdict(set)
    if outbox_ids_retried:
        for outbox_id, channel in db.session.execute(
                select(Delivery.outbox_id, Delivery.channel).where(_in(Delivery.outbox_id, outbox_ids_retried),
                                                                   Delivery.errcode.in_(CLOSING))).all():
            closed[outbox_id].add(channel)
    return {k: frozenset(v) for k, v in closed.items()}


def _load_portable(member_ids: set[int], outbox_ids_retried: list[int], now: datetime):
    ids = list(member_ids)
    members = {m.id: m for m in db.session.execute(
        select(Member.id, Member.phone, Member.deleted_at).where(_in(Member.id, ids))).all()} if ids else {}
    openid_of: dict[int, str] = {}
    for member_id, openid in db.session.execute(
            select(WeChatBinding.member_id, WeChatBinding.openid).where(_in(WeChatBinding.member_id, ids))
            .order_by(WeChatBinding.member_id, WeChatBinding.bound_at, WeChatBinding.id)).all():
        openid_of[member_id] = openid  # the latest binding wins
    openids = list(openid_of.values())
    unfollowed = set(db.session.scalars(select(Follower.openid).where(_in(Follower.openid, openids),
                                                                      Follower.subscribed.is_(False)))) if openids else set()
    prefs = {p.member_id: {c: getattr(p, c) for c in PUSH_CATEGORIES}
             for p in db.session.scalars(select(PushPreference).where(_in(PushPreference.member_id, ids)))} if ids else {}
    wrote, tapped = activity(openids)
    custom_times: dict[int, list[datetime]] = defaultdict(list)
    marketing: dict[int, int] = defaultdict(int)
    if ids:
        for member_id, at in db.session.execute(
                select(Delivery.member_id, Delivery.created_at).where(
                    _in(Delivery.member_id, ids), Delivery.channel == "custom", Delivery.outcome.in_(COUNTED),
                    Delivery.created_at >= now - CUSTOM_WINDOW)).all():
            custom_times[member_id].append(at)
        for member_id, count in db.session.execute(
                select(Delivery.member_id, func.count()).where(
                    _in(Delivery.member_id, ids), Delivery.kind.in_(MARKETING_KINDS), Delivery.outcome.in_(COUNTED),
                    Delivery.created_at >= now - timedelta(days=7)).group_by(Delivery.member_id)).all():
            marketing[member_id] = count
    accepted: dict[str, dict[str, int]] = defaultdict(dict)
    if openids:
        for openid, template_id, count in db.session.execute(
                select(NoticeAcceptance.openid, NoticeAcceptance.template_id, func.count())
                .where(_in(NoticeAcceptance.openid, openids), NoticeAcceptance.used_at.is_(None))
                .group_by(NoticeAcceptance.openid, NoticeAcceptance.template_id)).all():
            accepted[openid][template_id] = count
    closed: dict[int, set[str]] = defaultdict(set)
    if outbox_ids_retried:
        for outbox_id, channel in db.session.execute(
                select(Delivery.outbox_id, Delivery.channel).where(Delivery.outbox_id.in_(outbox_ids_retried),
                                                                   Delivery.errcode.in_(CLOSING))).all():
            closed[outbox_id].add(channel)
    recipients = {}
    for member_id in ids:
        row = members.get(member_id)
        openid = openid_of.get(member_id)
        if row is None or row.deleted_at is not None:
            recipients[member_id] = Recipient(member_id=None)
            continue
        seen = wrote.get(openid) if openid else None
        tap = tapped.get(openid) if openid else None
        recipients[member_id] = Recipient(
            member_id=member_id, openid=openid, following=openid is not None and openid not in unfollowed,
            phone=row.phone, preferences=prefs.get(member_id, dict(PUSH_DEFAULTS)), last_wrote_at=seen,
            custom_sent_in_window=_since(custom_times[member_id], seen),
            last_tapped_at=tap, custom_sent_since_tap=_since(custom_times[member_id], tap),
            acceptances=dict(accepted.get(openid, {})) if openid else {},
            marketing_this_week=marketing[member_id])
    return recipients, {k: frozenset(v) for k, v in closed.items()}
