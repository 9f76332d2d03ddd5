"""The rewards catalogue (积分商城): what a member may redeem, redeeming, gift pickup.

`redeem` is atomic and idempotent. A retried request (same key) returns the first
redemption and writes nothing more. Otherwise it validates, then writes, under the row
lock of the points account that pays (the family pool for a family member): every check
that can fail runs before the first write, and the one write that can still lose a race
(the stock decrement, against other members) is the first write; so an error leaves
nothing written, and the caller may commit or roll back as it likes.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update

from extensions import db
from loyalty.benefits import coupons, family
from loyalty.books import points
from loyalty.errors import (DuplicateConflict, InsufficientPoints, LimitReached, NotAllowed, NotFound,
                            OutOfStock, ValidationError)
from loyalty.books.ledger import lock_account, utc, whole
from loyalty.once import Done, run_once
from loyalty.people.members import account_of
from models import CouponTemplate, Member, Redemption, RewardItem, Station


@dataclass(frozen=True)
class CatalogueEntry:
    """An item as one member sees it."""
    item: RewardItem
    limit_left: int | None  # units the member may still redeem; None: no limit
    in_stock: bool
    affordable: bool


def _on_offer(now: datetime):
    return (RewardItem.active.is_(True),
            or_(RewardItem.starts_at.is_(None), RewardItem.starts_at <= now),
            or_(RewardItem.ends_at.is_(None), RewardItem.ends_at > now))


def catalogue(member: Member, now: datetime | None = None) -> list[CatalogueEntry]:
    """The items on offer now (active, inside their window), in display order, each with
    what this member may still take, whether it is in stock and whether they can afford it."""
    now = utc(now)
    items = db.session.scalars(select(RewardItem).where(*_on_offer(now))
                               .order_by(RewardItem.sort_order, RewardItem.points_price, RewardItem.id)).all()
    taken = dict(db.session.execute(
        select(Redemption.item_id, func.sum(Redemption.quantity))
        .where(Redemption.member_id == member.id, Redemption.status != "cancelled")
        .group_by(Redemption.item_id)).all())
    balance = points.spendable(account_of(member, "points"), now)
    return [CatalogueEntry(item=item,
                           limit_left=None if item.per_member_limit is None
                           else max(item.per_member_limit - int(taken.get(item.id, 0)), 0),
                           in_stock=item.stock is None or item.stock > 0,
                           affordable=balance >= item.points_price)
            for item in items]


def redeem(member: Member, item_code: str, quantity: int = 1, *, key: str,
           now: datetime | None = None) -> Redemption:
    """Redeem `quantity` units of the item for the member, paying points from the account
    they earn into. Idempotent on `key`: a retry returns the first redemption.

    Kinds: coupon -> coupons issued (source "redemption", key f"redeem:{key}", then
    f"redeem:{key}:2", ...; `coupon_id` is the first); gift -> an 8-digit pickup code,
    status awaiting_pickup; donation -> recorded, status completed. Points are spent with
    key f"redeem:{key}". Raises NotFound (unknown item), ValidationError (not on offer),
    NotAllowed (a family member the owner has not allowed to redeem), LimitReached,
    InsufficientPoints, OutOfStock; nothing is written on any of them."""
    first = _replay(key, member, item_code)
    if first is not None:
        return first
    whole(quantity, "quantity")
    now = utc(now)
    item = db.session.scalars(select(RewardItem).where(RewardItem.code == item_code)).first()
    if item is None:
        raise NotFound("兑换商品不存在", code=item_code)
    if db.session.scalar(select(RewardItem.id).where(RewardItem.id == item.id, *_on_offer(now))) is None:
        raise ValidationError("该商品当前不可兑换", code=item_code)
    if not family.can_redeem(member):
        raise NotAllowed("家庭积分的兑换由户主开通，请联系户主")
    if item.kind == "coupon":
        _check_template(item.coupon_template_code, now)

    # From here on the account is locked: the same member's (or family's) redemptions queue.
    account = lock_account(account_of(member, "points").id)
    first = _replay(key, member, item_code)  # a racing retry may have committed meanwhile
    if first is not None:
        return first
    if item.per_member_limit is not None:
        taken = db.session.scalar(
            select(func.coalesce(func.sum(Redemption.quantity), 0))
            .where(Redemption.member_id == member.id, Redemption.item_id == item.id,
                   Redemption.status != "cancelled"))
        if int(taken) + quantity > item.per_member_limit:
            raise LimitReached(f"每人限兑{item.per_member_limit}件", limit=item.per_member_limit, taken=int(taken))
    price = item.points_price * quantity
    balance = points.spendable(account, now)
    if balance < price:
        raise InsufficientPoints(f"积分不足，需要{price}积分，可用{balance}积分", needed=price, spendable=balance)

    # Writes. The stock goes first, by a conditional UPDATE: with many members racing for
    # the last units, each waits for the row and re-checks `stock >= quantity`, so the
    # item is never oversold, and a loser fails before writing anything.
    if item.stock is not None:
        moved = db.session.execute(
            update(RewardItem).where(RewardItem.id == item.id, RewardItem.stock >= quantity)
            .values(stock=RewardItem.stock - quantity).execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            raise OutOfStock(code=item_code)
        db.session.expire(item, ["stock"])
    redemption = Redemption(member_id=member.id, item_id=item.id, quantity=quantity, points=price,
                            request_key=key, created_at=now,
                            status="awaiting_pickup" if item.kind == "gift" else "completed",
                            pickup_code=_new_pickup_code() if item.kind == "gift" else None)
    db.session.add(redemption)
    db.session.flush()
    entry = points.spend(account, price, key=f"redeem:{key}", cause_type="redemption",
                         cause_ref=str(redemption.id), memo=item.name, now=now)
    redemption.spend_entry_id = entry.id
    if item.kind == "coupon":
        issued = [coupons.issue(member, item.coupon_template_code, source="redemption", now=now,
                                key=f"redeem:{key}" if n == 1 else f"redeem:{key}:{n}")
                  for n in range(1, quantity + 1)]
        redemption.coupon_id = issued[0].id
    db.session.flush()
    return redemption


def redeem_once(member: Member, item_code: str, *, key: str, now: datetime | None = None) -> Done[Redemption]:
    """`redeem` one unit through run_once, and commit: the chat's confirmation. A retry
    with the same key (a re-delivered or repeated confirmation) answers with the first
    redemption, created False. The errors of `redeem` roll back and are raised."""
    return run_once(f"redemption:{key}", lambda: _replay(key, member, item_code),
                    lambda: redeem(member, item_code, key=key, now=now))


def balance(member: Member, now: datetime | None = None) -> int:
    """The points the member can spend now (their family pool's, in a family)."""
    return points.spendable(account_of(member, "points"), utc(now))


def pickup_stations() -> list[str]:
    """The names of the stations a gift can be picked up at: every active station."""
    return list(db.session.scalars(select(Station.name).where(Station.active.is_(True)).order_by(Station.code)))


def pick_up(pickup_code: str, *, now: datetime | None = None) -> Redemption:
    """Hand a gift over at a station: awaiting_pickup -> picked_up, once (a conditional
    UPDATE, so two tills scanning the same code cannot both hand it over)."""
    moved = db.session.execute(update(Redemption)
                               .where(Redemption.pickup_code == pickup_code,
                                      Redemption.status == "awaiting_pickup")
                               .values(status="picked_up", picked_up_at=utc(now))
                               .execution_options(synchronize_session=False))
    found = db.session.scalars(select(Redemption).where(Redemption.pickup_code == pickup_code)
                               .execution_options(populate_existing=True)).first()
    if found is None:
        raise NotFound("提货码无效")
    if moved.rowcount != 1:
        raise ValidationError("该礼品已领取" if found.status == "picked_up" else "该兑换不可提货")
    return found


def _replay(key: str, member: Member, item_code: str) -> Redemption | None:
    found = db.session.scalars(select(Redemption).where(Redemption.request_key == key)).first()
    if found is not None and (found.member_id != member.id or found.item.code != item_code):
        raise DuplicateConflict("该兑换请求号已用于其他兑换", key=key)
    return found


def _check_template(code: str, now: datetime) -> None:
    template = db.session.scalars(select(CouponTemplate).where(CouponTemplate.code == code)).first()
    if template is None or not template.active:
        raise ValidationError("该优惠券已停止发放", code=code)
    valid_from, valid_until = coupons.validity(template, now)
    if valid_until <= max(now, valid_from):
        raise ValidationError("该优惠券的有效期已过", code=code)


def _new_pickup_code() -> str:
    # Random, not sequential: a code is what the staff hand a gift over for. The unique
    # constraint is the guard; the lookup just makes a collision (1 in 10^8) a retry.
    for _ in range(10):
        code = f"{secrets.randbelow(10 ** 8):08d}"
        if db.session.scalar(select(Redemption.id).where(Redemption.pickup_code == code)) is None:
            return code
    raise RuntimeError("no free pickup code after 10 tries")
