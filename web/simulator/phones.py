"""The simulated phones: each is a WeChat user (an openid) in a phone with a SIM number
(where the console SMS backend's codes for that number show up as "106 短信").

Development state, so it lives in Redis, not in a table: a hash of openid -> JSON. The first
phone ("我的手机", SIM 13800138000, the demo member's number, not yet bound) is made on
first use; members of the generated demo history who have an openid can be added too.
"""
from __future__ import annotations

import json
import random
import secrets
import string
import time

from sqlalchemy import select

from extensions import db, get_redis
from loyalty import demo
from loyalty.people import members
from models import Member, Tier, WeChatBinding

KEY = "simulator:phones"
FIRST = {"openid": "demo-openid", "name": "我的手机", "phone": demo.DEMO_PHONE}


def _openid() -> str:
    # WeChat's openids are 28 characters of [A-Za-z0-9_-], starting with "o".
    return "o" + "".join(secrets.choice(string.ascii_letters + string.digits + "_-") for _ in range(27))


def _save(phone: dict) -> dict:
    phone.setdefault("added", time.time())
    get_redis().hset(KEY, phone["openid"], json.dumps(phone, ensure_ascii=False))
    return phone


def all_phones() -> list[dict]:
    """Every simulated phone, in the order they were added (the first one made if none)."""
    raw = get_redis().hgetall(KEY)
    if not raw:
        return [_save(dict(FIRST))]
    return sorted((json.loads(v) for v in raw.values()), key=lambda p: p["added"])


def get(openid: str) -> dict | None:
    raw = get_redis().hget(KEY, openid)
    if raw is None:
        return next((p for p in all_phones() if p["openid"] == openid), None)
    return json.loads(raw)


def _unused_number() -> str:
    taken = set(db.session.scalars(select(Member.phone)))
    taken.update(p["phone"] for p in all_phones())
    while True:
        number = "139" + "".join(random.choice(string.digits) for _ in range(8))
        if number not in taken:
            return number


def create(name: str | None = None, phone: str | None = None) -> dict:
    """A new phone: a new openid (not following yet), the given or an unused SIM number."""
    number = members.normalise_phone(phone) if phone else _unused_number()
    count = len(all_phones())
    return _save({"openid": _openid(), "name": (name or "").strip()[:20] or f"手机 {count + 1}", "phone": number})


def demo_members(limit: int = 6) -> list[dict]:
    """Members of the demo history who have an openid, best tiers first: phones to add."""
    rows = db.session.execute(
        select(WeChatBinding.openid, Member.phone, Tier.name)
        .join(Member, Member.id == WeChatBinding.member_id).outerjoin(Tier, Tier.id == Member.tier_id)
        .where(WeChatBinding.openid.like("o-demo-%"), Member.deleted_at.is_(None))
        .order_by(Tier.rank.desc(), WeChatBinding.openid).limit(limit)).all()
    return [{"openid": r.openid, "phone": r.phone, "tier": r.name or ""} for r in rows]


def add_existing(openid: str, phone: str, name: str) -> dict:
    """Put a demo member's WeChat into a simulated phone (kept if already there)."""
    found = get_redis().hget(KEY, openid)
    return json.loads(found) if found else _save({"openid": openid, "name": name[:20], "phone": phone})
