"""A campaign's life: saved as a draft (segment, schedule, arms, holdout, window), then
launched, paused, resumed, stopped. Every change writes a change record (`campaign`)
in the same transaction; each function commits.

- Only a draft is edited: once members are in, the arms and shares stay as they were
  (the assignment recorded is never re-drawn, and new entrants are cut the same way).
- Launching a `once` campaign enters its segment at once, that one time
  (loyalty.campaigns.entry); a `trigger` campaign evaluates its trigger at launch (and
  at a resume), then in the daily run (loyalty.campaigns.triggers) while it is running.
- Paused: the daily run passes it over; stopped: for good (its report stays).
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from extensions import db
from loyalty import changes
from loyalty.books.ledger import utc
from loyalty.campaigns import entry, filters, segments
from loyalty.config_fields import CODE, check_code
from loyalty.errors import NotFound, ValidationError
from loyalty.transaction import all_or_nothing, constraints_refused
from models import Campaign, CampaignArm, CouponTemplate, Segment, Staff

MAX_ARMS = 5
ARM_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")
FIELDS = ("name", "segment", "schedule", "trigger", "cooldown_days", "holdout_bp", "window_days", "conversion",
          "min_amount_fen", "status", "launched_at", "stopped_at")
MOVES = {"launch": (("draft", "paused"), "running"), "pause": (("running",), "paused"),
         "stop": (("draft", "running", "paused"), "stopped")}


def get(code: str) -> Campaign:
    campaign = None
    if CODE.match((code or "").strip()):
        campaign = db.session.scalars(select(Campaign).where(Campaign.code == code.strip())).first()
    if campaign is None:
        raise NotFound("营销活动不存在", field="code")
    return campaign


def snapshot(c: Campaign) -> dict:
    data = {name: getattr(c, name) for name in FIELDS if name != "segment"}
    data["segment"] = c.segment.code if c.segment else None
    data["arms"] = [{"code": a.code, "holdout": a.holdout, "weight": a.weight,
                     "coupon_template_id": a.coupon_template_id, "points": a.points, "message": a.message, "sms_text": a.sms_text} for a in c.arms]
    return changes.jsonable(data)


def _int(form: dict, name: str, low: int, high: int, default: int | None = None) -> int | None:
    raw = str(form.get(name) if form.get(name) is not None else "").strip()
    if raw == "":
        if default is None:
            return None
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(f"{name} 应为 {low}-{high} 的整数", field=name)
    return int(raw)


def _text(value, name: str, limit: int) -> str | None:
    value = changes.check_plain((value or "").strip(), name)
    if len(value) > limit:
        raise ValidationError(f"{name} 最长 {limit} 字", field=name)
    return value or None


def _arms(raw: list[dict]) -> list[dict]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ARMS:
        raise ValidationError(f"方案应有 1-{MAX_ARMS} 个", field="arms")
    arms, seen = [], set()
    for n, arm in enumerate(raw):
        code = str(arm.get("code") or f"A{n + 1}").strip()
        if not ARM_CODE.fullmatch(code) or code in seen or code == "holdout":
            raise ValidationError(f"方案代码 {code} 不对（1-16 位字母数字，不重复，不用 holdout）", field="arms")
        seen.add(code)
        template = None
        coupon = str(arm.get("coupon") or "").strip()
        if coupon:
            template = None
            if CODE.match(coupon):
                template = db.session.scalars(select(CouponTemplate).where(CouponTemplate.code == coupon)).first()
            if template is None:
                raise ValidationError(f"优惠券模板 {coupon[:32]} 不存在", field="arms")
        message = _text(arm.get("message"), "message", 300)
        if message is None:
            raise ValidationError("每个方案都要有消息内容", field="arms")
        arms.append({"code": code, "position": n + 1, "weight": _int(arm, "weight", 0, 1000, 1),
                     "coupon_template_id": template.id if template else None,
                     "points": _int(arm, "points", 1, 100_000), "message": message,
                     "sms_text": _text(arm.get("sms_text"), "sms_text", 140)})
    if not any(a["weight"] > 0 for a in arms):
        raise ValidationError("至少一个方案的权重大于 0", field="arms")
    return arms


def _trigger(form: dict) -> dict | None:
    raw = form.get("trigger")
    if raw in (None, "", {}):
        return None
    spec = segments.parse([raw] if isinstance(raw, dict) else (raw if raw.strip().startswith("[") else
                                                             f"[{raw}]"))[0]
    if not filters.REGISTRY[spec["filter"]].trigger:
        raise ValidationError(f"{filters.REGISTRY[spec['filter']].label} 不能作为每日触发条件", field="trigger")
    return spec


def save(code: str, form: dict, *, staff: Staff | None, reason: str, now: datetime | None = None,
         new_segment: tuple[str, list] | None = None) -> Campaign:
    """Create the draft `code`, or edit it (drafts only). `form`: name, segment (code),
    schedule (once / trigger), trigger (a filter spec), cooldown_days, holdout_pct (0-99,
    default 10), window_days (default 14), conversion, min_amount_fen, arms (list of
    {code, weight, coupon, points, message, sms_text}). `new_segment` (name,
    filters): make the segment `form["segment"]` first when it does not exist yet, in the
    same transaction (the recall preset's segment). Everything is checked before
    anything is written."""
    reason, code = changes.require_reason(reason), check_code(code)
    if code == "segments":  # /admin/campaigns/segments is the segments' page
        raise ValidationError("活动代码不能是 segments", field="code")
    campaign = db.session.scalars(select(Campaign).where(Campaign.code == code)).first()
    if campaign is not None and campaign.status != "draft":
        raise ValidationError("活动已启动，不能再修改方案与人群", field="status")
    name = _text(form.get("name"), "name", 64)
    if name is None:
        raise ValidationError("请填写活动名称", field="name")
    segment_code = (form.get("segment") or "").strip()
    segment = segments.find(segment_code)
    if segment is None and new_segment is None:
        raise NotFound("人群不存在", field="segment")
    schedule = form.get("schedule") or "once"
    if schedule not in ("once", "trigger"):
        raise ValidationError("执行方式只能是一次或每日触发", field="schedule")
    trigger = _trigger(form)
    if schedule == "trigger" and trigger is None:
        raise ValidationError("每日触发的活动需要触发条件", field="trigger")
    conversion = form.get("conversion") or "visit"
    if conversion not in ("visit", "sale_over", "coupon_used"):
        raise ValidationError("转化口径不对", field="conversion")
    min_amount = _int(form, "min_amount_fen", 1, 10_000_000) if conversion == "sale_over" else None
    if conversion == "sale_over" and min_amount is None:
        raise ValidationError("请填写单笔金额门槛（分）", field="min_amount_fen")
    arms = _arms(form.get("arms"))
    cooldown = _int(form, "cooldown_days", 1, 3650)
    holdout_bp = _int(form, "holdout_pct", 0, 99, 10) * 100
    window = _int(form, "window_days", 1, 365, 14)
    with all_or_nothing():
        if segment is None:
            segment = segments.put(segment_code, *new_segment, staff=staff, reason=reason, now=now)
        before = None if campaign is None else snapshot(campaign)
        if campaign is None:
            campaign = Campaign(code=code, status="draft")
            db.session.add(campaign)
        campaign.name, campaign.segment, campaign.schedule = name, segment, schedule
        campaign.trigger = trigger if schedule == "trigger" else None
        campaign.cooldown_days, campaign.holdout_bp, campaign.window_days = cooldown, holdout_bp, window
        campaign.conversion, campaign.min_amount_fen = conversion, min_amount
        db.session.flush()
        for old in list(campaign.arms):
            db.session.delete(old)
        db.session.flush()
        campaign.arms = [CampaignArm(campaign_id=campaign.id, code="holdout", position=0, holdout=True, weight=0,
                                     message=None)] + [CampaignArm(campaign_id=campaign.id, **a) for a in arms]
        _commit(campaign, "create" if before is None else "update", before, staff=staff, reason=reason, now=now)
    return campaign


def move(code: str, action: str, *, staff: Staff | None, reason: str, now: datetime | None = None) -> dict:
    """launch / pause / stop; returns the entry counts of a `once` campaign's launch."""
    reason, now = changes.require_reason(reason), utc(now)
    if action not in MOVES:
        raise ValidationError("未知的操作", field="action")
    campaign = get(code)
    allowed, target = MOVES[action]
    if campaign.status not in allowed:
        raise ValidationError(f"活动当前状态（{campaign.status}）不能{action}", field="status")
    before = snapshot(campaign)
    counts: dict = {}
    first = campaign.launched_at is None and action == "launch"
    with all_or_nothing():
        _apply(campaign, target, first, now, counts)
        _commit(campaign, action, before, staff=staff, reason=reason, now=now)
    return counts


def _apply(campaign: Campaign, target: str, first: bool, now: datetime, counts: dict) -> None:
    campaign.status = target
    if first:
        campaign.launched_at = now
    if target == "stopped":
        campaign.stopped_at = now
    db.session.flush()
    if target == "running" and (first or campaign.schedule == "trigger"):
        counts.update(entry.enter(campaign, now))


def _commit(campaign: Campaign, action: str, before: dict | None, *, staff, reason: str, now) -> None:
    with all_or_nothing(), constraints_refused("设置超出允许范围"):
        db.session.flush()
        changes.record("campaign", campaign.code, action, staff=staff, reason=reason, before=before,
                       after=snapshot(campaign), now=now)
        db.session.commit()
