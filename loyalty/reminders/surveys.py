"""Satisfaction surveys (满意度调查): a notice after a visit, and the member's 1-5 reply.

`write_due` (a job every hour or so) picks, per member, the latest sale made between
policy.survey_lookback_hours (24) and policy.survey_delay_minutes (30) ago — not fully
refunded — unless the member was sent a survey within policy.survey_every_days (30):

    survey:<member>:<sale>  {"sale_id": 123}

`record_reply` takes a 1-5 reply within policy.survey_reply_hours (24) of the survey's
push (the outbox row's `sent_at`, set by the sender) as the member's rating of that
sale; one rating per sale, a second reply changes nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from extensions import db
from loyalty import policy as policies
from loyalty.books.ledger import utc
from loyalty.policy import Policy
from loyalty.reminders import sql
from models import Outbox, SurveyRating

KIND = "survey"

_WRITE = f"""{sql.OUTBOX_INSERT}
SELECT '{KIND}', '{KIND}:' || {sql.as_text('t.member_id')} || ':' || {sql.as_text('t.sale_id')}, t.member_id,
       '{{"sale_id": ' || {sql.as_text('t.sale_id')} || '}}', :now
FROM (SELECT s.member_id, MAX(s.id) AS sale_id
      FROM sales s JOIN members m ON m.id = s.member_id
      WHERE s.created_at > :since AND s.created_at <= :until AND {sql.REACHABLE}
        AND NOT (s.payable_fen > 0 AND s.refunded_fen >= s.payable_fen)
        AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.member_id = s.member_id AND o.kind = '{KIND}'
                        AND o.created_at > :every_start)
      GROUP BY s.member_id) t
WHERE true
ON CONFLICT (dedup_key) DO NOTHING"""


def write_due(now: datetime | None = None, policy: Policy | None = None) -> int:
    """Write the survey notices for recent visits (flushed); returns how many."""
    now, policy = utc(now), policy or policies.current()
    sql.lock(KIND)
    return sql.run(_WRITE, now=now, since=now - timedelta(hours=policy.survey_lookback_hours),
                   until=now - timedelta(minutes=policy.survey_delay_minutes),
                   every_start=now - timedelta(days=policy.survey_every_days))


@dataclass(frozen=True)
class Reply:
    sale_id: int
    rating: int  # the rating on record (the first one given)
    recorded: bool  # False: the sale was rated before, nothing changed


def open_survey(member_id: int, now: datetime, policy: Policy) -> Outbox | None:
    """The member's latest survey pushed within the reply window, or None."""
    return db.session.scalars(
        select(Outbox).where(Outbox.member_id == member_id, Outbox.kind == KIND, Outbox.sent_at.is_not(None),
                             Outbox.sent_at > now - timedelta(hours=policy.survey_reply_hours),
                             Outbox.sent_at <= now)
        .order_by(Outbox.sent_at.desc(), Outbox.id.desc()).limit(1)).first()


def record_reply(member_id: int, rating: int, *, now: datetime | None = None,
                 policy: Policy | None = None) -> Reply | None:
    """Record `rating` (1-5) as the member's rating of the sale of their open survey, and
    commit. None when no survey is open (the text is then not an answer to one)."""
    now, policy = utc(now), policy or policies.current()
    if not 1 <= rating <= 5:
        raise ValueError(f"a rating is 1 to 5, not {rating}")
    survey = open_survey(member_id, now, policy)
    if survey is None:
        return None
    sale_id = int(json.loads(survey.payload)["sale_id"])
    table = SurveyRating.__table__
    insert = (postgresql.insert if sql.postgres() else sqlite.insert)(table)
    recorded = db.session.execute(insert.values(sale_id=sale_id, member_id=member_id, rating=rating,
                                                outbox_id=survey.id, rated_at=now)
                                  .on_conflict_do_nothing(index_elements=["sale_id"])
                                  .returning(table.c.id)).first() is not None
    db.session.commit()
    kept = db.session.scalar(select(SurveyRating.rating).where(SurveyRating.sale_id == sale_id))
    return Reply(sale_id, int(kept), recorded)
