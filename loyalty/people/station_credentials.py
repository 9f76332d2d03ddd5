"""Stations and their station-API credential: one secret a station.

The secret is shown once, when made, and stored encrypted (Fernet, under a key derived
from SECRET_KEY), so a copy of the database alone does not let anyone sign as a station.
Rotating SECRET_KEY therefore invalidates every station secret: rotate them after it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import select

from extensions import db
from loyalty.errors import DuplicateConflict, NotFound, ValidationError
from models import Station

log = logging.getLogger("youka.stations")
_CODE = re.compile(r"^[0-9A-Za-z_-]{1,16}$")


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY, so this use never collides with another.
    raw = hmac.new(current_app.config["SECRET_KEY"].encode(), b"youka/station-secret/v1", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(raw))


def _new_secret() -> str:
    return secrets.token_hex(32)  # 256 bits, hex so that any POS can paste it


def _by_code(code: str) -> Station | None:
    return db.session.scalars(select(Station).where(Station.code == code)).first()


def create_station(code: str, name: str, city: str | None = None) -> tuple[Station, str]:
    """A new active station with a fresh secret (committed); returns (station, secret).
    DuplicateConflict when the code is taken (use rotate_secret for an existing station)."""
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValidationError("油站代码应为 1-16 位字母、数字、-、_", field="code")
    if not name or len(name) > 64:
        raise ValidationError("油站名称必填，最长 64 字", field="name")
    if _by_code(code) is not None:
        raise DuplicateConflict(f"油站代码 {code} 已存在", field="code")
    secret = _new_secret()
    station = Station(code=code, name=name, city=city, secret_encrypted=_fernet().encrypt(secret.encode()).decode())
    db.session.add(station)
    db.session.commit()
    log.info("station %s created with a new API secret", code)
    return station, secret


def rotate_secret(code: str) -> str:
    """Give the station a new secret (committed) and return it; the old one stops working."""
    station = _by_code(code)
    if station is None:
        raise NotFound(f"油站 {code} 不存在", field="code")
    secret = _new_secret()
    station.secret_encrypted = _fernet().encrypt(secret.encode()).decode()
    db.session.commit()
    log.info("station %s API secret rotated", code)
    return secret


def secret_of(station: Station) -> str | None:
    """The station's secret in clear, or None when it has none (or it was made under
    another SECRET_KEY and cannot be read)."""
    if not station.secret_encrypted:
        return None
    try:
        return _fernet().decrypt(station.secret_encrypted.encode()).decode()
    except InvalidToken:
        log.warning("station %s secret cannot be decrypted (SECRET_KEY changed?)", station.code)
        return None
