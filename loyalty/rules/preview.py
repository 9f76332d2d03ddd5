"""The rule book editor's preview: "this sale would earn N points, line by line", for a
chosen member, a typed sale and a draft rule book that is not saved.

The sale is priced as the till prices it (loyalty.till.sales.price: the member's tier and
member-day discounts), and its points are evaluated with the draft's rules; the tier
multipliers come from the draft's tiers when it has a tiers section, else from the
tiers as they are. The member's points already earned today count against the day cap.
Nothing is written."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty.books.ledger import utc
from loyalty.rules import engine
from loyalty.rules.loader import parse_yaml, tier_multipliers
from loyalty.rules.schema import parse_document
from loyalty.till import sales
from models import Member, Station, Tier


def preview(yaml_text: str, member: Member, station: Station, lines, *, at: datetime | None = None
            ) -> engine.PointsBreakdown:
    """The points the draft `yaml_text` would give `member` for `lines` at `station` at `at`;
    ValidationError (naming the field) for a bad draft or a bad line."""
    at = utc(at)
    document = parse_document(parse_yaml(yaml_text))
    tiers = document.tiers if document.tiers is not None else db.session.scalars(select(Tier).order_by(Tier.rank)).all()
    ruleset = replace(document.ruleset,
                      multipliers=tuple(tier_multipliers(tiers)) + tuple(document.ruleset.multipliers))
    quote = sales.price(station, list(lines), member=member, now=at).quote
    tier = db.session.get(Tier, member.tier_id) if member.tier_id else None
    facts = engine.SaleFacts(at=at, station_code=station.code, lines=[
        engine.FuelLine(q.line.grade, q.line.litres_ml, q.paid_fen) if q.line.kind == "fuel"
        else engine.ShopLine(q.line.category, q.paid_fen) for q in quote.lines])
    who = engine.MemberFacts(tier_code=tier.code if tier else None, identity=member.identity,
                             birthday=member.birthday)
    return engine.evaluate(facts, who, earned_today=sales.earned_today(member, at), ruleset=ruleset)
