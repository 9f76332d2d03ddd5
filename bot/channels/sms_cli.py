"""`flask sms outbox [--phone P] [--last N]`: the console backend's latest messages as
JSON lines ({"to", "text", "code", "sent_at"}, the phone masked), oldest first."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from loyalty.errors import ValidationError
from loyalty.people.members import normalise_phone

sms_cli = AppGroup("sms", help="SMS: the console backend's outbox.")


@sms_cli.command("outbox")
@click.option("--phone", default=None, help="Only messages to this phone.")
@click.option("--last", default=10, show_default=True, type=click.IntRange(min=1), help="How many.")
def outbox_command(phone: str | None, last: int) -> None:
    """Print the latest SMS messages kept by the console backend."""
    from bot.channels import sms
    if phone is not None:
        try:
            phone = normalise_phone(phone)
        except ValidationError:
            raise click.BadParameter("not a mainland mobile number", param_hint="--phone") from None
    for message in sms.outbox(phone, last):
        click.echo(json.dumps(message, ensure_ascii=False))
