"""The outbox: side effects (pushes) written in the same transaction as their cause and
handed to a job only after that transaction commits, so a rolled-back sale never sends
a receipt and a committed one always has its row.

`add` remembers each new row in the session (NEW_ROWS in session.info); jobs/notify.py's
after_commit hook enqueues one delivery job per row once the transaction commits, without
another statement (the id is read from the row's identity). A row written by plain SQL
(the periodic producers' set-based INSERTs) is found by the sweeper instead."""
from __future__ import annotations

import json
from functools import cache

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import make_transient_to_detached

from extensions import db
from models import Outbox

NEW_ROWS = "youka_outbox_new"  # session.info key: rows to enqueue after commit


def add(kind: str, dedup_key: str, payload: dict, member_id: int | None = None, *, new: bool = False) -> Outbox:
    """Write an outbox row (flushed with the caller's transaction). The dedup key is
    unique: writing the same key twice returns the first row. `new=True` skips that
    lookup when the key names something this transaction just created (the unique index
    still guards it). `kind` must be one the notice catalogue declares (ValueError)."""
    from loyalty.notices.kinds import Kind
    Kind(kind)  # a kind nobody can deliver would sit in the outbox, skipped
    fields = dict(kind=kind, dedup_key=dedup_key, member_id=member_id,
                  payload=json.dumps(payload, ensure_ascii=False, sort_keys=True))
    if new:
        # A Core INSERT, then the row as a persistent object: a sale writes one each time.
        written = db.session.connection().execute(_insert(), fields).one()
        row = Outbox(id=written.id, created_at=written.created_at, enqueued_at=None, sent_at=None, **fields)
        make_transient_to_detached(row)
        db.session.add(row)
        db.session.info.setdefault(NEW_ROWS, []).append(row)
        return row
    existing = db.session.scalars(select(Outbox).where(Outbox.dedup_key == dedup_key)).first()
    if existing is not None:
        return existing
    row = Outbox(**fields)
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(NEW_ROWS, []).append(row)
    return row


@cache
def _insert():
    table = Outbox.__table__
    return (insert(table).values({n: bindparam(n, type_=table.c[n].type) for n in ("kind", "dedup_key", "member_id",
                                                                                  "payload")})
            .returning(table.c.id, table.c.created_at))
