"""Six months of generated history for the demo (`flask demo seed`): 200 members with
their sales, top-ups, redemptions and check-ins, so tiers, recall, dashboards and
campaigns have data on day one.

Seeded random (random.Random(seed)): every run draws the same members and the same days
(relative to the moment of seeding).

Two paths, so that the first start stays short (about 3 500 sales; one sale through
sales.write costs some 20 ms, the whole history set-based a few seconds):
- set-based, for the bulk — the fuel sales and check-ins before the last two days: the
  points of each sale come from the real rules engine (loyalty.rules.engine.evaluate, with
  the member's tier of that moment and the day cap), and the rows are exactly what
  sales.write and checkin.check_in write (the sale, its line, an earn entry with the same
  idempotency key and a points lot expiring as points.lots.expiry_instant says), inserted
  in bulk; then each points account's balance is set to the sum of its entries.
- through the loyalty functions, in time order with `now=` the moment it happened: the
  top-ups (topups.topup_member, bonus rules included), the redemptions (rewards.redeem,
  oldest lots first), the tier each member reached (tiers.after_sale, with its upgrade
  rewards), the welcome coupons (coupons.issue) and every sale of the last two days
  (sales.write, paying from the balance when it covers the sale).
`flask loyalty check` passes on the result. The receipts the recent sales wrote to the
outbox are marked as sent: history is not pushed.

Members come in habits: fleet trucks on diesel (diamond by the end), taxi and
ride-hailing drivers (gold), commuters, occasional drivers and dormant ones (no visit
for two to four months, for the recall campaign). Members have openids o-demo-001 ...
o-demo-200, so the simulator can play any of them.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select, text, update

from extensions import db
from loyalty import demo, generations, policy as policies
from loyalty.benefits import coupons, rewards, tiers
from loyalty.books.points.lots import expiry_instant
from loyalty.errors import LoyaltyError
from loyalty.people import members
from loyalty.policy import BUSINESS_TZ
from loyalty.rules import engine
from loyalty.till import daily_totals, sales, topups
from loyalty.till.pricing import FuelLine, ShopLine, fuel_amount_fen
from loyalty.till.sale_request import SaleRequest
from models import (Account, CheckIn, LedgerEntry, Member, Outbox, PointLot, Sale, SaleLine, Station, Tier,
                    WeChatBinding)

DAYS = 182
RECENT = timedelta(days=2)  # the sales of the last two days go through sales.write
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
PLATE_LETTERS = "ABCDEFGHJK"


@dataclass(frozen=True)
class Habit:
    name: str
    share: int               # members of this habit out of 200
    identity: str
    grades: tuple[str, ...]
    litres: tuple[int, int]  # per visit, whole litres
    every: tuple[int, int]   # days between visits
    dormant: bool = False


HABITS = (
    Habit("fleet", 6, "fleet", ("0",), (120, 260), (3, 5)),
    Habit("taxi", 14, "taxi", ("92",), (40, 58), (2, 4)),
    Habit("commuter", 80, "private", ("92", "92", "95"), (30, 50), (6, 11)),
    Habit("occasional", 70, "private", ("92", "95", "98"), (25, 45), (14, 30)),
    Habit("dormant", 30, "ride_hailing", ("92",), (30, 50), (5, 9), dormant=True),
)


def _at(day: datetime, rng: random.Random) -> datetime:
    # Shanghai 07:00-21:59 (UTC+8), as a UTC instant.
    return day + timedelta(hours=rng.randint(7, 21) - 8, minutes=rng.randint(0, 59))


def _plan(rng: random.Random, start: datetime, end: datetime, size: int) -> tuple[list[dict], list[tuple]]:
    people, events = [], []
    n = 0
    for habit in HABITS:
        for _ in range(max(1, round(habit.share * size / 200))):
            n += 1
            phone = f"13{rng.randint(5, 9)}{n:04d}{rng.randint(0, 9999):04d}"
            person = {"n": n, "phone": phone, "habit": habit, "station": rng.choice(demo.STATIONS)[0],
                      "birthday": date(rng.randint(1965, 2002), rng.randint(1, 12), rng.randint(1, 28)),
                      "plate": f"浙{rng.choice(PLATE_LETTERS)}{rng.randint(10000, 99999)}",
                      "grade": rng.choice(habit.grades)}
            people.append(person)
            stop = end - timedelta(days=rng.randint(60, 120)) if habit.dormant else end - timedelta(hours=2)
            day = start + timedelta(days=rng.randint(0, habit.every[1]))
            while day < stop:
                events.append((_at(day, rng), "sale", n, rng.randint(*habit.litres), rng.random()))
                day += timedelta(days=rng.randint(*habit.every))
            if rng.random() < 0.2:  # some keep a balance: a top-up every two or three months
                day = start + timedelta(days=rng.randint(0, 40))
                while day < stop:
                    events.append((_at(day, rng), "topup", n, rng.choice([50000, 100000, 100000, 200000]), 0))
                    day += timedelta(days=rng.randint(60, 100))
            if rng.random() < 0.4:  # check-in habit: some days of the last two months
                for back in sorted(rng.sample(range(1, 60), rng.randint(5, 30)), reverse=True):
                    at = end - timedelta(days=back)
                    if at < stop:
                        events.append((_at(at.replace(hour=0, minute=0), rng), "checkin", n, 0, 0))
            if rng.random() < 0.25:  # redeemers: something from the catalogue later on
                for _ in range(rng.randint(1, 2)):
                    events.append((end - timedelta(days=rng.randint(2, 90), hours=rng.randint(0, 12)),
                                   "redeem", n, 0, rng.random()))
    events.sort(key=lambda e: (e[0], e[2]))
    return people, events


def _make_members(people: list[dict], start: datetime) -> dict[int, Member]:
    made = {}
    for p in people:
        member = members.create_member(p["phone"], identity=p["habit"].identity, consent=True, plate=p["plate"],
                                       preferred_grade=p["grade"], birthday=p["birthday"])
        member.created_at = member.consent_at = start
        member.following = True
        made[p["n"]] = member
    db.session.flush()
    db.session.add_all(WeChatBinding(openid=f"o-demo-{n:03d}", member_id=m.id) for n, m in made.items())
    return made


def _lines(person: dict, litres: int, chance: float, seq: int) -> list:
    grade = person["grade"]
    lines = [FuelLine(grade=grade, litres_ml=litres * 1000 + (seq * 37) % 1000, unit_price_fen=demo.PRICES[grade])]
    if chance < 0.2:
        lines.append(ShopLine(category=("drinks", "snacks", "car_care")[seq % 3], amount_fen=450 + (seq % 7) * 350))
    return lines


def _station(person: dict, chance: float, seq: int) -> str:
    return person["station"] if chance < 0.8 else demo.STATIONS[seq % 3][0]


def _gross(line) -> int:
    return fuel_amount_fen(line.litres_ml, line.unit_price_fen) if line.kind == "fuel" else line.amount_fen


class _Bulk:
    """The set-based path: rows as sales.write and checkin.check_in write them, in bulk."""

    def __init__(self, made: dict[int, Member], people: list[dict]) -> None:
        self.made, self.people = made, people
        self.policy = policies.current()
        self.rules = engine.current_ruleset()
        self.ladder = [(t.threshold, t.code) for t in tiers.ladder()]
        self.stations = {code: sid for code, sid in db.session.execute(select(Station.code, Station.id))}
        self.points_account = {m.id: members.account_of(m, "points").id for m in made.values()}
        self.litres: dict[int, int] = {}
        self.today: dict[tuple[int, object], int] = {}
        self.sales, self.lines, self.earns = [], [], []  # earns: (member id, points, at, key, memo, kind)
        self.checkins, self.streaks = [], {}

    def tier_of(self, member_id: int) -> str | None:
        value = self.litres.get(member_id, 0)
        reached = [code for threshold, code in self.ladder if threshold <= value]
        return reached[-1] if reached else None

    def sale(self, person: dict, at: datetime, litres: int, chance: float, seq: int) -> None:
        member = self.made[person["n"]]
        lines, station = _lines(person, litres, chance, seq), _station(person, chance, seq)
        facts = engine.SaleFacts(at=at, station_code=station, lines=[
            engine.FuelLine(line.grade, line.litres_ml, _gross(line)) if line.kind == "fuel"
            else engine.ShopLine(line.category, line.amount_fen) for line in lines])
        day = at.astimezone(BUSINESS_TZ).date()
        earned = engine.evaluate(facts, engine.MemberFacts(self.tier_of(member.id), member.identity, member.birthday),
                                 earned_today=self.today.get((member.id, day), 0), ruleset=self.rules)
        self.today[(member.id, day)] = self.today.get((member.id, day), 0) + earned.total
        self.litres[member.id] = self.litres.get(member.id, 0) + sum(line.litres_ml for line in lines)
        gross = sum(_gross(line) for line in lines)
        request = SaleRequest(station, f"DEMO{seq:06d}", lines, member_id=member.id)
        self.sales.append(dict(station_id=self.stations[station], pos_txn_no=request.pos_txn_no,
                               request_hash=request.fingerprint(), member_id=member.id, gross_fen=gross,
                               discount_fen=0, payable_fen=gross, pay_with="external", paid_from_balance_fen=0,
                               litres_ml=sum(line.litres_ml for line in lines), points_earned=earned.total,
                               points_breakdown=json.dumps([[label, n] for label, n in earned.lines], ensure_ascii=False),
                               refunded_fen=0, created_at=at))
        self.lines.append([dict(kind=line.kind, grade_code=line.grade, litres_ml=line.litres_ml,
                                unit_price_fen=getattr(line, "unit_price_fen", None), category=line.category,
                                sku=None, amount_fen=_gross(line)) for line in lines])

    def checkin(self, person: dict, at: datetime) -> None:
        member = self.made[person["n"]]
        day = at.astimezone(BUSINESS_TZ).date()
        last = self.streaks.get(member.id)
        if last and last[0] == day:
            return
        streak = last[1] + 1 if last and last[0] == day - timedelta(days=1) else 1
        self.streaks[member.id] = (day, streak)
        every = self.policy.checkin_streak_days
        bonus = self.policy.checkin_streak_bonus if every > 0 and streak % every == 0 else 0
        self.checkins.append(dict(member_id=member.id, day=day, streak=streak, points=self.policy.checkin_points,
                                  bonus=bonus, created_at=at))

    def _insert(self, model, rows: list[dict]) -> list[int]:
        """Insert the rows with ids given here (max + 1 on): one executemany, no RETURNING,
        then PostgreSQL's sequence moved past them."""
        if not rows:
            return []
        table = model.__table__
        first = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        ids = list(range(first, first + len(rows)))
        db.session.execute(insert(table), [dict(row, id=i) for i, row in zip(ids, rows)])
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), :last)"),
                               {"last": ids[-1]})
        return ids

    def _earn(self, rows: list[tuple[int, int, datetime, str, str, str, str]]) -> list[int]:
        """Earn entries and their lots: (member id, points, at, key, memo, cause type, cause ref)."""
        rows = [r for r in rows if r[1] > 0]
        ids = self._insert(LedgerEntry, [dict(account_id=self.points_account[m], kind="earn", amount=n, bucket=None,
                                              cause_type=cause, cause_ref=ref, idempotency_key=key, memo=memo,
                                              created_at=at) for m, n, at, key, memo, cause, ref in rows])
        pending, months = timedelta(days=self.policy.points_pending_days), self.policy.points_expiry_months
        self._insert(PointLot, [dict(account_id=self.points_account[m], entry_id=i, origin_entry_id=i, amount=n,
                                     remaining=n, earned_at=at, available_at=at + pending,
                                     expires_at=expiry_instant(at, months))
                                for i, (m, n, at, *_rest) in zip(ids, rows)])
        return ids

    def write(self) -> None:
        sale_ids = self._insert(Sale, self.sales)
        self._insert(SaleLine, [dict(sale_id=sid, **line) for sid, lines in zip(sale_ids, self.lines) for line in lines])
        self._earn([(s["member_id"], s["points_earned"], s["created_at"], f"sale:{sid}:earn",
                     f"消费积分 {s['pos_txn_no']}", "sale", str(sid)) for sid, s in zip(sale_ids, self.sales)])
        check_ids = self._insert(CheckIn, self.checkins)
        entry_ids = self._earn([(c["member_id"], c["points"] + c["bonus"], c["created_at"],
                                 f"checkin:{c['member_id']}:{c['day'].isoformat()}", f"签到第{c['streak']}天",
                                 "checkin", str(cid)) for cid, c in zip(check_ids, self.checkins)])
        if entry_ids:
            db.session.execute(update(CheckIn), [{"id": cid, "ledger_entry_id": eid}
                                                 for cid, eid in zip(check_ids, entry_ids)])
        # Every points account's balance is the sum of its entries (no spend has happened yet).
        total = (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                 .where(LedgerEntry.account_id == Account.id).scalar_subquery())
        db.session.execute(update(Account).where(Account.kind == "points",
                                                 Account.member_id.in_([m.id for m in self.made.values()]))
                           .values(balance=total).execution_options(synchronize_session=False))
        generations.touch(generations.EVERYTHING)  # set-based writes to the books: cached replies must go
        db.session.expire_all()


