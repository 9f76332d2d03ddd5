"""`flask loyalty ...`: operator commands for the loyalty core.

    flask loyalty check    verify the ledger's invariants; exit 1 on any violation
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db
from loyalty import invariants

loyalty_cli = AppGroup("loyalty", help="Loyalty ledger maintenance.")


@loyalty_cli.command("check")
def check_command() -> None:
    """Check every ledger invariant over the whole database (read only)."""
    problems = invariants.check(db.session)
    if problems:
        for problem in problems:
            click.echo(problem)
        raise SystemExit(1)
    accounts, entries = invariants.counts(db.session)
    click.echo(f"ok: {accounts} accounts, {entries} entries checked")


def init_app(app: Flask) -> None:
    """Register the `loyalty` command group on the app's CLI."""
    app.cli.add_command(loyalty_cli)
