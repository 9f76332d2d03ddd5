"""Every configuration change the console makes, one function per kind, each one
transaction that also writes its change record (loyalty.changes):

    save_rule_book(yaml_text, ...)            the earning rules (and tiers, if the YAML has them)
    save_tier(code, form, ...)                one tier's threshold and privileges
    save_coupon_template(code, form, ...)     create or edit a coupon template
    save_reward(code, form, ...)              create or edit a rewards-catalogue item
    save_topup_bonus_rule(rule_id, form, ...) create (rule_id None) or edit a top-up bonus rule
    save_tag_rule(code, form, ...)            create or edit a member tag rule (loyalty.profiles.tag_rules)
    save_notice_template(channel, kind, form, ...)  a notice kind's template on a channel (or none), or
                                              back to config.py's default (form["action"] == "reset")
    save_reply_text(name, text, ...)          an operator's wording of a reply; text None: the shipped one

Each validates, reads the object before, applies, reads it after, and ends in `_commit`,
the one place every configuration change passes: the record is written there, and so
is anything else a change must do: a cache of reference data bumps its version there (the
database's triggers), and a change members read in cached chat replies moves the
generation counters those copies watch (loyalty.generations, after the commit).
Each commits; a bad value raises ValidationError naming the field and changes nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty import changes, generations, reply_texts
from loyalty.config_fields import COUPON_TEMPLATE, REWARD, TIER, TOPUP_BONUS_RULE, check_code, clean
from loyalty.errors import NotFound, ValidationError
from loyalty.rules import export
from loyalty.rules.loader import LoadSummary, forget_cached_ruleset, load_rules, parse_yaml
from loyalty.rules.schema import parse_tiers
from loyalty.transaction import all_or_nothing, constraints_refused
from loyalty.notices import templates as notice_templates
from models import CouponTemplate, NoticeTemplate, ReplyText, RewardItem, Staff, TagRule, Tier, TopupBonusRule


def _commit(kind: str, key: str, action: str, before: dict | None, after: dict | None, *,
            staff: Staff, reason: str, now: datetime | None, touches: tuple[str, ...] = ()) -> None:
    """Record the change and commit it with the change itself: the one exit of every edit.
    `touches`: the generation counters to move once it has committed."""
    with all_or_nothing(), constraints_refused():
        changes.record(kind, key, action, staff=staff, reason=reason, before=before, after=after, now=now)
        if touches:
            generations.touch(*touches)
        db.session.commit()


def _flush_or_refuse() -> None:
    with constraints_refused():
        db.session.flush()


def save_rule_book(yaml_text: str, *, staff: Staff, reason: str, now: datetime | None = None) -> LoadSummary:
    """Replace the active rule book with the YAML an operator typed (docs/rules.md); a
    `tiers` section replaces the tiers too. The record holds both documents, tiers included."""
    reason = changes.require_reason(reason)
    data = parse_yaml(yaml_text)
    before = export.rule_book(with_tiers=True)
    with all_or_nothing():
        summary = load_rules(data, source="console", commit=False)
    forget_cached_ruleset()
    _commit("rule_book", "active", "update", before, export.rule_book(with_tiers=True),
            staff=staff, reason=reason, now=now)
    return summary


def save_tier(code: str, form, *, staff: Staff, reason: str, now: datetime | None = None) -> Tier:
    """Edit one tier (its code stays); the whole ladder must still hold (thresholds rising
    from 0, loyalty.rules.schema), and a reward coupon must exist."""
    reason = changes.require_reason(reason)
    tier = db.session.scalars(select(Tier).where(Tier.code == code)).first()
    if tier is None:
        raise NotFound("等级不存在", field="code")
    values = clean(TIER, form)
    ladder = export.tiers()
    for item in ladder:
        if item["code"] == code:
            item.update({k: v for k, v in values.items() if v is not None})
            for optional in ("perks", "upgrade_reward_coupon"):
                if values[optional] is None:
                    item.pop(optional, None)
    spec = next(s for s in parse_tiers(ladder) if s.code == code)
    if spec.upgrade_reward_coupon and _template(spec.upgrade_reward_coupon) is None:
        raise ValidationError(f"优惠券模板 {spec.upgrade_reward_coupon} 不存在", field="upgrade_reward_coupon")
    before = changes.snapshot(tier, [f.name for f in TIER])
    for name, value in spec.fields().items():
        if name != "is_trial":
            setattr(tier, name, value)
    _flush_or_refuse()
    forget_cached_ruleset()
    _commit("tier", code, "update", before, changes.snapshot(tier, [f.name for f in TIER]),
            staff=staff, reason=reason, now=now)
    return tier


def _template(code: str) -> CouponTemplate | None:
    return db.session.scalars(select(CouponTemplate).where(CouponTemplate.code == code)).first()


def _save(model, kind: str, row, fields, values: dict, *, create: dict, staff, reason, now):
    names = [f.name for f in fields]
    before = None if row is None else changes.snapshot(row, names)
    if row is None:
        row = model(**create)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    _flush_or_refuse()
    key = create.get("code") or str(row.id)
    _commit(kind, key, "create" if before is None else "update", before, changes.snapshot(row, names),
            staff=staff, reason=reason, now=now)
    return row


def save_coupon_template(code: str, form, *, staff: Staff, reason: str, now: datetime | None = None) -> CouponTemplate:
    """Create the template `code`, or edit it. Coupons already issued keep their terms
    where they hold them (validity); the template's discount terms apply to later sales."""
    reason, code = changes.require_reason(reason), check_code(code)
    values = clean(COUPON_TEMPLATE, form)
    values["min_spend_fen"] = values["min_spend_fen"] or 0
    return _save(CouponTemplate, "coupon_template", _template(code), COUPON_TEMPLATE, values,
                 create={"code": code}, staff=staff, reason=reason, now=now)


