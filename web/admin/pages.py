"""The console's home: what is waiting (pending approvals, open tickets, invoice requests)."""
from __future__ import annotations

from flask import render_template

from loyalty.books import adjustments
from loyalty.people.staff_scope import is_hq
from loyalty.service import inbox
from web.admin import bp
from web.admin.access import console_page
from web.staff_login import current_staff


@bp.get("/")
@console_page
def home():
    staff = current_staff()
    return render_template("admin/home.html", tickets=len(inbox.tickets(staff, "open")),
                           invoices=len(inbox.invoice_requests(staff, "requested")),
                           pending=len(adjustments.pending()) if is_hq(staff) else None)
