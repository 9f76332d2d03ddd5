"""The two ways a write in loyalty/ ends when it goes wrong, written once:

    with all_or_nothing():      the block's writes are rolled back if it raises; the error
        ...                     itself goes on up, unchanged (a bug stays a bug)
    with constraints_refused(message):
        ...                     a database constraint the checks before it did not catch
                                (a duplicate code, a range) is rolled back and becomes a
                                ValidationError naming the constraint: a 4xx, never a 500
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty.errors import ValidationError


@contextmanager
def all_or_nothing():
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def constraints_refused(message: str = "设置不完整或超出允许范围"):
    try:
        yield
    except IntegrityError as exc:
        db.session.rollback()
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None) or "constraint"
        raise ValidationError(f"{message}（{constraint}）", field=constraint) from None
