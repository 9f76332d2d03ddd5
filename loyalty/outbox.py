"""The outbox: side effects (pushes) written in the same transaction as their cause and
handed to a job only after that transaction commits, so a rolled-back sale never sends
a receipt and a committed one always has its row.

`add` remembers each new row in the session (NEW_ROWS in session.info); jobs/notify.py's
after_commit hook enqueues one delivery job per row once the transaction commits, without
another statement (the id is read from the row's identity). A row written by plain SQL
(the periodic producers' set-based INSERTs) is found by the sweeper instead."""
from __future__ import annotations

import json

from sqlalchemy import select

from extensions import db
from models import Outbox

NEW_ROWS = "youka_outbox_new"  # session.info key: rows to enqueue after commit


def add(kind: str, dedup_key: str, payload: dict, member_id: int | None = None, *, new: bool = False) -> Outbox:
    """Write an outbox row (flushed with the caller's transaction). The dedup key is
    unique: writing the same key twice returns the first row. `new=True` skips that
    lookup when the key names something this transaction just created (the unique index
    still guards it)."""
    if not new:
        existing = db.session.scalars(select(Outbox).where(Outbox.dedup_key == dedup_key)).first()
        if existing is not None:
            return existing
    row = Outbox(kind=kind, dedup_key=dedup_key, member_id=member_id,
                 payload=json.dumps(payload, ensure_ascii=False, sort_keys=True))
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(NEW_ROWS, []).append(row)
    return row
