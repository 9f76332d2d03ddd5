"""The ledger primitives every points and stored-value operation is built from.

An operation locks its account (`lock_account`), checks its idempotency key
(`find_entry`), then appends entries with `post`, which moves the account's balance in
the same transaction. Nothing here commits: the caller owns the transaction, so a sale
that writes a points entry and a payment entry commits both or neither.

The sign convention is the one in models/ledger.py: an entry's amount is what it does
to the member's balance (positive credits, negative debits).

Every write to an account or the ledger lives in this module, and each one notes the
account it changed (loyalty.generations.touch): after the commit, the caches that read the
account (the chat's 积分 reply) see it moved. A new write function here does the same.
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cache

from sqlalchemy import BigInteger, bindparam, func, insert, select, true, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db
from loyalty import generations
from loyalty.errors import DuplicateConflict, InsufficientBalance, InsufficientPoints, ValidationError
from models import Account, LedgerEntry


def utc(now: datetime | None = None) -> datetime:
    """`now` as an aware UTC datetime; the current time when None.

    A naive datetime is refused: a wall-clock time without a zone is how a Shanghai
    time ends up stored eight hours off."""
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return now.astimezone(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """A timestamp read back from the database as aware UTC (SQLite returns naive UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def whole(value, field: str) -> int:
    """`value` if it is a positive int; ValidationError otherwise.

    Floats and bools are refused outright: points and fen are integers everywhere."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(f"{field} 必须是正整数", field=field, value=repr(value))
    return value


def lock_account(account_id: int) -> Account:
    """The account, locked for the rest of the caller's transaction, with fresh balances.

    PostgreSQL: `SELECT ... FOR UPDATE`, so concurrent operations on one account queue
    up here and each sees the lots and balances the previous one committed.
    SQLite has no row locks and serialises writers on the whole database: a no-op
    UPDATE takes the write lock first, so the reads that follow are already current
    and no other writer can slip in before this transaction ends."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Account).where(Account.id == account_id)
                           .values(balance=Account.balance)
                           .execution_options(synchronize_session=False))
    query = (select(Account).where(Account.id == account_id).with_for_update()
             .execution_options(populate_existing=True))
    return db.session.execute(query).scalar_one()


def find_entry(key: str) -> LedgerEntry | None:
    """The entry written under this idempotency key, if any: a retried operation
    returns it instead of writing a second one."""
    return db.session.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key == key)).first()


def find_entries(keys: list[str]) -> list[LedgerEntry]:
    """The entries written under any of these keys, in the order the keys are given."""
    found = {e.idempotency_key: e for e in
             db.session.scalars(select(LedgerEntry).where(LedgerEntry.idempotency_key.in_(keys)))}
    return [found[k] for k in keys if k in found]


def replay(key: str, account: Account, *, kind: str | None = None,
           amount: int | None = None) -> LedgerEntry | None:
    """The entry a first attempt wrote under `key`, or None. A key reused for another
    account (or another kind or amount, when given) is a DuplicateConflict, not a retry."""
    entry = find_entry(key)
    if entry is None:
        return None
    if entry.account_id != account.id or kind not in (None, entry.kind) or amount not in (None, entry.amount):
        raise DuplicateConflict(key=key)
    return entry


def insufficient(account: Account, **details) -> Exception:
    """The error a member sees when an account cannot cover a debit."""
    cls = InsufficientPoints if account.kind == "points" else InsufficientBalance
    return cls(account_id=account.id, **details)


