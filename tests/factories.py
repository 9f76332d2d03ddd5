"""Shared test factories (one module, as Redash's tests/factories.py): members bound to
an openid, points lots at a known time, sales through the real commit path.

Each factory commits, as the code under test would see committed data."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from extensions import db
from loyalty.books import points
from loyalty.people import members
from loyalty.policy import BUSINESS_TZ
from loyalty.till import sales
from loyalty.till.pricing import FuelLine
from models import Member, Sale, WeChatBinding


def make_member(phone: str = "13800000001", *, openid: str | None = None, **fields) -> Member:
    """A member (create_member: both accounts, starting tier), bound to `openid` when given."""
    member = members.create_member(phone, **fields)
    if openid is not None:
        bind(member, openid)
    db.session.commit()
    return member


def bind(member: Member, openid: str) -> WeChatBinding:
    """Bind one more openid to the member (committed)."""
    binding = WeChatBinding(openid=openid, member_id=member.id)
    db.session.add(binding)
    db.session.commit()
    return binding


def give_points(member: Member, amount: int, at: datetime, key: str | None = None) -> None:
    """Earn `amount` points as one lot at `at` (expiry follows the policy), committed."""
    points.earn(members.account_of(member, "points"), amount, key=key or f"test:earn:{member.id}:{at.isoformat()}",
                cause_type="test", now=at)
    db.session.commit()


def spend_points(member: Member, amount: int, at: datetime, key: str | None = None) -> None:
    points.spend(members.account_of(member, "points"), amount, key=key or f"test:spend:{member.id}:{at.isoformat()}",
                 cause_type="test", now=at)
    db.session.commit()


def fuel_sale(member: Member | None, litres: str, *, grade: str = "92", unit_price_fen: int = 765,
              at: datetime, station: str = "S001", txn: str | None = None, pay_with: str = "external") -> Sale:
    """A fuel sale committed through loyalty.till.sales.commit (needs demo.seed()'s stations and rules)."""
    line = FuelLine(grade=grade, litres_ml=int(Decimal(litres) * 1000), unit_price_fen=unit_price_fen)
    return sales.commit(station, txn or f"T{at:%Y%m%d%H%M%S}", [line],
                        member_id=member.id if member else None, pay_with=pay_with, now=at).sale


def on_weekday(start: datetime, member_day: bool) -> datetime:
    """The first moment from `start` on, a whole number of days later, that is (or is not)
    a Tuesday in Shanghai: the demo rules' member day, which doubles points."""
    at = start
    while (at.astimezone(BUSINESS_TZ).isoweekday() == 2) != member_day:
        at += timedelta(days=1)
    return at


def sms_codes(runner, phone: str) -> list[dict]:
    """The console SMS outbox's messages to `phone`, oldest first, read through
    `flask sms outbox --phone P` (JSON lines)."""
    import json
    result = runner.invoke(args=["sms", "outbox", "--phone", phone, "--last", "50"])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def last_sms_code(runner, phone: str) -> str:
    """The code of the latest SMS to `phone` (the console backend's outbox)."""
    return sms_codes(runner, phone)[-1]["code"]
