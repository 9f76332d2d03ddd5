"""What members read, as HQ configures it: the notice-kind -> template mapping per channel
and the editable reply texts. Every save goes through loyalty.config_changes
(save_notice_template, save_reply_text), which writes the change record."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from loyalty import changes, config_changes, reply_texts
from loyalty.errors import ValidationError
from loyalty.notices import templates
from web.admin import bp
from web.admin.access import hq_page
from web.staff_login import current_staff


def _known(channel: str, kind: str) -> None:
    if channel not in templates.CHANNELS or kind not in {k.value for k in templates.kinds_of(channel)}:
        abort(404)


@bp.get("/notice-templates")
@hq_page
def notice_templates():
    rows = [(channel, kind.value, templates.current(channel, kind.value), templates.overridden(channel, kind.value))
            for channel in templates.CHANNELS for kind in templates.kinds_of(channel)]
    return render_template("admin/notice_templates.html", rows=rows, channels=templates.CHANNEL_NAMES)


def _template_page(channel: str, kind: str, values: dict, *, error: str | None = None, status: int = 200):
    return render_template("admin/notice_template_form.html", channel=channel, kind=kind, values=values,
                           error=error, channels=templates.CHANNEL_NAMES, fields=templates.FIELDS[kind],
                           type_names=templates.TYPE_NAMES, accepts=templates.ACCEPTS,
                           default=templates.default(channel, kind),
                           history=changes.for_object("notice_template", f"{channel}:{kind}")), status


@bp.get("/notice-templates/<channel>/<kind>")
@hq_page
def notice_template(channel: str, kind: str):
    _known(channel, kind)
    entry = templates.current(channel, kind)
    values = {"active": entry is not None, "template_id": entry["template_id"] if entry else "",
              "keys": "\n".join(f"{k} = {f}" for k, f in (entry["keys"] if entry else {}).items()),
              "link": (entry or {}).get("link") or ""}
    return _template_page(channel, kind, values)


@bp.post("/notice-templates/<channel>/<kind>")
@hq_page
def save_notice_template(channel: str, kind: str):
    _known(channel, kind)
    form = request.form
    try:
        config_changes.save_notice_template(channel, kind, form, staff=current_staff(), reason=form.get("reason", ""))
    except ValidationError as exc:
        values = {"active": "active" in form, **{k: form.get(k, "") for k in ("template_id", "keys", "link")}}
        return _template_page(channel, kind, values, error=exc.message, status=400)
    flash(f"{templates.CHANNEL_NAMES[channel]} {kind} 已保存", "ok")
    return redirect(url_for("admin.notice_template", channel=channel, kind=kind))


@bp.get("/replies")
@hq_page
def replies():
    rows = [(entry, reply_texts.override(entry.name)) for entry in reply_texts.EDITABLE.values()]
    return render_template("admin/replies.html", rows=rows)


def _reply_page(name: str, text: str, *, error: str | None = None, status: int = 200):
    entry = reply_texts.EDITABLE[name]
    return render_template("admin/reply_form.html", entry=entry, text=text, error=error,
                           shipped=reply_texts.shipped(name), override=reply_texts.override(name),
                           history=changes.for_object("reply_text", name)), status


@bp.get("/replies/<path:name>")
@hq_page
def reply(name: str):
    if name not in reply_texts.EDITABLE:
        abort(404)
    return _reply_page(name, reply_texts.override(name) or reply_texts.shipped(name))


@bp.post("/replies/<path:name>")
@hq_page
def save_reply(name: str):
    if name not in reply_texts.EDITABLE:
        abort(404)
    form = request.form
    text = None if form.get("action") == "reset" else form.get("text", "")
    try:
        config_changes.save_reply_text(name, text, staff=current_staff(), reason=form.get("reason", ""))
    except ValidationError as exc:
        return _reply_page(name, form.get("text", ""), error=exc.message, status=400)
    flash("已恢复默认文案" if text is None else "回复文案已保存", "ok")
    return redirect(url_for("admin.reply", name=name))
