"""Sixteen cashiers at once on three members (PostgreSQL): every operation commits on its
own; afterwards the books balance, nothing is negative and no update was lost (what the
successful operations say they did is exactly what the balances show).

The cashiers meet at a barrier before each round of operations, so every round starts
with sixteen transactions on three members' accounts at the same instant: the races
happen in a few hundred operations rather than thousands (it ran 16 × 500 unsynchronised
operations in 50 s; now 16 × 48 in a few seconds). The test also checks that they did
overlap."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from extensions import db
from loyalty.books import invariants, ledger, points, stored_value
from loyalty.errors import InsufficientBalance, InsufficientPoints
from loyalty.policy import Policy
from models import Account, LedgerEntry, Member

THREADS, ROUNDS, PER_ROUND, MEMBERS = 16, 6, 8, 3
OPS = ROUNDS * PER_ROUND
POLICY = Policy(points_expiry_months=12, refund_expired_lots="reissue")


@pytest.fixture
def app_config(app_config):
    # One connection per cashier thread; no liveness ping per checkout (a round trip per
    # operation, for connections that are never idle here).
    app_config.update(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": False, "pool_size": THREADS + 4})
    return app_config


def one_operation(rng: random.Random, key: str, accounts: list[dict], mine: dict) -> list[LedgerEntry]:
    """A random cashier operation; the entries it wrote (none when it had nothing to do)."""
    now = datetime.now(timezone.utc)
    pair = rng.choice(accounts)
    op = rng.choices(["earn", "spend", "restore", "claw_back", "topup", "pay", "refund", "expire"],
                     weights=[20, 20, 10, 8, 10, 20, 10, 4])[0]
    # Only the account the operation needs: each load after a commit is a round trip.
    pts = db.session.get(Account, pair["points"]) if op in ("earn", "spend") else None
    wallet = db.session.get(Account, pair["stored_value"]) if op in ("topup", "pay") else None
    if op == "earn":
        # One earn in four is backdated past its expiry, so the expiry runs have work.
        when = now - timedelta(days=400) if rng.random() < 0.25 else now
        entry = points.earn(pts, rng.randint(1, 50), key=key, cause_type="sale", now=when, policy=POLICY)
        mine["earns"].append(entry.id)
        return [entry]
    if op == "spend":
        entry = points.spend(pts, rng.randint(1, 60), key=key, cause_type="redemption")
        mine["spends"].append(entry.id)
        return [entry]
    if op == "restore" and mine["spends"]:
        spend = db.session.get(LedgerEntry, rng.choice(mine["spends"]))
        entry = points.restore(spend, rng.choice([None, rng.randint(1, 30)]), key=key,
                               cause_type="refund", policy=POLICY)
        return [entry] if entry else []
    if op == "claw_back" and mine["earns"]:
        earn = db.session.get(LedgerEntry, rng.choice(mine["earns"]))
        entry = points.claw_back(earn, rng.randint(1, 50), key=key, cause_type="refund")
        return [entry] if entry else []
    if op == "topup":
        result = stored_value.topup(wallet, rng.randint(1000, 20000), key=key)
        return [result.principal_entry] + ([result.bonus_entry] if result.bonus_entry else [])
    if op == "pay":
        legs = stored_value.pay(wallet, rng.randint(100, 5000), key=key, cause_type="sale", policy=POLICY)
        mine["payments"].append([leg.id for leg in legs])
        return legs
    if op == "refund" and mine["payments"]:
        legs = [db.session.get(LedgerEntry, i) for i in rng.choice(mine["payments"])]
        left = -sum(leg.amount + ledger.reversed_so_far(leg) for leg in legs)
        return stored_value.refund_payment(legs, rng.randint(1, left), key=key) if left else []
    if op == "expire":
        points.expire_due()
    return []


class Overlap:
    """How many operations were in flight at once, at most: the proof that they raced."""

    def __init__(self):
        self.lock, self.now, self.most = threading.Lock(), 0, 0

    def enter(self):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self):
        with self.lock:
            self.now -= 1


def cashier(app, seed: int, accounts: list[dict], gate: threading.Barrier,
            overlap: Overlap) -> tuple[list[tuple[int, int]], Counter]:
    """ROUNDS rounds of PER_ROUND operations, each round started at the barrier with the
    other cashiers, each operation committed alone; (account id, amount) of every entry."""
    rng, written, outcomes = random.Random(seed), [], Counter()
    mine = {"earns": [], "spends": [], "payments": []}
    with app.app_context():
        try:
            for r in range(ROUNDS):
                gate.wait()
                for i in range(PER_ROUND):
                    overlap.enter()
                    try:
                        entries = one_operation(rng, f"c{seed}-{r}-{i}", accounts, mine)
                        done = [(e.account_id, e.amount) for e in entries]
                        db.session.commit()
                        written += done
                        outcomes["ok"] += 1
                    except (InsufficientPoints, InsufficientBalance):
                        db.session.rollback()
                        outcomes["refused"] += 1
                    finally:
                        overlap.leave()
        except BaseException:
            gate.abort()  # the others must not wait for a cashier that is gone
            raise
    return written, outcomes


def test_sixteen_cashiers_lose_no_update(app):
    members = [Member(phone=f"1390000000{i}") for i in range(MEMBERS)]
    db.session.add_all(members)
    db.session.flush()
    accounts = []
    for member in members:
        pair = {k: Account(kind=k, member_id=member.id, balance=0, bonus_balance=0)
                for k in ("points", "stored_value")}
        db.session.add_all(pair.values())
        db.session.flush()
        points.earn(pair["points"], 500, key=f"seed-earn-{member.id}", cause_type="sale", policy=POLICY)
        stored_value.topup(pair["stored_value"], 50000, key=f"seed-topup-{member.id}")
        accounts.append({k: a.id for k, a in pair.items()})
    db.session.commit()
    expected = {a.id: a.balance for a in db.session.scalars(select(Account))}

    gate, overlap = threading.Barrier(THREADS, timeout=60), Overlap()
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(cashier, app, seed, accounts, gate, overlap) for seed in range(THREADS)]
    elapsed = time.monotonic() - started
    # The cashier that failed first, rather than the ones it left at the barrier.
    errors = [f.exception() for f in futures if f.exception() is not None]
    root = next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), None)
    if errors:
        raise root or errors[0]
    results = [f.result() for f in futures]

    db.session.expire_all()
    outcomes = sum((o for _, o in results), Counter())
    for written, _ in results:
        for account_id, amount in written:
            expected[account_id] += amount
    expired = db.session.execute(select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
                                 .where(LedgerEntry.kind == "expire").group_by(LedgerEntry.account_id)).all()
    for account_id, amount in expired:
        expected[account_id] += int(amount)
    assert {a.id: a.balance for a in db.session.scalars(select(Account))} == expected
    # Nothing written that no successful operation reported (the seeds wrote two per member).
    written_count = sum(len(w) for w, _ in results) + 2 * MEMBERS
    expire_count = db.session.scalar(select(func.count()).where(LedgerEntry.kind == "expire"))
    assert db.session.scalar(select(func.count()).select_from(LedgerEntry)) == written_count + expire_count
    assert invariants.check(db.session) == []
    assert outcomes["ok"] + outcomes["refused"] == THREADS * OPS
    assert outcomes["ok"] > THREADS * OPS // 2
    assert expire_count > 0
    assert overlap.most >= THREADS // 2  # they did run at once, not one after another
    print(f"\n{THREADS}x{OPS} operations in {elapsed:.1f}s: {dict(outcomes)}, {expire_count} expiry entries, "
          f"at most {overlap.most} at once")
