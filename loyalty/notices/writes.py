"""The set statements the delivery writes: the delivery log's rows in one INSERT, per-row
changes grouped into one UPDATE per distinct set of values, the rows that went out, and
`id IN (...)` as one array parameter on PostgreSQL. Used by loyalty.notices.delivery and
loyalty.notices.reconcile; they decide, this only writes."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, update

from extensions import db
from models import Delivery, Outbox

DELIVERY_COLUMNS = ("outbox_id", "member_id", "kind", "channel", "outcome", "errcode", "reason", "attempt",
                    "created_at", "finished_at")


def insert_deliveries(rows: list[dict]) -> None:
    """The batch's delivery rows in one statement: on PostgreSQL an INSERT ... SELECT
    FROM unnest(arrays), ten parameters for any number of rows."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(Delivery), rows)
        return
    from sqlalchemy import text
    types = {"outbox_id": "bigint[]", "member_id": "int[]", "kind": "text[]", "channel": "text[]",
             "outcome": "text[]", "errcode": "int[]", "reason": "text[]", "attempt": "int[]",
             "created_at": "timestamptz[]", "finished_at": "timestamptz[]"}
    columns = ", ".join(DELIVERY_COLUMNS)
    arrays = ", ".join(f"CAST(:{c} AS {types[c]})" for c in DELIVERY_COLUMNS)
    db.session.execute(text(f"INSERT INTO deliveries ({columns}) SELECT * FROM unnest({arrays})"),
                       {c: [r[c] for r in rows] for c in DELIVERY_COLUMNS})


def apply_changes(model, changes: list[dict], expressions: dict | None = None, key=None, where=None) -> None:
    """Write per-row changes as one UPDATE ... WHERE id IN (...) per distinct set of
    values: a chunk of 200 rows that all went out is one statement, not 200.
    `expressions` turns a marker value into SQL: {"attempts": {"+1": Outbox.attempts + 1}}."""
    groups: dict[tuple, list[int]] = {}
    for change in changes:
        values = tuple(sorted((k, v) for k, v in change.items() if k != "id"))
        groups.setdefault(values, []).append(change["id"])
    for values, ids in groups.items():
        assigned = {k: (expressions[k][v] if expressions and v in expressions.get(k, {}) else v) for k, v in values}
        statement = update(model).where(id_in(key if key is not None else model.id, ids))
        if where is not None:
            statement = statement.where(where)
        db.session.execute(statement.values(**assigned).execution_options(synchronize_session=False))


SENT = """WITH sent AS (UPDATE outbox SET status = 'sent', sent_at = :now, next_attempt_at = NULL, last_error = NULL
                      WHERE id = ANY(:ids) RETURNING id)
UPDATE deliveries SET outcome = 'sent', errcode = 0, finished_at = :now
WHERE outbox_id IN (SELECT id FROM sent) AND outcome = 'sending'"""


def mark_sent(ids: list[int], now: datetime) -> None:
    """The rows that went out and their intents: one statement on PostgreSQL."""
    if not ids:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text
        db.session.execute(text(SENT), {"ids": ids, "now": now})
        return
    apply_changes(Outbox, [{"id": i, "status": "sent", "sent_at": now, "next_attempt_at": None, "last_error": None}
                    for i in ids])
    apply_changes(Delivery, [{"id": i, "outcome": "sent", "errcode": 0, "finished_at": now} for i in ids],
           key=Delivery.outbox_id, where=Delivery.outcome == "sending")


def id_in(column, ids: list[int]):
    """`column IN ids`: on PostgreSQL as `= ANY(array)`, one parameter however many ids
    (an IN list of 200 parameters is a new statement text for every length)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY
        return column == any_(literal(list(ids), ARRAY(column.type)))
    return column.in_(list(ids))
