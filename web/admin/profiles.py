"""Member profiles in the console: the RFM segments (both roles, counts scoped) and the
tag rules (HQ only): list, edit with a dry-run count, every save a change record
(loyalty.config_changes.save_tag_rule)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from extensions import db
from loyalty import changes, config_changes
from loyalty.errors import NotFound, ValidationError
from loyalty.profiles import read, segments, tag_rules
from models import TagRule
from web.admin import bp
from web.admin.access import console_page, hq_page
from web.staff_login import current_staff

EXAMPLE = tag_rules.as_text({"all": [{"field": "visits_per_month", "op": ">=", "value": "3"}]})


@bp.get("/segments")
@console_page
def segments_page():
    return render_template("admin/segments.html", rows=read.segment_counts(current_staff()),
                           rules={code: text for code, _, text, _ in segments.SEGMENTS})


@bp.get("/tags")
@hq_page
def tags():
    return render_template("admin/tags.html", rules=read.tags(), counts=read.tag_counts(), as_text=tag_rules.as_text)


def _form(code: str | None, values: dict, *, error: str | None = None, count: int | None = None, status: int = 200):
    return render_template("admin/tag_form.html", code=code, values=values, error=error, count=count,
                           fields=tag_rules.FIELDS,
                           history=changes.for_object("tag_rule", code) if code else []), status


@bp.get("/tags/new")
@hq_page
def new_tag():
    return _form(None, {"code": "", "name": "", "condition": EXAMPLE, "active": True})


@bp.get("/tags/<code>")
@hq_page
def edit_tag(code: str):
    rule = db.session.get(TagRule, code) if len(code) <= 32 and not changes.CONTROL.search(code) else None
    if rule is None:
        raise NotFound("标签规则不存在", field="code")
    return _form(code, {"name": rule.name, "condition": tag_rules.as_text(rule.condition), "active": rule.active})


def _submitted() -> tuple[str | None, dict]:
    form = request.form
    key = form.get("key") or None
    values = {"code": form.get("code", ""), "name": form.get("name", ""), "condition": form.get("condition", ""),
              "active": form.get("active") not in (None, "", "0")}
    if key is not None and (len(key) > 32 or db.session.get(TagRule, changes.check_plain(key, "key")) is None):
        raise NotFound("标签规则不存在", field="code")
    return key, values


@bp.post("/tags")
@hq_page
def save_tag():
    key, values = _submitted()
    try:
        rule = config_changes.save_tag_rule(key or values["code"], request.form, staff=current_staff(),
                                            reason=request.form.get("reason", ""), new=key is None)
    except ValidationError as exc:
        return _form(key, values, error=exc.message, status=400)
    flash(f"标签 {rule.name} 已保存，下次画像计算（每晚）后生效", "ok")
    return redirect(url_for("admin.edit_tag", code=rule.code))


@bp.post("/tags/preview")
@hq_page
def preview_tag():
    key, values = _submitted()
    try:
        count = tag_rules.dry_run(tag_rules.parse(values["condition"]))
    except ValidationError as exc:
        return _form(key, values, error=exc.message, status=400)
    return _form(key, values, count=count)
