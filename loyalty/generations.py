"""What a transaction changed, published after it commits as generation counters in Redis.

A reader that caches something it read from the database (the chat's 积分 reply,
bot/reply_cache.py) remembers the counters of the things it read — `account:12`,
`member:7`, `family:3`, `openid:o_x`, and `all` — and its copy is good while none of
them moved. Writers never call a cache: they say what they changed, and the counters
move once the transaction has committed, so a reader that sees a new counter also sees
the new rows. (A counter moved before the commit would let a reader cache the old rows
under the new counter.) A rollback publishes nothing.

Two ways a change is noted, so that nothing written is missed:
- the ORM's writes are seen at flush (`after_flush`): new, changed or deleted members,
  family memberships, WeChat bindings, accounts, ledger entries and point lots;
- set-based SQL that bypasses the ORM says so itself with `touch`: the ledger's balance
  updates (loyalty/books/ledger.py, where every account and ledger write lives), the
  points expiry run (`touch(EVERYTHING)`), the bulk unbinding of openids.

A publish that fails (Redis down) is logged; cached copies then live at most their TTL.
Counters expire COUNTER_TTL after their last move, longer than any cached copy lives, so
a counter that vanished and starts again from nothing can never match an old copy.
"""
from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import get_redis
from models import Account, FamilyMember, LedgerEntry, Member, PointLot, WeChatBinding

log = logging.getLogger("youka.generations")

EVERYTHING = "all"  # moved by set-based jobs that touch any number of members (points expiry)
COUNTER_TTL = 2 * 24 * 3600
_PREFIX = "gen:"
_PENDING = "youka_generations"  # in Session.info


def account(account_id: int) -> str:
    return f"account:{account_id}"


def member(member_id: int) -> str:
    return f"member:{member_id}"


def family(family_id: int) -> str:
    return f"family:{family_id}"


def openid(value: str) -> str:
    return f"openid:{value}"


def keys(names) -> list[str]:
    """The Redis keys of these names' counters, in the order given (EVERYTHING's included
    by the caller when it depends on set-based jobs)."""
    return [_PREFIX + name for name in names]


def touch(*names: str, session: Session | None = None) -> None:
    """Note that the current transaction changed these; their counters move after it commits."""
    from extensions import db
    (session or db.session()).info.setdefault(_PENDING, set()).update(names)


def _names_of(obj) -> tuple[str, ...]:
    # What an ORM row written in this flush is part of, for the readers that cache.
    if isinstance(obj, (LedgerEntry, PointLot)):
        return (account(obj.account_id),)
    if isinstance(obj, Account):
        return (account(obj.id),)
    if isinstance(obj, FamilyMember):
        return (member(obj.member_id), family(obj.family_id))
    if isinstance(obj, Member):
        # A member's phone shows on their family's statements; the family it was in before
        # this flush is covered by the FamilyMember row that left it.
        return (member(obj.id),) + ((family(obj.family_id),) if obj.family_id else ())
    if isinstance(obj, WeChatBinding):
        return (openid(obj.openid), member(obj.member_id))
    return ()


def _after_flush(session: Session, _context) -> None:
    # Still the flush's own lists and attribute history here (SQLAlchemy's after_flush).
    found: set[str] = set()
    for obj in (*session.new, *session.deleted):
        found.update(_names_of(obj))
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            found.update(_names_of(obj))
    if found:
        session.info.setdefault(_PENDING, set()).update(found)


def _after_commit(session: Session) -> None:
    names = session.info.pop(_PENDING, None)
    if not names:
        return
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            for key in keys(sorted(names)):
                pipe.incr(key)
                if key != _PREFIX + EVERYTHING:
                    pipe.expire(key, COUNTER_TTL)
            pipe.execute()
    except RedisError:  # Redis down: the commit stands; a bug in building the keys still raises
        log.exception("could not publish %d changes after commit; cached replies live until their TTL",
                      len(names))


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit: forget
        session.info.pop(_PENDING, None)


def init_app(app) -> None:
    """Listen to every session (once per process)."""
    for name, fn in (("after_flush", _after_flush), ("after_commit", _after_commit),
                     ("after_transaction_end", _after_transaction_end)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)

