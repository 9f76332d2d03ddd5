"""The books-health panel (HQ only): the ledger's invariants (`flask loyalty check`), each
violation with the rows it names."""
from __future__ import annotations

from flask import render_template

from extensions import db
from loyalty.books import invariants
from web.admin import bp
from web.admin.access import hq_page


@bp.get("/books")
@hq_page
def books():
    found = invariants.violations(db.session)
    accounts, entries = invariants.counts(db.session)
    return render_template("admin/books.html", violations=found, accounts=accounts, entries=entries)
