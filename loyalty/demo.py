"""Demo data for `make run` and for tests: three stations with prices, the fuel grades,
shop categories, the demo rule book (loyalty/data/demo-rules.yaml), top-up bonuses,
coupon templates, rewards and one member. Seeds only an empty database."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from extensions import db
from loyalty.people import members
from loyalty.books import stored_value
from loyalty.rules.loader import load_rules_file
from models import (CouponTemplate, FuelGrade, Member, RewardItem, ShopCategory, Station, StationPrice,
                    TopupBonusRule)

RULES = Path(__file__).parent / "data" / "demo-rules.yaml"
GRADES = [("92", "92#"), ("95", "95#"), ("98", "98#"), ("0", "0# 柴油")]
PRICES = {"92": 765, "95": 818, "98": 906, "0": 742}  # fen per litre
STATIONS = [("S001", "城东加油站", "杭州"), ("S002", "城西加油站", "杭州"), ("S003", "高速服务区站", "嘉兴")]
CATEGORIES = [("drinks", "饮料"), ("snacks", "零食"), ("car_care", "车品"), ("car_wash", "洗车")]
DEMO_PHONE = "13800138000"


def is_empty() -> bool:
    """True when no station exists yet."""
    return db.session.scalar(select(func.count()).select_from(Station)) == 0


def seed() -> dict:
    """Write the demo data into an empty database and commit; returns what was made."""
    if not is_empty():
        return {"seeded": False}
    db.session.add_all(FuelGrade(code=c, name=n) for c, n in GRADES)
    db.session.add_all(ShopCategory(code=c, name=n) for c, n in CATEGORIES)
    for code, name, city in STATIONS:
        station = Station(code=code, name=name, city=city)
        db.session.add(station)
        db.session.flush()
        db.session.add_all(StationPrice(station_id=station.id, grade_code=g, price_fen=p) for g, p in PRICES.items())
    db.session.add_all([
        TopupBonusRule(min_topup_fen=50000, bonus_fen=2000, label="充500送20"),
        TopupBonusRule(min_topup_fen=100000, bonus_fen=5000, label="充1000送50"),
    ])
    db.session.add_all([
        CouponTemplate(code="FULL200_20", name="满200减20", kind="amount_off", amount_fen=2000,
                       min_spend_fen=20000, valid_days=30),
        CouponTemplate(code="WASH_FREE", name="免费洗车", kind="free_item", item_category="car_wash",
                       valid_days=60),
        CouponTemplate(code="L92_30", name="92#每升减0.30元", kind="per_litre_off", per_litre_fen=30,
                       grades="92", valid_days=30),
        # The periodic notices' coupons (loyalty.policy birthday_coupon_template, recall_coupon_template).
        CouponTemplate(code="BIRTHDAY", name="生日礼券满100减10", kind="amount_off", amount_fen=1000,
                       min_spend_fen=10000, valid_days=7),
        CouponTemplate(code="RECALL", name="回归礼券满200减15", kind="amount_off", amount_fen=1500,
                       min_spend_fen=20000, valid_days=14),
    ])
    db.session.flush()
    db.session.add_all([
        RewardItem(code="COUPON_20", name="满200减20券", kind="coupon", points_price=500,
                   coupon_template_code="FULL200_20", per_member_limit=5),
        RewardItem(code="WATER", name="矿泉水一箱", kind="gift", points_price=800, stock=200, per_member_limit=2),
        RewardItem(code="DONATE", name="爱心捐赠 10 分", kind="donation", points_price=10),
    ])
    load_rules_file(RULES, commit=False)
    member = members.create_member(DEMO_PHONE, consent=True, plate="浙A12345", preferred_grade="92")
    stored_value.topup(members.account_of(member, "stored_value"), 100000, key="demo:topup", cause_ref="demo")
    db.session.commit()
    return {"seeded": True, "stations": len(STATIONS), "member": member.phone_masked}


def demo_member() -> Member | None:
    """The demo member, if seeded."""
    return members.find_by_phone(DEMO_PHONE)
