"""CSV exports (HQ only: a station manager gets 403, no exports of personal data): the form,
and the download, streamed a batch at a time (loyalty.exports). Each export writes its
change record (kind "export": who, when, the filters and the reason) before a row is read."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, current_app, render_template, request, stream_with_context
from sqlalchemy import select

from extensions import db
from loyalty import exports
from loyalty.errors import ValidationError
from loyalty.policy import BUSINESS_TZ
from models import Station
from web.admin import bp
from web.admin.access import hq_page
from web.staff_login import current_staff


def _page(values: dict, *, error: str | None = None, status: int = 200):
    stations = db.session.scalars(select(Station).order_by(Station.code)).all()
    return render_template("admin/exports.html", kinds=exports.KIND_NAMES, stations=stations, values=values,
                           error=error), status


@bp.get("/exports")
@hq_page
def exports_form():
    today = datetime.now(BUSINESS_TZ).date()
    return _page({"kind": "sales", "from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat(),
                  "station": "", "reason": ""})


@bp.post("/exports")
@hq_page
def export_csv():
    form = request.form
    values = {k: form.get(k, "") for k in ("kind", "from", "to", "station", "reason")}
    try:
        filters = exports.parse_filters(values["kind"], form)
        exports.audit(filters, staff=current_staff(), reason=values["reason"])
    except ValidationError as exc:
        db.session.rollback()
        return _page(values, error=exc.message, status=400)
    chunks = exports.csv_chunks(filters, batch=int(current_app.config["EXPORT_BATCH_ROWS"]))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filters.filename()}"',
                             "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