def _sale(person: dict, member: Member, at: datetime, litres: int, chance: float, seq: int) -> None:
    lines, station = _lines(person, litres, chance, seq), _station(person, chance, seq)
    wallet = members.account_of(member, "stored_value").balance
    pay_with = "balance" if chance < 0.5 and wallet >= sum(_gross(line) for line in lines) else "external"
    request = SaleRequest(station, f"DEMO{seq:06d}", lines, member_id=member.id, pay_with=pay_with)
    sales.write(sales.station_by_code(station), request, member, now=at)


def _redeem(member: Member, at: datetime, chance: float, seq: int) -> None:
    item = "COUPON_20" if chance < 0.5 else ("WATER" if chance < 0.75 else ("DONATE" if chance < 0.85 else "TISSUE"))
    try:
        with db.session.begin_nested():
            rewards.redeem(member, item, key=f"demo:redeem:{seq}", now=at)
    except LoyaltyError:
        pass  # not enough points yet, or the limit reached: this member did not redeem then


def generate(seed: int = 2026, members: int = 200, now: datetime | None = None) -> dict:
    """Generate `members` members' history (the habits in their proportions) into a
    database demo.seed_all() has just filled, and commit. Returns counts."""
    rng = random.Random(seed)
    end = (now or datetime.now(timezone.utc)).replace(second=0, microsecond=0)
    start = (end - timedelta(days=DAYS)).replace(hour=0, minute=0)
    cutoff = end - RECENT
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA synchronous = OFF"))  # this connection, for the bulk load only
    people, events = _plan(rng, start, end, members)
    made = _make_members(people, start)
    counts = {"members": len(made), "sale": 0, "topup": 0, "checkin": 0, "redeem": 0}
    bulk = _Bulk(made, people)
    for seq, (at, kind, n, amount, chance) in enumerate(events, start=1):
        if at < cutoff and kind == "sale":
            bulk.sale(people[n - 1], at, amount, chance, seq)
        elif at < cutoff and kind == "checkin":
            bulk.checkin(people[n - 1], at)
    bulk.write()
    daily_totals.rebuild()  # the bulk wrote sales without the sale path: their daily totals, set-based
    counts["checkin"] = len(bulk.checkins)
    counts["sale"] = len(bulk.sales)
    db.session.commit()
    # Through the loyalty functions: top-ups and redemptions in time order, then the tiers
    # reached, then the last two days.
    for seq, (at, kind, n, amount, chance) in enumerate(events, start=1):
        member, person = made[n], people[n - 1]
        if kind == "topup" and at < cutoff:
            topups.topup_member(person["station"], member, f"DEMO-T{seq:06d}", amount, "wechat", now=at)
            counts["topup"] += 1
        elif kind == "redeem" and at < cutoff:
            _redeem(member, at, chance, seq)
            counts["redeem"] += 1
    start_tier = bulk.ladder[0][1] if bulk.ladder else None
    for member in made.values():  # only those the bulk saw climb: the others stay where they started
        if bulk.tier_of(member.id) != start_tier:
            tiers.after_sale(member, now=cutoff)
    for n, member in made.items():  # coupons in the wallet now: a welcome gift for a third of them
        if n % 3 == 0:
            coupons.issue(member, ("FULL200_20", "L92_30", "WASH_FREE")[n % 9 // 3], key=f"demo:gift:{n}",
                          source="manual", now=end - timedelta(days=n % 20))
    for seq, (at, kind, n, amount, chance) in enumerate(events, start=1):
        if at >= cutoff and kind == "sale":
            _sale(people[n - 1], made[n], at, amount, chance, seq)
            counts["sale"] += 1
    db.session.execute(update(Outbox).where(Outbox.status == "pending")
                       .values(status="sent", enqueued_at=end, sent_at=end))
    db.session.commit()
    return counts
