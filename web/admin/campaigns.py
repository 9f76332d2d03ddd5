"""Segments, campaigns and their reports (HQ only): thin views over loyalty.campaigns.

    /admin/campaigns/segments, .../segments/new, .../segments/<code>  list, form (filters as JSON)
    POST /admin/campaigns/segments, POST .../segments/dry-run         save; count and a masked sample
(the campaigns' segments live under /admin/campaigns: /admin/segments is the RFM segments' page)
    /admin/campaigns, /admin/campaigns/new[?preset=recall], /<code>  list, form, the campaign
    POST /admin/campaigns, POST /admin/campaigns/<code>/launch|pause|stop
    /admin/campaigns/<code>/report (.json)                           the report; its chart data
"""
from __future__ import annotations

import json

from flask import flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from extensions import db
from loyalty import changes
from loyalty.campaigns import filters, lifecycle, measure, segments
from loyalty.errors import ValidationError
from models import Campaign, CouponTemplate, Segment
from web import clock
from web.admin import bp
from web.admin.access import hq_page
from web.staff_login import current_staff

RECALL = {"code": "RECALL_DORMANT", "name": "沉睡会员召回", "schedule": "trigger",
          "trigger": '{"filter": "dormant", "days": 30, "factor": 2}', "cooldown_days": "30", "holdout_pct": "10",
          "window_days": "14", "conversion": "visit",
          "arms": [{"code": "A", "weight": "1", "coupon": "RECALL", "message": "好久不见！送您一张回归礼券，欢迎回来加油。"}]}
MARKETING = ("同意营销推送的会员", [{"filter": "consent", "category": "marketing"}])
ARM_FIELDS = ("code", "weight", "coupon", "points", "message", "sms_text")


def _segment_page(values: dict, *, result=None, error: str | None = None, status: int = 200):
    return render_template("admin/campaign_segment.html", values=values, result=result, error=error,
                           registry=filters.REGISTRY, describe=filters.describe,
                           history=changes.for_object("segment", values.get("code") or "")[:10]), status


@bp.get("/campaigns/segments")
@hq_page
def campaign_segment_list():
    rows = db.session.scalars(select(Segment).order_by(Segment.code)).all()
    return render_template("admin/campaign_segments.html", rows=rows, describe=filters.describe)


@bp.get("/campaigns/segments/new")
@hq_page
def new_segment():
    return _segment_page({"code": "", "name": "", "filters": '[{"filter": "consent", "category": "marketing"}]'})[0]


@bp.get("/campaigns/segments/<code>")
@hq_page
def edit_segment(code: str):
    s = segments.get(code)
    return _segment_page({"code": s.code, "name": s.name, "filters": json.dumps(s.filters, ensure_ascii=False),
                          "saved": True})[0]


@bp.post("/campaigns/segments/dry-run")
@hq_page
def dry_run_segment():
    values = {k: request.form.get(k, "") for k in ("code", "name", "filters")}
    try:
        result = segments.dry_run(values["filters"], clock.now())
    except ValidationError as exc:
        return _segment_page(values, error=exc.message, status=400)
    return _segment_page(values, result=result)


@bp.post("/campaigns/segments")
@hq_page
def save_segment():
    f = request.form
    saved = segments.save(f.get("code", ""), f.get("name", ""), f.get("filters", ""), staff=current_staff(),
                          reason=f.get("reason", ""), now=clock.now())
    flash(f"人群 {saved.code} 已保存", "ok")
    return redirect(url_for("admin.edit_segment", code=saved.code))


@bp.get("/campaigns")
@hq_page
def campaign_list():
    rows = db.session.scalars(select(Campaign).order_by(Campaign.id.desc())).all()
    return render_template("admin/campaigns.html", rows=rows)


def _form_page(values: dict, status: int = 200):
    return render_template("admin/campaign_form.html", values=values, arms=values.get("arms") or [{}],
                           segments=db.session.scalars(select(Segment).order_by(Segment.code)).all(),
                           templates=db.session.scalars(select(CouponTemplate).where(CouponTemplate.active)
                                                        .order_by(CouponTemplate.code)).all(),
                           triggers=[f for f in filters.REGISTRY.values() if f.trigger]), status


