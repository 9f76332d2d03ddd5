"""Demo data for `make run` and for tests: three stations with prices, the fuel grades,
shop categories, the demo rule book (loyalty/data/demo-rules.yaml), top-up bonuses,
coupon templates, rewards, the default member tag rules
(loyalty/profiles/defaults.py) and one member. Seeds only an empty database.

    seed()           the small world the tests build on (above)
    seed_all(...)    what `flask demo seed` (and so `make run`) writes: seed(), then the rest of
                     the catalogue (10 rewards, 5 coupon templates), the staff logins (DEMO_STAFF,
                     one password) and six months of history (loyalty/demo_history.py)
"""
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
    from loyalty.profiles import defaults as default_tags
    default_tags.seed()
    member = members.create_member(DEMO_PHONE, consent=True, plate="浙A12345", preferred_grade="92")
    stored_value.topup(members.account_of(member, "stored_value"), 100000, key="demo:topup", cause_ref="demo")
    db.session.commit()
    return {"seeded": True, "stations": len(STATIONS), "member": member.phone_masked}


# The rest of the catalogue, for `make run` only (the tests' world keeps the three above).
MORE_TEMPLATES = [
    dict(code="PCT95", name="加油95折券", kind="percent_off", percent_bp=500, cap_fen=3000, min_spend_fen=10000,
         grades="92,95,98", valid_days=30),
    dict(code="BUNDLE_10", name="加油满30升+便利店满20元减10元", kind="bundle", amount_fen=1000,
         bundle_min_litres_ml=30000, bundle_min_shop_fen=2000, valid_days=30),
]
MORE_REWARDS = [
    dict(code="COUPON_L92", name="92#每升减0.30元券", kind="coupon", points_price=300, coupon_template_code="L92_30",
         per_member_limit=10),
    dict(code="COUPON_WASH", name="免费洗车券", kind="coupon", points_price=600, coupon_template_code="WASH_FREE",
         per_member_limit=4),
    dict(code="COUPON_PCT95", name="加油95折券", kind="coupon", points_price=900, coupon_template_code="PCT95",
         per_member_limit=3),
    dict(code="OIL_1L", name="机油 1 升", kind="gift", points_price=2000, stock=50, per_member_limit=1),
    dict(code="TISSUE", name="车载纸巾一盒", kind="gift", points_price=150, stock=500, per_member_limit=5),
    dict(code="UMBRELLA", name="折叠雨伞", kind="gift", points_price=1200, stock=80, per_member_limit=1),
    dict(code="DONATE_100", name="爱心捐赠 100 分", kind="donation", points_price=100),
]
# username -> (role, station, name shown on the till); one password for all (DEMO_PASSWORD).
DEMO_STAFF = {
    "cashier1": ("cashier", "S001", "收银员一"), "manager1": ("station_manager", "S001", "城东站长"),
    "cashier2": ("cashier", "S002", "收银员二"), "manager2": ("station_manager", "S002", "城西站长"),
    "cashier3": ("cashier", "S003", "收银员三"), "manager3": ("station_manager", "S003", "服务区站长"),
    "admin": ("hq_admin", None, "总部管理员"),
}
DEMO_PASSWORD = "youka-demo-2026"


def seed_all(password: str = DEMO_PASSWORD, members: int = 200, history_seed: int = 2026) -> dict:
    """Everything `make run` shows on day one, into an empty database (committed); returns
    what was made, or {"seeded": False} when the database was not empty."""
    from loyalty import demo_history
    from loyalty.people import staff
    result = seed()
    if not result["seeded"]:
        return result
    db.session.add_all(CouponTemplate(**fields) for fields in MORE_TEMPLATES)
    db.session.flush()
    db.session.add_all(RewardItem(sort_order=10 + i, **fields) for i, fields in enumerate(MORE_REWARDS))
    for username, (role, station, name) in DEMO_STAFF.items():
        staff.create_staff(username, password, role=role, station_code=station, display_name=name)
    db.session.commit()
    history = demo_history.generate(seed=history_seed, members=members) if members else {}
    if members:  # the console shows profiles, segments and tags on day one
        from loyalty.profiles import compute
        compute.run()
        db.session.commit()
    return {**result, "staff": list(DEMO_STAFF), "history": history}


def demo_member() -> Member | None:
    """The demo member, if seeded."""
    return members.find_by_phone(DEMO_PHONE)
