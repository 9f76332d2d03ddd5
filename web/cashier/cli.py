"""`flask staff ...`: staff logins for the cashier page and the console.

    flask staff create --username li --role cashier --station S001 [--name 李雷] [--password ...]
    flask staff deactivate --username li
    flask staff password --username li [--password ...]

Prints the new login as JSON, never the password; prompts for it (twice, hidden) when
--password is not given, so it need not sit in the shell history. Deactivating a login
also ends every session it holds, on every till, at once.
"""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db
from loyalty.people import staff as staff_rules
from loyalty.errors import LoyaltyError
from models.staff import STAFF_ROLES
from web.cashier.auth import end_staff_sessions

staff_cli = AppGroup("staff", help="Staff logins: HQ admins, station managers, cashiers.")


@staff_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(STAFF_ROLES))
@click.option("--station", "station_code", default=None, help="Station code (cashier, station_manager).")
@click.option("--name", "display_name", default=None, help="Name shown on the till; defaults to the username.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_command(username, role, station_code, display_name, password) -> None:
    """Create an active staff login."""
    try:
        staff = staff_rules.create_staff(username, password, role=role, display_name=display_name,
                                         station_code=station_code)
        db.session.commit()
    except LoyaltyError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(json.dumps({"id": staff.id, "username": staff.username, "display_name": staff.display_name,
                           "role": staff.role, "station": station_code, "active": staff.active},
                          ensure_ascii=False))


@staff_cli.command("deactivate")
@click.option("--username", required=True)
def deactivate_command(username) -> None:
    """Turn a staff login off and end all its sessions."""
    try:
        staff = staff_rules.deactivate_staff(username)
        db.session.commit()
    except LoyaltyError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    # After the commit: a session that comes in between is refused by the active check.
    ended = end_staff_sessions(staff.id)
    click.echo(json.dumps({"username": staff.username, "active": staff.active, "ended_sessions": ended},
                          ensure_ascii=False))


@staff_cli.command("password")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def password_command(username, password) -> None:
    """Set a login's password (the demo logins' too) and end all its sessions."""
    try:
        staff = staff_rules.set_password(username, password)
        db.session.commit()
    except LoyaltyError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    ended = end_staff_sessions(staff.id)
    click.echo(json.dumps({"username": staff.username, "ended_sessions": ended}, ensure_ascii=False))


def init_app(app: Flask) -> None:
    """Register the `staff` command group on the app's CLI."""
    app.cli.add_command(staff_cli)
