"""The default tag rules the demo seed writes (operators edit them in the console). Each
fits a habit of the demo history (loyalty/demo_history.py): fleet trucks take 120-260 L
of diesel every 3-5 days, taxis 40-58 L of 92# every 2-4 days, commuters 30-50 L every
6-11 days, occasional drivers 25-45 L every 14-30 days."""
from __future__ import annotations

from datetime import datetime

from extensions import db
from loyalty.books.ledger import utc
from loyalty.profiles import tag_rules
from models import TagRule

DEFAULTS = (
    ("commuter", "高频通勤", {"all": [
        {"field": "visits_per_month", "op": "between", "value": ["2.5", "8"]},
        {"field": "avg_litres_ml", "op": "<=", "value": 60000},
        {"field": "favourite_grade", "op": "in", "value": ["92", "95"]}]}),
    ("long_haul", "长途司机", {"all": [
        {"field": "avg_litres_ml", "op": ">=", "value": 100000},
        {"field": "favourite_grade", "op": "=", "value": "0"}]}),
    ("price_family", "价格敏感家庭", {"all": [
        {"field": "favourite_grade", "op": "=", "value": "92"},
        {"field": "avg_litres_ml", "op": "between", "value": [20000, 45000]},
        {"field": "visits_per_month", "op": "<", "value": "2.5"}]}),
    ("weekend", "周末车主", {"all": [
        {"field": "weekend_share_permille", "op": ">=", "value": 500},
        {"field": "visits_90d", "op": ">=", "value": 2}]}),
    ("high_frequency", "高频营运车", {"all": [{"field": "visits_per_month", "op": ">=", "value": "8"}]}),
    ("shop_lover", "便利店常客", {"all": [{"field": "shop_share_permille", "op": ">=", "value": 50}]}),
)


def seed(now: datetime | None = None) -> int:
    """Write the default rules (flushed); returns how many."""
    at = utc(now)
    db.session.add_all(TagRule(code=code, name=name, condition=tag_rules.validate(condition), active=True,
                               created_at=at, updated_at=at) for code, name, condition in DEFAULTS)
    db.session.flush()
    return len(DEFAULTS)
