"""Stored value (储值): top-ups with bonus rules, payments from the balance, refunds.

A stored-value account keeps two buckets in one balance: principal (money the member
paid in) and bonus (what top-up rules gave). Every entry names its bucket;
`account.bonus_balance` is the bonus part and the rest is principal.

Refund rule: a refund undoes a payment's legs in the reverse order the payment took
them (the last bucket taken is refunded first), leaving the member as if they had paid
less; never more per leg than the leg took minus what earlier refunds returned.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from extensions import db
from loyalty import policy as policies
from loyalty.errors import DuplicateConflict, InsufficientBalance, ValidationError
from loyalty.books.ledger import find_entries, lock_account, post, replay, reversed_so_far, utc, whole
from loyalty.policy import Policy
from models import Account, LedgerEntry, TopupBonusRule


@dataclass(frozen=True)
class TopupResult:
    principal_entry: LedgerEntry
    bonus_entry: LedgerEntry | None
    bonus_fen: int
    balance_fen: int


def wallet(account_id: int) -> Account:
    """The stored-value account, locked (see loyalty.books.ledger.lock_account)."""
    account = lock_account(account_id)
    if account.kind != "stored_value":
        raise ValidationError("不是储值账户", field="account", account_id=account_id)
    return account


def best_bonus_rule(amount_fen: int, now: datetime | None = None) -> TopupBonusRule | None:
    """The active rule with the highest threshold this top-up reaches, or None."""
    now = utc(now)
    return db.session.scalars(
        select(TopupBonusRule)
        .where(TopupBonusRule.active.is_(True), TopupBonusRule.min_topup_fen <= amount_fen,
               or_(TopupBonusRule.starts_at.is_(None), TopupBonusRule.starts_at <= now),
               or_(TopupBonusRule.ends_at.is_(None), TopupBonusRule.ends_at > now))
        .order_by(TopupBonusRule.min_topup_fen.desc(), TopupBonusRule.bonus_fen.desc())
        .limit(1)).first()


def topup(account: Account, amount_fen: int, *, key: str, cause_ref: str | None = None,
          pay_method: str = "cash", now: datetime | None = None) -> TopupResult:
    """Credit `amount_fen` of principal, plus the bonus of the best active rule in the
    bonus bucket (its entry keyed `<key>:bonus`). A repeated key returns the first result."""
    whole(amount_fen, "amount_fen")
    now = utc(now)
    account = wallet(account.id)
    principal = replay(key, account, kind="topup", amount=amount_fen)
    if principal is not None:
        bonus = replay(f"{key}:bonus", account, kind="bonus")
    else:
        principal = post(account, "topup", amount_fen, key=key, cause_type="topup", cause_ref=cause_ref,
                         bucket="principal", memo=pay_method, now=now)
        rule = best_bonus_rule(amount_fen, now)
        bonus = None if rule is None else post(
            account, "bonus", rule.bonus_fen, key=f"{key}:bonus", cause_type="topup",
            cause_ref=cause_ref, bucket="bonus", memo=rule.label, now=now)
    return TopupResult(principal_entry=principal, bonus_entry=bonus,
                       bonus_fen=bonus.amount if bonus else 0, balance_fen=account.balance)


def pay(account: Account, amount_fen: int, *, key: str, cause_type: str, cause_ref: str | None = None,
        policy: Policy | None = None, now: datetime | None = None) -> list[LedgerEntry]:
    """Pay `amount_fen` from the balance: one "payment" leg per bucket used (keyed
    `<key>:principal` / `<key>:bonus`), taking `policy.stored_value_spend_first` first.
    InsufficientBalance, with nothing written, when the balance is short. A repeated
    key returns the first legs."""
    whole(amount_fen, "amount_fen")
    now, policy = utc(now), policy or policies.current()
    account = wallet(account.id)
    legs = find_entries([f"{key}:principal", f"{key}:bonus"])
    if legs:
        for leg in legs:
            replay(leg.idempotency_key, account, kind="payment")
        if -sum(leg.amount for leg in legs) != amount_fen:
            raise DuplicateConflict(key=key)
        return sorted(legs, key=lambda leg: leg.id)
    if account.balance < amount_fen:
        raise InsufficientBalance(account_id=account.id, needed=amount_fen, balance=account.balance)
    available = {"principal": account.balance - account.bonus_balance, "bonus": account.bonus_balance}
    first = policy.stored_value_spend_first
    order = [first, "bonus" if first == "principal" else "principal"]
    before = account.balance
    entries, left = [], amount_fen
    for bucket in order:
        n = min(left, available[bucket])
        if n > 0:
            entries.append(post(account, "payment", -n, key=f"{key}:{bucket}", cause_type=cause_type,
                                cause_ref=cause_ref, bucket=bucket, now=now))
            left -= n
    from loyalty.notices import events
    events.balance_low(account, before, before - amount_fen, key=key, cause_type=cause_type,
                       cause_ref=cause_ref, policy=policy)
    return entries


def refund_payment(payment_entries: list[LedgerEntry], amount_fen: int, *, key: str,
                   cause_ref: str | None = None, now: datetime | None = None) -> list[LedgerEntry]:
    """Return `amount_fen` of a payment to the buckets it came from, last leg first (see
    the module docstring), one "refund" entry per leg keyed `<key>:<leg id>`, each
    reversing its leg. ValidationError, with nothing written, when the amount exceeds
    what the legs paid minus what was already refunded. A repeated key returns the
    first refund's entries."""
    whole(amount_fen, "amount_fen")
    now = utc(now)
    if not payment_entries or len({leg.account_id for leg in payment_entries}) != 1:
        raise ValidationError("退款须针对同一账户的支付", field="payment_entries")
    account = wallet(payment_entries[0].account_id)
    legs = sorted(payment_entries, key=lambda leg: leg.id)
    if any(leg.kind != "payment" or leg.amount >= 0 for leg in legs):
        raise ValidationError("只能退还储值支付", field="payment_entries")
    done = find_entries([f"{key}:{leg.id}" for leg in legs])
    if done:
        if sum(entry.amount for entry in done) != amount_fen:
            raise DuplicateConflict(key=key)
        return sorted(done, key=lambda entry: entry.id)
    # What each leg can still give back: paid (a negative amount) plus earlier refunds.
    refundable = [(leg, -(leg.amount + reversed_so_far(leg))) for leg in legs]
    if amount_fen > sum(left for _, left in refundable):
        raise ValidationError("退款金额超过可退金额", field="amount_fen", amount_fen=amount_fen)
    entries, left = [], amount_fen
    for leg, can in reversed(refundable):
        n = min(left, can)
        if n > 0:
            entries.append(post(account, "refund", n, key=f"{key}:{leg.id}", cause_type="refund",
                                cause_ref=cause_ref, bucket=leg.bucket, reverses_id=leg.id, now=now))
            left -= n
    return entries


def is_low(account: Account, policy: Policy | None = None) -> bool:
    """True when the balance is below the policy's low-balance threshold. A job alerts
    when a payment makes it so, not every day the member stays there."""
    policy = policy or policies.current()
    return account.balance < policy.low_balance_threshold_fen


def principal_of(account: Account) -> int:
    """The principal part of the balance: what the member paid in and has not used."""
    return account.balance - account.bonus_balance
