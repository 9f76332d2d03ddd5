"""`flask dashboards ...`: the dashboards' rollups by hand.

    flask dashboards rebuild [--from YYYY-MM-DD] [--to YYYY-MM-DD]
        recompute the day rollups of a range of Shanghai days (default: from the first
        sale's day to today) and, when the range reaches today, today's snapshots
    flask dashboards nightly
        what the nightly job does: the last 7 days, older days refunded since, snapshots
"""
from __future__ import annotations

import time
from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db

dashboards_cli = AppGroup("dashboards", help="The dashboards' daily rollups.")


def _day(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("a date as YYYY-MM-DD") from None


@dashboards_cli.command("rebuild")
@click.option("--from", "first", callback=_day, help="First Shanghai day (default: the first sale's).")
@click.option("--to", "last", callback=_day, help="Last Shanghai day, inclusive (default: today).")
def rebuild_command(first: date | None, last: date | None) -> None:
    """Recompute the rollups of a date range (idempotent)."""
    from loyalty.books.ledger import utc
    from loyalty.dashboards import rollup
    from loyalty.reminders.sql import business_day
    now = utc()
    last = last or business_day(now)
    first = first or rollup.first_sale_day() or last
    if first > last:
        raise click.BadParameter("--from is after --to")
    started = time.monotonic()
    covered = rollup.rebuild(first, last, now)
    db.session.commit()
    snapshots = " and today's snapshots" if covered["snapshots"] else ""
    click.echo(f"rebuilt {covered['from']} .. {covered['to']}{snapshots} in {time.monotonic() - started:.1f}s")


@dashboards_cli.command("nightly")
def nightly_command() -> None:
    """Run the nightly rollup now."""
    from jobs.dashboards import rollup
    click.echo(str(rollup()))


def init_app(app: Flask) -> None:
    app.cli.add_command(dashboards_cli)
