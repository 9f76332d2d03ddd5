"""The inboxes: feedback tickets (assign, answer, close) and invoice requests (issue, reject)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from extensions import db
from loyalty.errors import ValidationError
from loyalty.people.staff_scope import CONSOLE_ROLES, is_hq
from loyalty.service import inbox
from loyalty.service.feedback import ticket_number
from models import Staff
from web.admin import bp
from web.admin.access import console_page
from web.staff_login import current_staff

STATUSES = {"open": "待处理", "answered": "已回复", "closed": "已关闭", "": "全部"}
INVOICE_STATUSES = {"requested": "待开票", "issued": "已开票", "rejected": "已拒绝", "": "全部"}


@bp.get("/feedback")
@console_page
def feedback():
    staff, status = current_staff(), request.args.get("status", "open")
    colleagues = db.session.scalars(select(Staff).where(Staff.active, Staff.role.in_(CONSOLE_ROLES))
                                    .order_by(Staff.username)).all() if is_hq(staff) else [staff]
    names = {s.id: s.username for s in db.session.scalars(select(Staff))}
    return render_template("admin/feedback.html", rows=inbox.tickets(staff, status or None), status=status,
                           statuses=STATUSES, colleagues=colleagues, names=names, number=ticket_number)


def _back(message: str):
    flash(message, "ok")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("admin.feedback"))


@bp.post("/feedback/<int:ticket_id>/<action>")
@console_page
def feedback_action(ticket_id: int, action: str):
    staff, form = current_staff(), request.form
    try:
        if action == "assign":
            assignee = db.session.get(Staff, int(form["assignee"])) if form.get("assignee", "").isdigit() else None
            inbox.assign(staff, ticket_id, assignee)
        elif action == "answer":
            inbox.answer(staff, ticket_id, form.get("answer", ""))
        elif action == "close":
            inbox.close(staff, ticket_id)
        else:
            return render_template("admin/error.html", message="未知操作", status=404), 404
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.feedback")), 303
    return _back("已保存")


@bp.get("/invoices")
@console_page
def invoices():
    status = request.args.get("status", "requested")
    return render_template("admin/invoices.html", rows=inbox.invoice_requests(current_staff(), status or None),
                           status=status, statuses=INVOICE_STATUSES)


@bp.post("/invoices/<int:request_id>/<action>")
@console_page
def invoice_action(request_id: int, action: str):
    staff, form = current_staff(), request.form
    try:
        if action == "issue":
            inbox.issue(staff, request_id, form.get("invoice_no", ""), form.get("pdf_url", ""))
        elif action == "reject":
            inbox.reject_invoice(staff, request_id, form.get("note", ""))
        else:
            return render_template("admin/error.html", message="未知操作", status=404), 404
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.invoices")), 303
    flash("已保存", "ok")
    return redirect(url_for("admin.invoices"))
