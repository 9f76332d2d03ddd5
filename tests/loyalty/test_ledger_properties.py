"""Random sequences of every ledger operation, against a plain-Python model of the books.

Each example runs in one transaction rolled back at its end, on PostgreSQL and SQLite.
After every operation the database must agree with the model (lot by lot, bucket by
bucket); after every sequence `invariants.check` must find nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from extensions import db
from loyalty.books import invariants, points, stored_value
from loyalty.errors import InsufficientBalance, InsufficientPoints, ValidationError
from loyalty.policy import Policy
from models import Account, Member, PointLot, TopupBonusRule

START = datetime(2026, 1, 15, 2, tzinfo=timezone.utc)
M = st.integers(0, 1)   # which of the two members
PICK = st.integers(0, 40)  # which earlier spend / earn / payment (modulo how many)
# Amounts are percentages of what the operation could take (spendable points, the
# balance, what is left to refund), so that most operations do something and some
# ask for too much.
PCT = st.integers(1, 130)
ARGS = {
    # Earns may be backdated (points entered late): lots are then made in an order
    # unrelated to their expiry, so "soonest expiry first" cannot pass as "oldest lot first".
    "earn": st.tuples(M, st.integers(1, 300), st.sampled_from([0, 0, 35, 85, 150])),
    "spend": st.tuples(M, PCT),
    "retry_spend": st.tuples(PICK),
    "restore": st.tuples(PICK, st.none() | PCT),
    "claw_back": st.tuples(PICK, PCT),
    "advance": st.tuples(st.integers(1, 120)),
    "expire": st.tuples(),
    "topup": st.tuples(M, st.sampled_from([500, 10000, 50000, 100000, 123456])),
    "pay": st.tuples(M, PCT),
    "refund": st.tuples(PICK, PCT),
}
# Weights: the operations with the most rules behind them come up most often.
KINDS = ["earn"] * 2 + ["spend"] * 3 + ["restore"] * 3 + ["claw_back"] * 2 + ["advance"] * 2 + \
    ["pay"] * 2 + ["refund"] * 2 + ["retry_spend", "expire", "topup"]
OPS = st.sampled_from(KINDS).flatmap(lambda kind: ARGS[kind].map(lambda args: (kind, *args)))
BONUS = [(100000, 5000), (10000, 500)]  # best rule first
# Every sequence starts from books with something in them: lots of three months, wallets.
# The last earn is backdated 85 days (to December): made last, it expires first of all.
PREAMBLE = [("earn", 0, 120, 0), ("earn", 1, 80, 0), ("advance", 20), ("earn", 0, 60, 0), ("earn", 1, 200, 0),
            ("advance", 30), ("earn", 0, 90, 85), ("earn", 1, 40, 85), ("topup", 0, 100000),
            ("topup", 1, 50000), ("advance", 5)]


class Model:
    """The books as a reader of the rule book would keep them, by hand."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.lots: list[list[dict]] = [[], []]   # per member, in creation order
        self.wallets = [{"principal": 0, "bonus": 0} for _ in range(2)]
        self.spends, self.earns, self.payments = [], [], []

    def new_lot(self, m, n, now, pending=True):
        days = self.policy.points_pending_days if pending else 0
        lot = {"remaining": n, "available": now + timedelta(days=days),
               "expires": points.expiry_instant(now, self.policy.points_expiry_months)}
        self.lots[m].append(lot)
        return lot

    @staticmethod
    def expired(lot, now):
        return lot["expires"] is not None and lot["expires"] <= now

    def spendable(self, m, now):
        live = [lot for lot in self.lots[m] if lot["remaining"] and lot["available"] <= now
                and not self.expired(lot, now)]
        # Python's sort is stable: creation order breaks ties, as lot ids do.
        return sorted(live, key=lambda lot: (lot["expires"] is None, lot["expires"] or now))

    def restore(self, spend, wanted, now):
        walk = sorted(enumerate(spend["took"]), reverse=True,
                      key=lambda it: (it[1][0]["expires"] is None, it[1][0]["expires"] or now, it[0]))
        credit = reissue = 0
        for _, part in walk:
            lot, n = part[0], min(part[1] - part[2], wanted)
            if n <= 0:
                continue
            wanted, part[2] = wanted - n, part[2] + n
            if not self.expired(lot, now):
                lot["remaining"] += n
                credit += n
            elif self.policy.refund_expired_lots == "reissue":
                reissue += n  # one fresh lot for all of them
            # else forfeited
        if reissue:
            self.new_lot(spend["m"], reissue, now, pending=False)
        return credit + reissue


