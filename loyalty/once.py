"""Running a command once: the one way an idempotent command (a sale, a top-up, a refund,
and later a redemption, a push, a console action) is written.

A command has a reference the caller chose (the POS's transaction number, a top-up or
refund number) and two parts:

- `first()`: the result a request with this reference already produced, or None. It
  compares the stored request with this one and raises DuplicateConflict when they
  differ: the same reference for another request is a conflict, never a retry.
- `do()`: the work, written to the session and flushed, never committed.

`run_once(key, first, do)` runs them in this order:

1. lock `key` for the rest of the transaction (PostgreSQL: an advisory transaction lock;
   SQLite: the database's write lock), so two requests with one reference never run
   side by side: a twin that arrives while the first runs waits here;
2. `first()`: a retry, or the twin once the first has committed, answers with the first
   result before `do` touches anything (a member code, a nozzle attachment, a coupon);
3. `do()`, then commit; the lock ends with the transaction (a retry's too).

An IntegrityError on commit (a writer that did not take the lock, on the reference's
unique index) rolls back and answers `first()`; any other error rolls back and is
raised. The answer is `Done(result, created)`: created False for a retry.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Callable, Generic, TypeVar

from sqlalchemy import BigInteger, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty.errors import ValidationError

T = TypeVar("T")
MAX_REFERENCE = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Done(Generic[T]):
    result: T
    created: bool  # False: a retry answered with the first result


def run_once(key: str, first: Callable[[], T | None], do: Callable[[], T]) -> Done[T]:
    """Run the command `do` once for `key` and commit (see the module docstring)."""
    try:
        lock(key)
        found = first()
        if found is not None:
            db.session.commit()  # ends the lock: on SQLite it is the whole database's
            return Done(found, False)
        result = do()
        db.session.commit()
        return Done(result, True)
    except IntegrityError:
        db.session.rollback()
        found = first()
        if found is None:
            raise
        return Done(found, False)
    except Exception:  # any other error is the caller's: roll back (ending the lock), raise it
        db.session.rollback()
        raise


def lock(key: str) -> None:
    """Hold `key` until the transaction ends: a second transaction locking it waits.
    PostgreSQL: the same round trip reads the reference data's version, which nearly
    every command needs next (loyalty.reference)."""
    from loyalty import reference
    if db.session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
        row = db.session.connection().execute(_lock_and_version(), {"key": number}).one()
        reference.saw(row[1])
    else:
        # SQLite serialises writers on the whole database: take its write lock now, so
        # nothing can commit between our second `first()` and our commit.
        db.session.execute(text("UPDATE stations SET id = id WHERE 0"))


@cache
def _lock_and_version():
    from loyalty import reference
    return select(func.pg_advisory_xact_lock(bindparam("key", type_=BigInteger)), reference.version_column())


def check_reference(value, field: str, label: str) -> str:
    """A caller's reference number (pos_txn_no, topup_no, refund_no): a string of 1-64
    characters, none of them a control character; ValidationError naming the field otherwise."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_REFERENCE:
        raise ValidationError(f"{label}必填，最长 {MAX_REFERENCE} 位", field=field)
    if _CONTROL.search(value):  # NUL cannot be stored in PostgreSQL text; no reference needs one
        raise ValidationError(f"{label}不能包含控制字符", field=field)
    return value


def fingerprint(body) -> str:
    """The SHA-256 of a JSON-ready request body: what a retry must match."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