@bp.get("/campaigns/new")
@hq_page
def new_campaign():
    values = dict(RECALL) if request.args.get("preset") == "recall" else {"holdout_pct": "10", "window_days": "14"}
    if request.args.get("preset") == "recall":
        values["segment"] = "MARKETING"
        values["new_segment"] = "1"  # the form offers to make the segment of everyone who opted in
    return _form_page(values)[0]


@bp.get("/campaigns/<code>/edit")
@hq_page
def edit_campaign(code: str):
    c = lifecycle.get(code)
    templates = {t.id: t.code for t in db.session.scalars(select(CouponTemplate))}
    values = {"code": c.code, "name": c.name, "segment": c.segment.code, "schedule": c.schedule,
              "trigger": json.dumps(c.trigger, ensure_ascii=False) if c.trigger else "",
              "cooldown_days": c.cooldown_days or "", "holdout_pct": c.holdout_bp // 100, "window_days": c.window_days,
              "conversion": c.conversion, "min_amount_fen": c.min_amount_fen or "", "saved": True,
              "arms": [{"code": a.code, "weight": a.weight, "coupon": templates.get(a.coupon_template_id, ""),
                        "points": a.points or "", "message": a.message or "", "sms_text": a.sms_text or ""}
                       for a in c.arms if not a.holdout]}
    return _form_page(values)[0]


@bp.post("/campaigns")
@hq_page
def save_campaign():
    f = request.form
    columns = {name: f.getlist(f"arm_{name}") for name in ARM_FIELDS}
    arms = [{name: columns[name][n] if n < len(columns[name]) else "" for name in ARM_FIELDS}
            for n in range(len(columns["message"]))]
    arms = [a for a in arms if any(str(v).strip() for k, v in a.items() if k != "weight")]
    form = {k: f.get(k, "") for k in ("name", "segment", "schedule", "trigger", "cooldown_days", "holdout_pct",
                                      "window_days", "conversion", "min_amount_fen")}
    form["arms"] = arms
    new_segment = MARKETING if f.get("new_segment") == "1" and f.get("segment") == "MARKETING" else None
    saved = lifecycle.save(f.get("code", ""), form, staff=current_staff(), reason=f.get("reason", ""),
                           now=clock.now(), new_segment=new_segment)
    flash(f"活动 {saved.code} 已保存为草稿", "ok")
    return redirect(url_for("admin.campaign_page", code=saved.code))


@bp.get("/campaigns/<code>")
@hq_page
def campaign_page(code: str):
    c = lifecycle.get(code)
    templates = {t.id: t for t in db.session.scalars(select(CouponTemplate))}
    return render_template("admin/campaign.html", c=c, templates=templates, describe=filters.describe,
                           history=changes.for_object("campaign", code)[:20])


@bp.post("/campaigns/<code>/<any(launch, pause, stop):action>")
@hq_page
def move_campaign(code: str, action: str):
    counts = lifecycle.move(code, action, staff=current_staff(), reason=request.form.get("reason", ""),
                            now=clock.now())
    done = {"launch": "已启动", "pause": "已暂停", "stop": "已结束"}[action]
    flash(f"活动 {code} {done}" + (f"，进入 {counts['entered']} 人" if counts else ""), "ok")
    return redirect(url_for("admin.campaign_page", code=code))


@bp.get("/campaigns/<code>/report")
@hq_page
def campaign_report(code: str):
    c = lifecycle.get(code)
    return render_template("admin/campaign_report.html", c=c, report=measure.report(c, clock.now()))


@bp.get("/campaigns/<code>/report.json")
@hq_page
def campaign_report_json(code: str):
    """The chart's data: per arm, the cumulative conversions by day of the window."""
    report = measure.report(lifecycle.get(code), clock.now())
    return jsonify({"campaign": report.campaign, "window_days": report.window_days,
                    "days": list(range(report.window_days)),
                    "arms": [{"code": a.code, "holdout": a.holdout, "members": a.members, "conversions": a.conversions,
                              "by_day": a.by_day,
                              "p_value": a.lift.p_value if a.lift else None} for a in report.arms]})