def post(account: Account, kind: str, amount: int, *, key: str, cause_type: str,
         cause_ref: str | None = None, bucket: str | None = None, memo: str | None = None,
         reverses_id: int | None = None, now: datetime | None = None, new: bool = False) -> LedgerEntry:
    """Append one entry and move the account's balance by `amount` (and its bonus balance
    for bucket "bonus"), flushed in the caller's transaction.

    The balance moves by one conditional UPDATE (`balance + amount >= 0`, bonus kept
    within the balance), so two concurrent debits can never both pass and nothing goes
    negative: a debit the account cannot cover raises InsufficientPoints or
    InsufficientBalance and writes nothing. On PostgreSQL the UPDATE and the entry's INSERT
    are one statement. A repeated key returns the first entry; the same key reused for a
    different account, kind or amount is a DuplicateConflict. `new=True` skips that lookup
    when the key names something this transaction just created (a sale's own entries; the
    unique index still guards it). Points entries move lots too; use loyalty.books.points
    rather than posting them here."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValidationError("金额必须是非零整数", field="amount", value=repr(amount))
    if not new:
        existing = replay(key, account, kind=kind, amount=amount)
        if existing is not None:
            return existing
    if (bucket is not None) != (account.kind == "stored_value"):
        raise ValidationError("储值分录须注明本金或赠送，积分分录不能", field="bucket")
    bonus = amount if bucket == "bonus" else 0
    fields = dict(account_id=account.id, kind=kind, amount=amount, bucket=bucket, cause_type=cause_type,
                  cause_ref=cause_ref, idempotency_key=key, reverses_id=reverses_id, memo=memo, created_at=utc(now))
    entry = None
    if db.session.get_bind().dialect.name == "postgresql":
        # On the session's connection: a Core statement needs none of the ORM's execution layer.
        moved = db.session.connection().execute(
            _move_and_append(), {"p_bonus": bonus, **{f"p_{k}": v for k, v in fields.items()}}).first()
        if moved is not None:
            entry = LedgerEntry(id=moved.id, **fields)
            make_transient_to_detached(entry)
            db.session.add(entry)  # persistent, as if loaded: no INSERT of its own
    else:
        moved = db.session.execute(_move(), {"p_account_id": account.id, "p_amount": amount, "p_bonus": bonus},
                                   execution_options={"synchronize_session": False}).first()
    if moved is None:
        raise insufficient(account, needed=-amount, bucket=bucket)
    generations.touch(generations.account(account.id))
    # The UPDATE already wrote these; record them as loaded so the ORM never writes
    # a stale absolute value back over a concurrent change.
    set_committed_value(account, "balance", moved.balance)
    set_committed_value(account, "bonus_balance", moved.bonus_balance)
    if entry is None:
        entry = LedgerEntry(**fields)
        db.session.add(entry)
        db.session.flush()
    return entry


_ENTRY_FIELDS = ("account_id", "kind", "amount", "bucket", "cause_type", "cause_ref", "idempotency_key",
                 "reverses_id", "memo", "created_at")


@cache
def _move():
    """The conditional balance UPDATE (built once; its values are bound at each call)."""
    amount, bonus = bindparam("p_amount", type_=BigInteger), bindparam("p_bonus", type_=BigInteger)
    accounts = Account.__table__.c  # Core: no ORM bookkeeping for a statement run this often
    return (update(Account.__table__)
            .where(accounts.id == bindparam("p_account_id"),
                   accounts.balance + amount >= 0,
                   accounts.bonus_balance + bonus >= 0,
                   accounts.bonus_balance + bonus <= accounts.balance + amount)
            .values(balance=accounts.balance + amount, bonus_balance=accounts.bonus_balance + bonus)
            .returning(accounts.balance, accounts.bonus_balance))


@cache
def _move_and_append():
    """PostgreSQL: the balance UPDATE and the entry INSERT in one statement (the INSERT
    selects from the UPDATE's row, so an account that cannot cover the debit writes
    neither); answers the moved balances and the entry's id, or no row."""
    moved = _move().cte("moved")
    columns = LedgerEntry.__table__.c
    appended = (insert(LedgerEntry.__table__)
                .from_select(list(_ENTRY_FIELDS),
                             select(*[bindparam(f"p_{k}", type_=columns[k].type) for k in _ENTRY_FIELDS])
                             .select_from(moved))
                .returning(columns.id).cte("appended"))
    return (select(moved.c.balance, moved.c.bonus_balance, appended.c.id)
            .select_from(moved.join(appended, true())))


def reversed_so_far(entry: LedgerEntry) -> int:
    """The sum of the amounts of the entries that reverse `entry` (0 when none), on any
    account: a claw-back of an earn whose points moved into a family pool is posted there."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.reverses_id == entry.id))
    return int(total)