def db_lots(account) -> list[int]:
    return list(db.session.scalars(select(PointLot.remaining).where(PointLot.account_id == account.id)
                                   .order_by(PointLot.id)))


@settings(max_examples=75, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=5, max_size=30), refund_rule=st.sampled_from(["forfeit", "reissue"]),
       pending=st.sampled_from([0, 3]), first=st.sampled_from(["principal", "bonus"]))
def test_random_sequences_keep_the_books(any_app, ops, refund_rule, pending, first):
    policy = Policy(points_expiry_months=6, points_pending_days=pending, refund_expired_lots=refund_rule,
                    stored_value_spend_first=first)
    model, now = Model(policy), START
    try:
        db.session.add_all(TopupBonusRule(min_topup_fen=a, bonus_fen=b, label="rule") for a, b in BONUS)
        members = [Member(phone=f"1380000000{i}") for i in range(2)]
        db.session.add_all(members)
        db.session.flush()
        accounts = [{kind: Account(kind=kind, member_id=member.id, balance=0, bonus_balance=0)
                     for kind in ("points", "stored_value")} for member in members]
        db.session.add_all(a for pair in accounts for a in pair.values())
        db.session.flush()
        for i, op in enumerate(PREAMBLE + ops):
            now = step(model, accounts, op, f"k{i}", now)
            for m, pair in enumerate(accounts):
                assert db_lots(pair["points"]) == [lot["remaining"] for lot in model.lots[m]], op
                assert points.spendable(pair["points"], now) == sum(
                    lot["remaining"] for lot in model.spendable(m, now))
                wallet = db.session.get(Account, pair["stored_value"].id, populate_existing=True)
                assert (stored_value.principal_of(wallet), wallet.bonus_balance) == (
                    model.wallets[m]["principal"], model.wallets[m]["bonus"]), op
        assert invariants.check(db.session) == []
    finally:
        db.session.rollback()


