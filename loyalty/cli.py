"""`flask loyalty ...`: operator commands for the loyalty core.

    flask loyalty check             verify the ledger's invariants; exit 1 on any violation
    flask loyalty load-rules FILE   replace the earning rules and tiers from YAML or JSON
    flask loyalty profiles          compute every member's profile, RFM segment and tags now
    flask demo seed [--members N]   demo stations, rules, coupons, rewards, staff, six months of
                                    history for N members (empty database only)
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db
from loyalty.books import invariants

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


@loyalty_cli.command("load-rules")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_rules_command(path: str) -> None:
    """Replace the active rule book (and tiers) from a YAML or JSON file, atomically."""
    from loyalty.errors import ValidationError
    from loyalty.rules.loader import load_rules_file
    try:
        click.echo(str(load_rules_file(path)))
    except ValidationError as exc:
        field = exc.details.get("field")
        raise click.ClickException(f"{exc.message}" + (f" ({field})" if field else ""))


@loyalty_cli.command("profiles")
def profiles_command() -> None:
    """Compute member profiles, RFM segments and tags now (what the nightly job does)."""
    from loyalty.profiles import compute
    done = compute.run()
    db.session.commit()
    tags = ", ".join(f"{code} {n}" for code, n in done.tags.items()) or "none"
    click.echo(f"profiles: {done.members} members; tags: {tags}; "
               f"{sum(done.seconds.values()):.1f} s")


demo_cli = AppGroup("demo", help="Demo data for development.")


@demo_cli.command("seed")
@click.option("--members", default=200, show_default=True, help="Members with six months of history (0: none).")
@click.option("--password", envvar="DEMO_PASSWORD", default=None,
              help="The demo staff logins' password (default: DEMO_PASSWORD, else loyalty.demo's).")
def seed_command(members: int, password: str | None) -> None:
    """Seed demo data when the database has no station yet; otherwise do nothing."""
    import time

    from loyalty import demo
    started = time.monotonic()
    result = demo.seed_all(password or demo.DEMO_PASSWORD, members=members)
    if not result["seeded"]:
        click.echo("database not empty: nothing seeded")
        return
    made = result["history"]
    click.echo(f"demo data seeded in {time.monotonic() - started:.1f}s: {made.get('members', 0)} members, "
               f"{made.get('sale', 0)} sales, {made.get('topup', 0)} top-ups, {made.get('redeem', 0)} redemptions, "
               f"{made.get('checkin', 0)} check-ins; staff {', '.join(result['staff'])}")


def init_app(app: Flask) -> None:
    """Register the `loyalty` and `demo` command groups on the app's CLI."""
    app.cli.add_command(loyalty_cli)
    app.cli.add_command(demo_cli)
