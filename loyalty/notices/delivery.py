"""Delivering outbox rows: intent before the call, outcome after, reconcile after a crash.

    claim(ids, now)       lock the due rows (FOR UPDATE SKIP LOCKED), decide each by the
                          policy, write the intent (`sending` + a delivery row) or the
                          reason not to send; commits; returns the notices to send
    finish(results, now)  write each outcome (sent, retry later, failed, channel closed) of the
                          rows still `sending` with the attempt claimed; a late one is dropped; commits

After a crash, loyalty.notices.reconcile takes the rows left `sending`; the set
statements both write with are loyalty.notices.writes. Nothing here talks to WeChat:
jobs/notify.py calls the senders (bot/channels) between claim and finish.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy import select, update

from extensions import db
from loyalty.notices import facts as facts_
from loyalty.notices import kinds, policy, recipients
from loyalty.notices.writes import apply_changes, id_in, insert_deliveries, mark_sent
from loyalty.policy import BUSINESS_TZ
from models import Delivery, Follower, Member, NoticeAcceptance, Outbox, WeChatBinding

log = logging.getLogger("youka.notices")

LEASE = timedelta(seconds=60)     # a `sending` row untouched this long is reconciled
TEMPLATE_DEDUP = timedelta(minutes=9)  # inside WeChat's 10 minutes for client_msg_id
MAX_ATTEMPTS = 8


@dataclass
class Notice:
    """One push about to go out on one channel."""
    outbox_id: int
    kind: str
    channel: str
    member_id: int
    openid: str | None
    phone: str | None
    fields: dict[str, Any]
    text: str
    template_id: str | None = None   # the subscription template (its acceptance is spent)
    attempt: int = 1

    @property
    def client_msg_id(self) -> str:
        """Deterministic per outbox row: a re-sent row is the same message to WeChat."""
        return f"youka-{self.outbox_id}"


@dataclass
class Result:
    notice: Notice
    errcode: int | None = 0        # 0: sent; None: no answer (network)
    error: str | None = None
    retry_at: datetime | None = None   # set for retryable failures and a spent quota
    extra: dict = field(default_factory=dict)
    throttled: bool = False        # never called: our token bucket deferred it (no attempt)


def rules() -> policy.Rules:
    """The policy's rules from the app's configuration."""
    from loyalty.notices.templates import mapping
    cfg = current_app.config
    quiet = cfg["NOTICE_QUIET_HOURS"]
    quiet = "00:00-00:00" if quiet in ("", "off", None) else quiet  # "off" (or equal ends): none
    start, end = quiet.split("-")
    return policy.Rules(quiet_start=time.fromisoformat(start), quiet_end=time.fromisoformat(end),
                        marketing_cap=int(cfg["NOTICE_MARKETING_CAP"]),
                        template_kinds=frozenset(mapping("template")),
                        subscribe_templates={k: v["template_id"] for k, v in mapping("subscribe").items()})


def text_of(kind: str, fields: dict) -> str:
    """The notice as one Chinese text (customer-service messages, SMS): templates/notices/<kind>.txt."""
    return render_template(f"notices/{kind}.txt", **fields).strip()


def next_business_day(now: datetime) -> datetime:
    """00:00 Shanghai after `now` (a spent daily quota resets then)."""
    day = now.astimezone(BUSINESS_TZ).date() + timedelta(days=1)
    return datetime.combine(day, time(0), BUSINESS_TZ).astimezone(now.tzinfo)


def claim(ids: list[int], now: datetime) -> list[Notice]:
    """Decide and record intent for the due, unlocked rows among `ids` (commits)."""
    rows = db.session.execute(
        select(Outbox.id, Outbox.kind, Outbox.member_id, Outbox.payload, Outbox.attempts)
        .where(id_in(Outbox.id, ids), Outbox.status == "pending",
               (Outbox.next_attempt_at.is_(None)) | (Outbox.next_attempt_at <= now))
        .order_by(Outbox.id).with_for_update(skip_locked=True)).all()
    if not rows:
        db.session.rollback()
        return []
    retried = [r.id for r in rows if r.attempts > 0]
    people, closed = recipients.load({r.member_id for r in rows if r.member_id is not None}, retried, now)
    too_late = _lost_too_long_ago(retried, now)
    the_rules = rules()
    outbox_updates: list[dict] = []
    deliveries: list[dict] = []
    planned: list[tuple[Any, policy.Decision, dict]] = []
    for row in rows:
        if row.id in too_late:
            # A lost template intent older than WeChat's client_msg_id window: sending it
            # again now might be a second message. At most once: `unknown`, for review.
            outbox_updates.append({"id": row.id, "status": "unknown", "next_attempt_at": None,
                                   "last_error": "resend too late for client_msg_id"})
            deliveries.append({"outbox_id": row.id, "member_id": row.member_id, "kind": row.kind,
                               "attempt": max(row.attempts, 1), "errcode": None, "finished_at": now,
                               "created_at": now, "channel": "template", "outcome": "unknown",
                               "reason": "dedup_expired"})
            continue
        decision, fields = _decide(row, people, closed, now, the_rules)
        attempt = row.attempts + (1 if decision.send else 0)
        base = {"outbox_id": row.id, "member_id": row.member_id, "kind": row.kind, "attempt": max(attempt, 1),
                "errcode": None, "finished_at": None if decision.send else now, "created_at": now}
        if decision.send:
            if decision.channel is kinds.Channel.SUBSCRIBE and not _spend(people[row.member_id].openid,
                                                                       decision.template_id, row.id, now):
                continue  # another job took the last acceptance: decided again next time
            outbox_updates.append({"id": row.id, "status": "sending", "channel": decision.channel.value,
                                   "attempts": "+1", "next_attempt_at": now + LEASE, "last_error": None})
            deliveries.append({**base, "channel": decision.channel.value, "outcome": "sending", "reason": None})
            planned.append((row, decision, fields))
            _count(people[row.member_id], row.kind, decision)
        elif decision.defer_until is not None:
            outbox_updates.append({"id": row.id, "next_attempt_at": decision.defer_until, "last_error": decision.reason})
            deliveries.append({**base, "channel": None, "outcome": "deferred", "reason": decision.reason})
        else:
            outbox_updates.append({"id": row.id, "status": "skipped", "last_error": decision.reason})
            deliveries.append({**base, "channel": None, "outcome": "skipped", "reason": decision.reason})
    apply_changes(Outbox, outbox_updates, {"attempts": {"+1": Outbox.attempts + 1}})
    insert_deliveries(deliveries)
    notices = []
    for row, decision, fields in planned:
        person = people[row.member_id]
        channel = decision.channel.value
        notices.append(Notice(row.id, row.kind, channel, row.member_id, person.openid,
                              person.phone, fields,
                              text_of(row.kind, fields) if channel in ("custom", "sms") else "",
                              decision.template_id, row.attempts + 1))
    db.session.commit()
    return notices


def _lost_too_long_ago(retried: list[int], now: datetime) -> set[int]:
    """Rows a dead worker left mid-send on the template channel (reconcile: worker_lost)
    whose first lost intent is TEMPLATE_DEDUP old or more: measured now, at the resend,
    not when reconcile put the row back (the queue may have held it since)."""
    if not retried:
        return set()
    return set(db.session.scalars(
        select(Delivery.outbox_id).where(id_in(Delivery.outbox_id, retried), Delivery.channel == "template",
                                         Delivery.reason == "worker_lost",
                                         Delivery.created_at <= now - TEMPLATE_DEDUP)))


def _decide(row, people, closed, now, the_rules) -> tuple[policy.Decision, dict]:
    person = people.get(row.member_id) if row.member_id is not None else None
    if person is None:
        return policy.Decision(reason="no_member"), {}
    try:
        payload = json.loads(row.payload)
        entry = kinds.spec(row.kind)
        fields = entry.fields(payload, facts_.load(entry.facts, payload))
    except facts_.MissingFact:
        return policy.Decision(reason="gone"), {}
    except (KeyError, ValueError, TypeError):
        log.exception("outbox row %s: bad %s payload", row.id, row.kind)
        return policy.Decision(reason="bad_payload"), {}
    if row.id in closed:
        person = _with(person, closed_channels=closed[row.id])
    return policy.decide(person, row.kind, now, the_rules), fields


def _with(person: policy.Recipient, **changes) -> policy.Recipient:
    from dataclasses import replace
    return replace(person, **changes)


def _count(person: policy.Recipient, kind: str, decision: policy.Decision) -> None:
    """Two notices to one member in one batch see each other (caps, windows, acceptances)."""
    # Recipients are frozen; the batch's dict holds them, so count through object.__setattr__.
    if decision.channel is kinds.Channel.CUSTOM:
        object.__setattr__(person, "custom_sent_in_window", person.custom_sent_in_window + 1)
        object.__setattr__(person, "custom_sent_since_tap", person.custom_sent_since_tap + 1)
    if decision.channel is kinds.Channel.SUBSCRIBE and decision.template_id:
        person.acceptances[decision.template_id] -= 1
    if kind in recipients.MARKETING_KINDS:
        object.__setattr__(person, "marketing_this_week", person.marketing_this_week + 1)


def _spend(openid: str | None, template_id: str | None, outbox_id: int, now: datetime) -> bool:
    """Spend one acceptance of `template_id` (the oldest); False if none is left."""
    found = db.session.scalar(
        select(NoticeAcceptance.id).where(NoticeAcceptance.openid == openid,
                                          NoticeAcceptance.template_id == template_id,
                                          NoticeAcceptance.used_at.is_(None))
        .order_by(NoticeAcceptance.id).limit(1).with_for_update(skip_locked=True))
    if found is None:
        return False
    db.session.execute(update(NoticeAcceptance).where(NoticeAcceptance.id == found)
                       .values(used_at=now, outbox_id=outbox_id))
    return True


def _release(outbox_ids: list[int]) -> None:
    """Give back the acceptances these rows spent: their notices did not go."""
    if outbox_ids:
        db.session.execute(update(NoticeAcceptance).where(id_in(NoticeAcceptance.outbox_id, outbox_ids),
                                                          NoticeAcceptance.used_at.is_not(None))
                           .values(used_at=None, outbox_id=None).execution_options(synchronize_session=False))


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 3600))


def finish(results: list[Result], now: datetime) -> None:
    """Write each push's outcome (commits): only for rows still `sending` with this
    attempt. A late outcome (the lease ran out and reconcile, or another job, took the row
    on) is dropped: the row's state belongs to whoever holds it now."""
    if not results:
        return
    ours = _still_sending([r.notice.outbox_id for r in results])
    late = [r.notice.outbox_id for r in results if ours.get(r.notice.outbox_id) != r.notice.attempt]
    if late:
        log.warning("outbox rows %s: outcome came after the lease, dropped", late)
        results = [r for r in results if ours.get(r.notice.outbox_id) == r.notice.attempt]
    outbox_updates, delivery_updates, unfollowed, sent, released = [], [], [], [], []
    for r in results:
        n = r.notice
        code = r.errcode
        if code == 0:
            sent.append(n.outbox_id)
            continue
        error = (r.error or f"errcode {code}")[:200]
        if n.channel == "subscribe" and r.retry_at is not None:
            # WeChat did not take the notice (-1, no answer, a quota): the acceptance is
            # the member's again; a refusal (43101, 47003 ...) keeps it spent.
            released.append(n.outbox_id)
        if r.throttled:
            # A wait for our own token bucket (rate or daily quota): no call was made, so it
            # is no attempt; the claim's count is taken back.
            outbox_updates.append({"id": n.outbox_id, "status": "pending", "next_attempt_at": r.retry_at,
                                   "last_error": error, "attempts": "-1"})
            delivery_updates.append({"id": n.outbox_id, "outcome": "retry", "errcode": code, "finished_at": now,
                                     "reason": "quota" if code == 45009 else "rate_limit"})
            continue
        attempts_left = n.attempt < MAX_ATTEMPTS or code == 45009
        if r.retry_at is not None and attempts_left:
            outbox_updates.append({"id": n.outbox_id, "status": "pending", "next_attempt_at": r.retry_at,
                                   "last_error": error})
            delivery_updates.append({"id": n.outbox_id, "outcome": "retry", "errcode": code, "finished_at": now,
                                     "reason": "quota" if code == 45009 else "retry"})
        elif code in (43101, 45015, 45047):
            # Final for this channel only: decided again at once without it.
            outbox_updates.append({"id": n.outbox_id, "status": "pending", "next_attempt_at": None,
                                   "last_error": error})
            delivery_updates.append({"id": n.outbox_id, "outcome": "failed", "errcode": code, "finished_at": now,
                                     "reason": "channel_closed"})
        else:
            if code == 43004 and n.openid:
                unfollowed.append(n.openid)
            outbox_updates.append({"id": n.outbox_id, "status": "failed", "next_attempt_at": None,
                                   "last_error": error})
            delivery_updates.append({"id": n.outbox_id, "outcome": "failed", "errcode": code, "finished_at": now,
                                     "reason": "not_following" if code == 43004 else
                                     ("gave_up" if r.retry_at is not None else "refused")})
    mark_sent(sent, now)
    _release(released)
    apply_changes(Outbox, outbox_updates, {"attempts": {"-1": Outbox.attempts - 1}})
    # A row has one delivery `sending` at a time: the intent this outcome finishes.
    apply_changes(Delivery, delivery_updates, key=Delivery.outbox_id, where=Delivery.outcome == "sending")
    for openid in unfollowed:
        mark_unfollowed(openid, now)
    db.session.commit()


def _still_sending(ids: list[int]) -> dict[int, int]:
    """The attempt of each of these rows still `sending`, locked until finish commits (so
    reconcile cannot take them meanwhile)."""
    return dict(db.session.execute(
        select(Outbox.id, Outbox.attempts).where(id_in(Outbox.id, ids), Outbox.status == "sending")
        .order_by(Outbox.id).with_for_update()).all())


def mark_unfollowed(openid: str, now: datetime) -> None:
    """WeChat says this openid no longer follows (43004): no WeChat push until it follows again."""
    follower = db.session.scalar(select(Follower).where(Follower.openid == openid))
    if follower is None:
        db.session.add(Follower(openid=openid, subscribed=False, unsubscribed_at=now))
    else:
        follower.subscribed = False
        follower.unsubscribed_at = follower.unsubscribed_at or now
    bound = select(WeChatBinding.member_id).where(WeChatBinding.openid == openid).scalar_subquery()
    db.session.execute(update(Member).where(Member.id == bound).values(following=False))
    db.session.flush()
