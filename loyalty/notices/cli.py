"""`flask notify log [--phone P] [--last N]` (the delivery log as JSON lines, oldest
first, phones masked) and `flask notify sweep` (one sweeper run, as the schedule does)."""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from loyalty.errors import ValidationError
from loyalty.people.members import normalise_phone

notify_cli = AppGroup("notify", help="Pushes: the delivery log, the outbox sweeper.")


@notify_cli.command("log")
@click.option("--phone", default=None, help="Only pushes to the member with this phone.")
@click.option("--last", default=20, show_default=True, type=click.IntRange(min=1), help="How many.")
@click.option("--kind", default=None, help="Only this notice kind.")
@click.option("--outcome", default=None, help="Only this outcome (sent, skipped, deferred, failed, ...).")
def log_command(phone: str | None, last: int, kind: str | None, outcome: str | None) -> None:
    """Print the latest deliveries as JSON lines."""
    from loyalty.notices import log
    if phone is not None:
        try:
            phone = normalise_phone(phone)
        except ValidationError:
            raise click.BadParameter("not a mainland mobile number", param_hint="--phone") from None
    for entry in log.entries(phone=phone, kind=kind, outcome=outcome, last=last):
        click.echo(json.dumps(entry.as_json(), ensure_ascii=False))


@notify_cli.command("sweep")
def sweep_command() -> None:
    """Reconcile and enqueue the due outbox rows now."""
    from jobs.notify import sweep
    click.echo(json.dumps(sweep()))


def init_app(app: Flask) -> None:
    app.cli.add_command(notify_cli)
