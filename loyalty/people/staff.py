"""Staff accounts: creation, deactivation, password check, and which stations a member of staff may act at.

Roles: hq_admin (any station), station_manager and cashier (their own station only).
Passwords are kept as werkzeug.security hashes (scrypt; the method is the setting
STAFF_PASSWORD_HASH, which only the tests lower); usernames are stored lower-case.
"""
from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from loyalty.errors import DuplicateConflict, NotFound, ValidationError
from models import Staff, Station
from models.staff import STAFF_ROLES

ROLE_NAMES = {"hq_admin": "总部管理员", "station_manager": "站长", "cashier": "收银员"}
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.\-]{1,63}$")
# Checked against when the username is unknown, so a miss costs as much as a wrong
# password and response time does not tell which usernames exist: one per hash method.
_DUMMY_HASHES: dict[str, str] = {}


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["STAFF_PASSWORD_HASH"])


def _dummy_hash() -> str:
    method = current_app.config["STAFF_PASSWORD_HASH"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("youka-no-such-user", method=method)
    return _DUMMY_HASHES[method]


def normalise_username(raw: str | None) -> str:
    """The username as stored: trimmed and lower-case."""
    return (raw or "").strip().lower()


def create_staff(username: str, password: str, *, role: str, display_name: str | None = None,
                 station_code: str | None = None) -> Staff:
    """A new active member of staff (flushed, not committed). A cashier or station manager
    needs a station; an HQ admin has none. Raises ValidationError on a bad field and
    DuplicateConflict when the username is taken."""
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise ValidationError("用户名须为 2-64 位字母、数字、点、下划线或横线", field="username")
    if role not in STAFF_ROLES:
        raise ValidationError(f"角色只能是 {' / '.join(STAFF_ROLES)}", field="role")
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(f"密码至少 {MIN_PASSWORD} 位", field="password")
    station = None
    if role == "hq_admin":
        if station_code:
            raise ValidationError("总部管理员不属于某个油站", field="station")
    else:
        if not station_code:
            raise ValidationError("收银员和站长须指定油站", field="station")
        station = db.session.scalars(select(Station).where(Station.code == station_code)).first()
        if station is None:
            raise ValidationError("油站不存在", field="station", code=station_code)
    if db.session.scalars(select(Staff.id).where(Staff.username == name)).first() is not None:
        raise DuplicateConflict("用户名已存在", field="username")
    staff = Staff(username=name, password_hash=_hash(password),
                  display_name=(display_name or name).strip()[:64], role=role,
                  station_id=station.id if station else None, active=True)
    db.session.add(staff)
    db.session.flush()
    return staff


def authenticate(username: str, password: str) -> Staff | None:
    """The active member of staff with this username and password, or None. An unknown or
    inactive username still pays for one hash check (constant time, no user enumeration)."""
    staff = db.session.scalars(select(Staff).where(Staff.username == normalise_username(username))).first()
    if staff is None or not staff.active:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return staff if check_password_hash(staff.password_hash, password or "") else None


def deactivate_staff(username: str) -> Staff:
    """Turn a login off (flushed, not committed): it can no longer log in, and every request
    of a session it holds is refused. Its live sessions are the web side's to end
    (web.staff_login.end_staff_sessions), after the commit. Raises NotFound when no such
    username exists."""
    staff = db.session.scalars(select(Staff).where(Staff.username == normalise_username(username))).first()
    if staff is None:
        raise NotFound("用户名不存在", field="username")
    staff.active = False
    db.session.flush()
    return staff


def set_password(username: str, password: str) -> Staff:
    """Give a login a new password (flushed, not committed); its live sessions are the web
    side's to end after the commit, as for deactivate_staff. NotFound for an unknown
    username, ValidationError for a password that is too short."""
    staff = db.session.scalars(select(Staff).where(Staff.username == normalise_username(username))).first()
    if staff is None:
        raise NotFound("用户名不存在", field="username")
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(f"密码至少 {MIN_PASSWORD} 位", field="password")
    staff.password_hash = _hash(password)
    db.session.flush()
    return staff


def station_of(staff: Staff) -> Station | None:
    """The station the member of staff belongs to (None for HQ)."""
    return db.session.get(Station, staff.station_id) if staff.station_id else None


def can_use_station(staff: Staff, station_code: str | None) -> bool:
    """True when this member of staff may see and act at that (active) station."""
    if staff is None or not staff.active or not station_code:
        return False
    station = db.session.scalars(select(Station).where(Station.code == station_code, Station.active)).first()
    if station is None:
        return False
    return staff.role == "hq_admin" or staff.station_id == station.id


def stations_for(staff: Staff) -> list[Station]:
    """The active stations this member of staff may choose from, by code."""
    query = select(Station).where(Station.active).order_by(Station.code)
    if staff.role != "hq_admin":
        query = query.where(Station.id == staff.station_id)
    return list(db.session.scalars(query))
