"""Pushes: the outbox's rows, delivered by RQ jobs (docs/pushes.md).

- After a transaction that wrote outbox rows commits, one job per row is enqueued
  (job id `outbox-<id>`), from SQLAlchemy's after_commit hook: nothing is written to the
  database after that, and when Redis is down the sale still commits (the sweeper sends it).
- `sweep` (every minute, jobs/schedule.py) reconciles rows a dead worker left `sending`,
  then enqueues the due pending rows in id order, in chunks of CHUNK (`enqueue_many`,
  job id `outbox-<first>-<last>`), picked with FOR UPDATE SKIP LOCKED (not capped by the
  template quota: only template messages wait for the next day's).
- `deliver(ids)` claims the rows (intent), takes calls from the shared token bucket,
  sends on a thread pool, and writes the outcomes.
- `refresh_tokens` keeps the shared access token and jsapi_ticket fresh before they expire.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from flask import Flask, current_app
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import event, select, update

from extensions import db, get_redis
from jobs import in_app_context

log = logging.getLogger("youka.jobs.notify")

QUEUE = "notify"
CHUNK = 200


def notify_queue() -> Queue:
    return Queue(QUEUE, connection=get_redis())


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# -- after commit: one job per new row ---------------------------------------------

def _after_commit(session) -> None:
    from sqlalchemy import inspect

    from loyalty.outbox import NEW_ROWS
    rows = session.info.pop(NEW_ROWS, None)
    if not rows:
        return
    # The identity holds the primary key without loading the (expired) row: no statement.
    ids = [inspect(row).identity[0] for row in rows if inspect(row).identity]
    try:
        q = notify_queue()
        q.enqueue_many([Queue.prepare_data(deliver, args=(ids_,), job_id=f"outbox-{ids_[0]}",
                                           result_ttl=600, failure_ttl=7 * 24 * 3600)
                        for ids_ in ([i] for i in ids)])
    except RedisError:  # Redis down: the sale has committed; the sweeper will send these rows (a bug raises)
        log.warning("could not enqueue outbox rows %s; the sweeper will", ids, exc_info=True)


def _after_rollback(session) -> None:
    from loyalty.outbox import NEW_ROWS
    session.info.pop(NEW_ROWS, None)


def init_app(app: Flask) -> None:
    from sqlalchemy.orm import Session
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


def _after_soft_rollback(session, previous) -> None:
    if not previous.nested:  # a savepoint's rollback leaves the outer transaction's rows
        _after_rollback(session)


# -- delivery -------------------------------------------------------------------------

def _throttle():
    from bot.channels.throttle import Throttle
    cfg = current_app.config
    return Throttle(get_redis(), cfg["WECHAT_CALL_RATE"], cfg["WECHAT_DAILY_QUOTA"])


SUB_BATCH = 100  # a job's rows are claimed this many at a time, so claims overlap the sends
THROTTLE_WAIT = 30.0  # seconds a batch waits for the token bucket before deferring the rest


@in_app_context
def deliver(ids: list[int]) -> dict:
    """Send these outbox rows (those still due and not taken by another job).

    A pipeline over sub-batches: claim batch k (intent, committed) and start its sends on
    the thread pool, then write batch k-1's outcomes while batch k's calls are in flight."""
    from loyalty.notices import delivery

    ids = list(ids)
    threads = int(current_app.config["NOTIFY_SEND_THREADS"])
    claimed = sent = 0
    in_flight = None
    for start in range(0, len(ids), SUB_BATCH):
        notices = delivery.claim(ids[start:start + SUB_BATCH], now_utc())
        claimed += len(notices)
        started = _start(notices, threads) if notices else None
        if in_flight is not None:
            sent += _finish(in_flight)
        in_flight = started
    if in_flight is not None:
        sent += _finish(in_flight)
    log.info("outbox: %d claimed, %d sent", claimed, sent)
    return {"sent": sent, "claimed": claimed}


def _start(notices, threads: int):
    """Payloads, the token bucket, then the calls on the pool: (done results, futures)."""
    from bot.channels import get as sender_for
    from bot.wechat import get_client
    from loyalty.notices import delivery
    from loyalty.notices.templates import sender_config

    now = now_utc()
    config = sender_config()  # the settings, with the notice templates in force (config.py's or the console's)
    results: list[delivery.Result] = []
    ready = []
    for n in notices:
        try:
            ready.append((n, sender_for(n.channel).payload(n, config)))
        except Exception as exc:  # a bad template configuration or value: this notice only
            log.exception("outbox row %s: no %s payload", n.outbox_id, n.channel)
            results.append(delivery.Result(n, errcode=47003, error=f"payload: {type(exc).__name__}"))
    # Every WeChat call takes from the one rate bucket; only template messages count
    # against the daily quota (WeChat's quota is per API; WECHAT_DAILY_QUOTA is the template API's).
    throttle = _throttle()
    calls = []
    deadline = time.monotonic() + THROTTLE_WAIT  # both takes together: well inside the lease
    for is_template in (False, True):
        wanted = [(n, p) for n, p in ready if n.channel != "sms" and (n.channel == "template") == is_template]
        if not wanted:
            continue
        grant = throttle.take("wechat", len(wanted), now, max_wait=max(0.0, deadline - time.monotonic()),
                              quota_api="template" if is_template else None)
        calls += wanted[:grant.granted]
        for n, _ in wanted[grant.granted:]:
            over = grant.over_quota > 0
            results.append(delivery.Result(n, errcode=45009 if over else -1,
                                           error="daily quota spent" if over else "rate limit wait",
                                           retry_at=delivery.next_business_day(now) if over else
                                           now + timedelta(seconds=5), throttled=True))
    client = get_client()
    token = client.access_token if calls else None  # one read for the batch
    for item in ready:
        if item[0].channel == "sms":  # the SMS interface wants the app context: here, in turn
            results.append(_call(item, client, token, now))
    pool = _pool(threads)
    futures = [pool.submit(_call, item, client, token, now) for item in calls]
    return results, futures


def _call(item, client, token, now):
    from bot.channels import get as sender_for
    from bot.wechat_http import WeChatAPIError
    from loyalty.notices import delivery
    n, payload = item
    try:
        sender_for(n.channel).call(client, payload, token)
        return delivery.Result(n)
    except WeChatAPIError as exc:
        return delivery.Result(n, errcode=exc.errcode, error=str(exc)[:200], retry_at=_retry_at(exc.errcode, n, now))
    except Exception as exc:  # one failing send never stops the others
        log.exception("outbox row %s: %s send failed", n.outbox_id, n.channel)
        return delivery.Result(n, errcode=None, error=type(exc).__name__, retry_at=now + delivery.backoff(n.attempt))


def _finish(in_flight) -> int:
    from loyalty.notices import delivery
    results, futures = in_flight
    results = results + [f.result() for f in futures]
    delivery.finish(results, now_utc())
    return sum(1 for r in results if r.errcode == 0)


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool(threads: int) -> ThreadPoolExecutor:
    """One pool of sending threads per worker process, kept between jobs (its threads
    hold nothing of a job: the calls get their client, payload and token as arguments)."""
    if threads not in _POOLS:
        _POOLS[threads] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="notify-send")
    return _POOLS[threads]


def _retry_at(errcode: int | None, n, now: datetime) -> datetime | None:
    from loyalty.notices import delivery
    if errcode == 45009:
        return delivery.next_business_day(now)
    if errcode is None or errcode in (-1, 45011, 40001, 40014, 42001):
        return now + delivery.backoff(n.attempt)
    return None


# -- the sweeper ----------------------------------------------------------------------

@in_app_context
def sweep(limit: int = 200_000) -> dict:
    """Reconcile abandoned sends, then enqueue the due pending rows in chunks."""
    from loyalty.notices import reconcile
    from models import Outbox
    now = now_utc()
    reconciled = reconcile.reconcile(now)
    grace = timedelta(seconds=int(current_app.config["NOTIFY_SWEEP_GRACE"]))
    # Not capped by the template quota: which rows go by template the policy decides at
    # the claim; those the quota refuses wait there for the next day, the others go.
    budget = limit
    rows = db.session.scalars(
        select(Outbox.id).where(Outbox.status == "pending",
                                (Outbox.next_attempt_at.is_(None)) | (Outbox.next_attempt_at <= now),
                                Outbox.created_at <= now - grace,
                                (Outbox.enqueued_at.is_(None)) | (Outbox.enqueued_at <= now - grace))
        .order_by(Outbox.id).limit(budget).with_for_update(skip_locked=True)).all()
    if rows:
        from loyalty.notices.writes import id_in
        db.session.execute(update(Outbox).where(id_in(Outbox.id, rows)).values(enqueued_at=now)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    chunks = [rows[i:i + CHUNK] for i in range(0, len(rows), CHUNK)]
    if chunks:
        notify_queue().enqueue_many([
            Queue.prepare_data(deliver, args=(chunk,), job_id=f"outbox-{chunk[0]}-{chunk[-1]}",
                               result_ttl=600, failure_ttl=7 * 24 * 3600) for chunk in chunks])
    log.info("outbox sweep: %d rows in %d jobs, reconciled %s", len(rows), len(chunks), reconciled)
    return {"enqueued": len(rows), "jobs": len(chunks), **reconciled}


# -- the shared WeChat credentials ----------------------------------------------------

@in_app_context
def refresh_tokens() -> dict:
    """Renew the shared access token and jsapi_ticket when they expire within the margin."""
    from bot.wechat import get_client
    return get_client().keep_fresh()
