"""`flask station ...` and `flask member ...`: credentials, pump QR sheets, test members.

    flask station create --code S004 --name 城南加油站 [--city 杭州]   prints {"code", "secret"} (shown once)
    flask station rotate-secret --code S001                          prints the new {"code", "secret"}
    flask station pump-qr --station S001 [--nozzles 1-8] [--out FILE] a printable sheet of pump QR codes
    flask member create --phone 13800138000 [--tier gold]            prints the member (phone masked)
    flask member code --phone 13800138000                            prints {"code"}: a fresh member code

Secrets go to stdout only, never to a log.
"""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from extensions import db
from loyalty.errors import LoyaltyError

station_cli = AppGroup("station", help="Stations: API credentials and pump QR codes.")
member_cli = AppGroup("member", help="Members, for integrators' testing.")


def init_app(app: Flask) -> None:
    """Register the `station` and `member` command groups."""
    app.cli.add_command(station_cli)
    app.cli.add_command(member_cli)


def _echo(payload: dict) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False))


def _fail(exc: LoyaltyError):
    db.session.rollback()
    raise click.ClickException(f"{exc.code}: {exc.message}")


@station_cli.command("create")
@click.option("--code", required=True, help="Station code, e.g. S004.")
@click.option("--name", required=True)
@click.option("--city")
def create_station(code: str, name: str, city: str | None) -> None:
    """Create a station and print its API secret (shown only this once)."""
    from loyalty.people.station_credentials import create_station as create
    try:
        station, secret = create(code, name, city)
    except LoyaltyError as exc:
        _fail(exc)
    _echo({"code": station.code, "secret": secret})


@station_cli.command("rotate-secret")
@click.option("--code", required=True)
def rotate_secret(code: str) -> None:
    """Give a station a new API secret and print it; the old one stops working at once."""
    from loyalty.people.station_credentials import rotate_secret as rotate
    try:
        secret = rotate(code)
    except LoyaltyError as exc:
        _fail(exc)
    _echo({"code": code, "secret": secret})


@station_cli.command("pump-qr")
@click.option("--station", "station_code", required=True)
@click.option("--nozzles", default="1-8", show_default=True, help="A range (1-8) or a list (1,2,5).")
@click.option("--out", type=click.Path(dir_okay=False), help="The HTML sheet to write [pump-qr-<station>.html].")
def pump_qr(station_code: str, nozzles: str, out: str | None) -> None:
    """Fetch a permanent parametric QR code per nozzle from WeChat and write a printable sheet."""
    from bot.wechat_http import WeChatAPIError
    from web.api.pump_sheet import nozzle_list, write_sheet
    try:
        numbers = nozzle_list(nozzles)
        path = write_sheet(station_code, numbers, out or f"pump-qr-{station_code}.html")
    except LoyaltyError as exc:
        _fail(exc)
    except WeChatAPIError as exc:
        raise click.ClickException(f"WeChat refused: {exc}") from None
    click.echo(f"wrote {path}: {len(numbers)} nozzles of {station_code}; print it at 100% on A4")


@member_cli.command("create")
@click.option("--phone", required=True)
@click.option("--tier", "tier_code", help="Tier code (normal, silver, gold, diamond).")
def create_member(phone: str, tier_code: str | None) -> None:
    """Create a member (consent recorded) and print them, phone masked."""
    from loyalty.till import checkout
    from loyalty.people import members
    try:
        if members.find_by_phone(phone) is not None:
            raise click.ClickException("a member with this phone exists")
        member = members.create_member(phone, tier_code=tier_code, consent=True)
        db.session.commit()
    except LoyaltyError as exc:
        _fail(exc)
    _echo(checkout.summary(member))


@member_cli.command("code")
@click.option("--phone", required=True)
@click.option("--device", default="cli", show_default=True, help="Supersedes the member's last code on it.")
def member_code(phone: str, device: str) -> None:
    """Print a fresh member code for the member with this phone (valid MEMBER_CODE_TTL seconds)."""
    from loyalty.till import member_codes
    from loyalty.people import members
    try:
        member = members.find_by_phone(phone)
        if member is None:
            raise click.ClickException("no member with this phone")
        code = member_codes.issue(member, device=device)
    except LoyaltyError as exc:
        _fail(exc)
    _echo({"code": code.code, "expires_at": code.expires_at.isoformat().replace("+00:00", "Z")})
