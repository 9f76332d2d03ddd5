"""What each export reads (one Core SELECT of plain columns, in id order, no ORM objects)
and the CSV columns it writes (label, cell of a row). docs/console.md lists the columns.

Which date and station each kind filters on:
    members   joined (created_at) in the range; station: members with a sale there; erased members left out
    sales     the sale's time; station: the sale's
    ledger    the entry's time; station: entries caused by a sale, a refund or a top-up there
    coupons   issued in the range; station: coupons used in a sale there
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import BigInteger, Select, and_, case, cast, exists, or_, select

from loyalty.books.ledger import as_utc
from loyalty.people.members import mask_phone
from loyalty.policy import BUSINESS_TZ
from loyalty.till.pricing import fen_to_yuan
from models import Account, Coupon, CouponTemplate, LedgerEntry, Member, Sale, Station, Tier

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text(value) -> str:
    """Free text as a cell Excel shows as text, never runs as a formula (a company named
    "=HYPERLINK(...)" gets a leading apostrophe)."""
    if value is None:
        return ""
    value = str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def moment(value: datetime | None) -> str:
    """A stored UTC time as Shanghai time: 2026-12-01 08:30:05."""
    return "" if value is None else f"{as_utc(value).astimezone(BUSINESS_TZ):%Y-%m-%d %H:%M:%S}"


def yuan(fen) -> str:
    return "" if fen is None else fen_to_yuan(int(fen))


def litres(ml) -> str:
    """Millilitres as litres, all three decimals: 30005 -> "30.005" (exact, no rounding)."""
    ml = int(ml or 0)
    return f"{ml // 1000}.{ml % 1000:03d}"


def phone(value) -> str:
    return "" if value is None else mask_phone(value)


def yes_no(value) -> str:
    return "是" if value else "否"


def plain(name: str) -> Callable:
    return lambda row: "" if getattr(row, name) is None else str(getattr(row, name))


def of(name: str, fn: Callable) -> Callable:
    return lambda row: fn(getattr(row, name))


@dataclass(frozen=True)
class Export:
    query: Callable[["Filters"], Select]  # noqa: F821 (loyalty.exports.Filters)
    columns: tuple[tuple[str, Callable], ...]


def _members(f) -> Select:
    query = (select(Member.id, Member.phone, Member.identity, Member.plate, Member.company, Member.vehicle_type,
                    Tier.name.label("tier"), Member.following, Member.created_at, Member.consent_at)
             .outerjoin(Tier, Tier.id == Member.tier_id)
             .where(Member.deleted_at.is_(None), Member.created_at >= f.since, Member.created_at < f.until)
             .order_by(Member.id))
    if f.station_id is not None:
        query = query.where(exists().where(Sale.member_id == Member.id, Sale.station_id == f.station_id))
    return query


def _sales(f) -> Select:
    query = (select(Sale.id, Sale.created_at, Station.code.label("station"), Station.name.label("station_name"),
                    Sale.pos_txn_no, Sale.member_id, Member.phone, Sale.nozzle, Sale.litres_ml, Sale.gross_fen,
                    Sale.discount_fen, Sale.payable_fen, Sale.pay_with, Sale.paid_from_balance_fen,
                    Sale.points_earned, Sale.refunded_fen)
             .join(Station, Station.id == Sale.station_id).outerjoin(Member, Member.id == Sale.member_id)
             .where(Sale.created_at >= f.since, Sale.created_at < f.until).order_by(Sale.id))
    if f.station_id is not None:
        query = query.where(Sale.station_id == f.station_id)
    return query


# A sale's or a refund's entries name the sale (cause_ref = its id); a top-up's, "S001:<number>".
_SALE_ID = case((LedgerEntry.cause_type.in_(("sale", "refund")), cast(LedgerEntry.cause_ref, BigInteger)))


def _ledger(f) -> Select:
    query = (select(LedgerEntry.id, LedgerEntry.created_at, Account.kind.label("account_kind"),
                    LedgerEntry.account_id, Account.member_id, Account.family_id, LedgerEntry.kind,
                    LedgerEntry.amount, LedgerEntry.bucket, LedgerEntry.cause_type, LedgerEntry.cause_ref,
                    Station.code.label("station"), LedgerEntry.memo)
             .join(Account, Account.id == LedgerEntry.account_id)
             .outerjoin(Sale, Sale.id == _SALE_ID).outerjoin(Station, Station.id == Sale.station_id)
             .where(LedgerEntry.created_at >= f.since, LedgerEntry.created_at < f.until).order_by(LedgerEntry.id))
    if f.station_id is not None:
        query = query.where(or_(Sale.station_id == f.station_id,
                                and_(LedgerEntry.cause_type == "topup",
                                     LedgerEntry.cause_ref.like(f"{_like(f.station_code)}:%", escape="\\"))))
    return query


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _coupons(f) -> Select:
    query = (select(Coupon.id, Coupon.member_id, CouponTemplate.code.label("template"),
                    CouponTemplate.name.label("template_name"), Coupon.source, Coupon.status, Coupon.issued_at,
                    Coupon.valid_from, Coupon.valid_until, Coupon.used_at, Coupon.used_sale_id,
                    Station.code.label("station"))
             .join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
             .outerjoin(Sale, Sale.id == Coupon.used_sale_id).outerjoin(Station, Station.id == Sale.station_id)
             .where(Coupon.issued_at >= f.since, Coupon.issued_at < f.until).order_by(Coupon.id))
    if f.station_id is not None:
        query = query.where(Sale.station_id == f.station_id)
    return query


def _entry_station(row) -> str:
    if row.station:
        return row.station
    return row.cause_ref.split(":", 1)[0] if row.cause_type == "topup" and row.cause_ref else ""


def _points(row) -> str:
    return str(row.amount) if row.account_kind == "points" else ""


def _money(row) -> str:
    return yuan(row.amount) if row.account_kind != "points" else ""


EXPORTS = {
    "members": Export(_members, (
        ("会员ID", plain("id")), ("手机号（已遮盖）", of("phone", phone)), ("身份", plain("identity")),
        ("车牌", of("plate", text)), ("单位", of("company", text)), ("车型", of("vehicle_type", text)),
        ("等级", of("tier", text)), ("关注公众号", of("following", yes_no)), ("入会时间", of("created_at", moment)),
        ("同意隐私条款时间", of("consent_at", moment)))),
    "sales": Export(_sales, (
        ("消费ID", plain("id")), ("时间", of("created_at", moment)), ("油站代码", plain("station")),
        ("油站", of("station_name", text)), ("POS流水号", of("pos_txn_no", text)), ("会员ID", plain("member_id")),
        ("会员手机号（已遮盖）", of("phone", phone)), ("油枪", of("nozzle", text)), ("升数", of("litres_ml", litres)),
        ("应收（元）", of("gross_fen", yuan)), ("优惠（元）", of("discount_fen", yuan)),
        ("实付（元）", of("payable_fen", yuan)), ("支付方式", plain("pay_with")),
        ("储值支付（元）", of("paid_from_balance_fen", yuan)), ("获得积分", plain("points_earned")),
        ("已退款（元）", of("refunded_fen", yuan)))),
    "ledger": Export(_ledger, (
        ("流水ID", plain("id")), ("时间", of("created_at", moment)), ("账户类型", plain("account_kind")),
        ("账户ID", plain("account_id")), ("会员ID", plain("member_id")), ("家庭ID", plain("family_id")),
        ("类型", plain("kind")), ("积分", _points), ("金额（元）", _money), ("资金类别", plain("bucket")),
        ("原因", plain("cause_type")), ("原因编号", of("cause_ref", text)), ("油站代码", _entry_station),
        ("备注", of("memo", text)))),
    "coupons": Export(_coupons, (
        ("券ID", plain("id")), ("会员ID", plain("member_id")), ("模板代码", plain("template")),
        ("模板名称", of("template_name", text)), ("来源", plain("source")), ("状态", plain("status")),
        ("发放时间", of("issued_at", moment)), ("生效时间", of("valid_from", moment)),
        ("失效时间", of("valid_until", moment)), ("使用时间", of("used_at", moment)),
        ("使用消费ID", plain("used_sale_id")), ("使用油站代码", plain("station")))),
}