def part_of(total: int, percent: int) -> int:
    """`percent` of `total`, at least 1 (a percentage over 100 asks for too much)."""
    return max(1, total * percent // 100)


def step(model: Model, accounts, op, key, now):
    """Apply one operation to the database and to the model; return the new clock."""
    kind, args = op[0], op[1:]
    if kind == "advance":
        return now + timedelta(days=args[0])
    if kind == "expire":
        due = {m for m in range(2) for lot in model.lots[m] if lot["remaining"] and model.expired(lot, now)}
        for lot in (lot for m in due for lot in model.lots[m] if model.expired(lot, now)):
            lot["remaining"] = 0
        assert points.expire_due(now=now) == len(due)
    elif kind == "earn":
        m, n, back = args
        when = now - timedelta(days=back)
        entry = points.earn(accounts[m]["points"], n, key=key, cause_type="sale", now=when, policy=model.policy)
        model.earns.append({"entry": entry, "m": m, "lot": model.new_lot(m, n, when), "left": n})
    elif kind == "spend":
        m = args[0]
        lots = model.spendable(m, now)
        n = part_of(sum(lot["remaining"] for lot in lots), args[1])
        if sum(lot["remaining"] for lot in lots) < n:
            with pytest.raises(InsufficientPoints):
                points.spend(accounts[m]["points"], n, key=key, cause_type="redemption", now=now)
            return now
        entry = points.spend(accounts[m]["points"], n, key=key, cause_type="redemption", now=now)
        took = []
        for lot in lots:
            t = min(lot["remaining"], n - sum(part[1] for part in took))
            if t:
                lot["remaining"] -= t
                took.append([lot, t, 0])
        model.spends.append({"entry": entry, "m": m, "n": n, "took": took, "key": key})
    elif kind == "retry_spend" and model.spends:
        spend = model.spends[args[0] % len(model.spends)]
        again = points.spend(accounts[spend["m"]]["points"], spend["n"], key=spend["key"],
                             cause_type="redemption", now=now)
        assert again.id == spend["entry"].id
    elif kind == "restore" and model.spends:
        spend = model.spends[args[0] % len(model.spends)]
        n = None if args[1] is None else part_of(spend["n"], args[1])
        credit = model.restore(spend, n if n is not None else spend["n"], now)
        entry = points.restore(spend["entry"], n, key=key, cause_type="refund", now=now, policy=model.policy)
        assert (entry.amount if entry else 0) == credit
    elif kind == "claw_back" and model.earns:
        earn = model.earns[args[0] % len(model.earns)]
        n = part_of(earn["entry"].amount, args[1])
        m, wanted = earn["m"], min(n, earn["left"])
        own = [earn["lot"]] if earn["lot"]["remaining"] else []
        lots = own + [lot for lot in model.spendable(m, now) if lot is not earn["lot"]]
        taken = 0
        for lot in lots:
            t = min(lot["remaining"], wanted - taken)
            lot["remaining"], taken = lot["remaining"] - t, taken + t
        earn["left"] -= taken
        entry = points.claw_back(earn["entry"], n, key=key, cause_type="refund", now=now)
        assert (-entry.amount if entry else 0) == taken
    elif kind == "topup":
        m, n = args
        bonus = next((b for threshold, b in BONUS if n >= threshold), 0)
        result = stored_value.topup(accounts[m]["stored_value"], n, key=key, now=now)
        assert result.bonus_fen == bonus
        model.wallets[m]["principal"] += n
        model.wallets[m]["bonus"] += bonus
    elif kind == "pay":
        m, wallet = args[0], model.wallets[args[0]]
        n = part_of(wallet["principal"] + wallet["bonus"], args[1])
        if wallet["principal"] + wallet["bonus"] < n:
            with pytest.raises(InsufficientBalance):
                stored_value.pay(accounts[m]["stored_value"], n, key=key, cause_type="sale", policy=model.policy)
            return now
        legs = stored_value.pay(accounts[m]["stored_value"], n, key=key, cause_type="sale", policy=model.policy)
        order = [model.policy.stored_value_spend_first] + [b for b in ("principal", "bonus")
                                                           if b != model.policy.stored_value_spend_first]
        expected, left = [], n
        for bucket in order:
            t = min(left, wallet[bucket])
            if t:
                wallet[bucket], left = wallet[bucket] - t, left - t
                expected.append([bucket, t])
        assert [(leg.bucket, -leg.amount) for leg in legs] == [tuple(leg) for leg in expected]
        model.payments.append({"legs": legs, "m": m, "left": expected})
    elif kind == "refund" and model.payments:
        payment = model.payments[args[0] % len(model.payments)]
        n = part_of(sum(t for _, t in payment["left"]), args[1])
        if n > sum(t for _, t in payment["left"]):
            with pytest.raises(ValidationError):
                stored_value.refund_payment(payment["legs"], n, key=key)
            return now
        stored_value.refund_payment(payment["legs"], n, key=key)
        for leg in reversed(payment["left"]):
            t = min(n, leg[1])
            leg[1], n = leg[1] - t, n - t
            model.wallets[payment["m"]][leg[0]] += t
    return now