def save_reward(code: str, form, *, staff: Staff, reason: str, now: datetime | None = None) -> RewardItem:
    """Create the catalogue item `code`, or edit it (price, stock, per-member limit, window)."""
    reason, code = changes.require_reason(reason), check_code(code)
    values = clean(REWARD, form)
    values["sort_order"] = values["sort_order"] or 0
    if values["coupon_template_code"] and _template(values["coupon_template_code"]) is None:
        raise ValidationError("优惠券模板不存在", field="coupon_template_code")
    row = db.session.scalars(select(RewardItem).where(RewardItem.code == code)).first()
    return _save(RewardItem, "reward", row, REWARD, values, create={"code": code},
                 staff=staff, reason=reason, now=now)


def save_topup_bonus_rule(rule_id: int | None, form, *, staff: Staff, reason: str,
                          now: datetime | None = None) -> TopupBonusRule:
    """Create a top-up bonus rule (rule_id None) or edit rule `rule_id`."""
    reason = changes.require_reason(reason)
    values = clean(TOPUP_BONUS_RULE, form)
    row = None
    if rule_id is not None:
        row = db.session.get(TopupBonusRule, rule_id)
        if row is None:
            raise NotFound("充值赠送规则不存在", field="rule_id")
    return _save(TopupBonusRule, "topup_bonus_rule", row, TOPUP_BONUS_RULE, values, create={},
                 staff=staff, reason=reason, now=now)


TAG_RULE_FIELDS = ("name", "condition", "active")


