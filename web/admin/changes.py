"""The change records (HQ only): one timeline, newest first, and one object's history."""
from __future__ import annotations

import json

from flask import render_template, request

from loyalty import changes
from web.admin import bp
from web.admin.access import hq_page

PAGE = 50


def _pretty(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


@bp.get("/changes")
@hq_page
def timeline():
    kind = request.args.get("kind") or None
    before = request.args.get("before", "")
    rows = changes.timeline(kind=kind, before_id=int(before) if before.isdigit() and int(before) < 2 ** 62 else None,
                            limit=PAGE)
    return render_template("admin/changes.html", rows=rows, kind=kind, kinds=changes.KIND_NAMES, pretty=_pretty,
                           more=rows[-1].id if len(rows) == PAGE else None, title="变更记录")


@bp.get("/changes/<kind>/<key>")
@hq_page
def object_changes(kind: str, key: str):
    rows = changes.for_object(kind, key)
    return render_template("admin/changes.html", rows=rows, kind=kind, kinds=changes.KIND_NAMES, pretty=_pretty,
                           more=None, title=f"{changes.KIND_NAMES.get(kind, kind)} {key} 的变更记录")