def save_tag_rule(code: str, form, *, staff: Staff, reason: str, new: bool = False,
                  now: datetime | None = None) -> TagRule:
    """Create the tag rule `code`, or edit its name, condition (JSON or YAML, validated by
    loyalty.profiles.tag_rules) and whether it is active. Members' tags follow at the next
    profile run. A rule is never deleted: it is made inactive. `new`: refuse an existing code."""
    from loyalty.books.ledger import utc
    from loyalty.profiles import tag_rules
    reason, code = changes.require_reason(reason), check_code(code)
    name = changes.check_plain((form.get("name") or "").strip(), "name")
    if not 1 <= len(name) <= 32:
        raise ValidationError("名称须为 1 到 32 个字", field="name")
    condition = tag_rules.parse(form.get("condition") or "")
    active = form.get("active") not in (None, "", "0", "false", "off")
    row = db.session.get(TagRule, code)
    if new and row is not None:
        raise ValidationError(f"标签代码 {code} 已存在", field="code")
    before = None if row is None else changes.snapshot(row, TAG_RULE_FIELDS)
    at = utc(now)
    if row is None:
        row = TagRule(code=code, created_at=at)
        db.session.add(row)
    row.name, row.condition, row.active, row.updated_at = name, condition, active, at
    _flush_or_refuse()
    _commit("tag_rule", code, "create" if before is None else "update", before,
            changes.snapshot(row, TAG_RULE_FIELDS), staff=staff, reason=reason, now=now)
    return row


def save_notice_template(channel: str, kind: str, form, *, staff: Staff, reason: str,
                         now: datetime | None = None) -> dict | None:
    """Set the template `kind` is sent with on `channel` (form: template_id, keys one a line
    `thing1 = station`, link, active), checked against the kind's fields (loyalty.notices.
    templates); `active` unset switches the channel off for the kind; `action` "reset" goes
    back to config.py's default. Returns the entry in force after."""
    reason = changes.require_reason(reason)
    if channel not in notice_templates.CHANNELS or kind not in {k.value for k in notice_templates.kinds_of(channel)}:
        raise NotFound("没有这种通知类型或发送渠道", field="kind")
    row = db.session.scalars(select(NoticeTemplate).where(NoticeTemplate.channel == channel,
                                                          NoticeTemplate.kind == kind)).first()
    before = notice_templates.current(channel, kind)
    action = "reset" if form.get("action") == "reset" else "update"
    if action == "reset":
        if row is not None:
            db.session.delete(row)
    else:
        active = form.get("active") not in (None, "", "0", "false", "off")
        entry = None
        if active:
            link = (form.get("link") or "").strip() or None
            entry = notice_templates.check(channel, kind, {
                "template_id": (form.get("template_id") or "").strip(),
                "keys": notice_templates.parse_keys(form.get("keys") or ""), "link": link})
        if row is None:
            row = NoticeTemplate(channel=channel, kind=kind)
            db.session.add(row)
        row.active = entry is not None
        row.template_id = entry["template_id"] if entry else ""
        row.keys = entry["keys"] if entry else {}
        row.link = entry["link"] if entry else None
    _flush_or_refuse()
    after = notice_templates.current(channel, kind)
    _commit("notice_template", f"{channel}:{kind}", action, _noted(before), _noted(after),
            staff=staff, reason=reason, now=now)
    return after


def _noted(entry: dict | None) -> dict:
    return {"active": False} if entry is None else {"active": True, **entry}


def save_reply_text(name: str, text: str | None, *, staff: Staff, reason: str,
                    now: datetime | None = None) -> str | None:
    """Reword the reply `name` (checked by loyalty.reply_texts: its placeholders only, the
    required ones present), or with text None go back to the shipped wording. Cached chat
    replies are dropped once it commits (generations.EVERYTHING). Returns the stored text."""
    reason = changes.require_reason(reason)
    reply_texts.editable(name)
    stored = None if text is None else reply_texts.check(name, text)
    row = db.session.get(ReplyText, name)
    before = {"text": row.text if row else None}
    if stored is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(ReplyText(name=name, text=stored))
    else:
        row.text = stored
    _flush_or_refuse()
    _commit("reply_text", name, "reset" if stored is None else "update", before, {"text": stored},
            staff=staff, reason=reason, now=now, touches=(generations.EVERYTHING,))
    return stored
