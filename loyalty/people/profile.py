"""What a member tells us about themselves on the H5 profile page: plate, vehicle type,
preferred grade, birthday, the vehicle's first registration date (行驶证 注册日期, from
which the inspection reminders follow: loyalty.reminders.inspection) (each settable once by the member; later changes are an
operator's, so a birthday cannot be moved to collect a second birthday gift), and which
push categories they want. Both writers only flush; the caller commits.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty.books.ledger import utc
from loyalty.errors import ValidationError
from loyalty.policy import BUSINESS_TZ
from models import FuelGrade, Member, PushPreference
from models.push_preference import PUSH_CATEGORIES, PUSH_DEFAULTS

PROFILE_FIELDS = ("plate", "vehicle_type", "preferred_grade", "birthday", "vehicle_registered_on")
VEHICLE_TYPES = {"sedan": "轿车", "suv": "SUV", "mpv": "MPV", "pickup": "皮卡", "truck": "货车",
                 "bus": "客车", "motorcycle": "摩托车"}
# A mainland plate: province, issuing-office letter, then 5 characters (6 for new energy).
_PLATE = re.compile(r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{5,6}$")
LABELS = {"plate": "车牌号", "vehicle_type": "车型", "preferred_grade": "常用油品", "birthday": "生日",
          "vehicle_registered_on": "行驶证注册日期"}
FIRST_REGISTRATION = date(1950, 1, 1)  # earlier is a typing slip, not a car still on the road


def _plate(raw: str) -> str:
    plate = re.sub(r"[\s·.\-]", "", raw).upper()
    if not _PLATE.match(plate):
        raise ValidationError("车牌号格式不正确，例如 浙A12345", field="plate")
    return plate


def _vehicle_type(raw: str) -> str:
    if raw not in VEHICLE_TYPES:
        raise ValidationError("请选择车型", field="vehicle_type")
    return raw


def _grade(raw: str) -> str:
    if db.session.scalar(select(FuelGrade.code).where(FuelGrade.code == raw)) is None:
        raise ValidationError("请选择油品", field="preferred_grade")
    return raw


def _birthday(raw: str, today: date) -> date:
    try:
        found = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError("生日格式不正确", field="birthday") from None
    if not date(1900, 1, 1) <= found <= today:
        raise ValidationError("生日不在有效范围内", field="birthday")
    return found


def _registered_on(raw: str, today: date) -> date:
    try:
        found = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError("注册日期格式不正确", field="vehicle_registered_on") from None
    if not FIRST_REGISTRATION <= found <= today:
        raise ValidationError("注册日期不在有效范围内", field="vehicle_registered_on")
    return found


def set_profile(member: Member, values: dict[str, str], *, now: datetime | None = None) -> list[str]:
    """Fill in the member's unset profile fields from `values` (form strings; blank ones are
    skipped); returns the fields set. A field already set may be sent again unchanged (a
    resubmitted form) but not changed: ValidationError, and nothing is written. Flushes."""
    today = utc(now).astimezone(BUSINESS_TZ).date()
    parse = {"plate": _plate, "vehicle_type": _vehicle_type, "preferred_grade": _grade,
             "birthday": lambda raw: _birthday(raw, today),
             "vehicle_registered_on": lambda raw: _registered_on(raw, today)}
    wanted = {}
    for name in PROFILE_FIELDS:
        raw = (values.get(name) or "").strip()
        if not raw:
            continue
        value, current = parse[name](raw), getattr(member, name)
        if current is not None and current != value:
            raise ValidationError(f"{LABELS[name]}已设置，如需修改请联系加油站工作人员", field=name)
        if current is None:
            wanted[name] = value
    for name, value in wanted.items():
        setattr(member, name, value)
    db.session.flush()
    return list(wanted)


def push_preferences(member: Member) -> dict[str, bool]:
    """The member's push choices per category (PUSH_CATEGORIES), defaults when never set."""
    row = db.session.get(PushPreference, member.id)
    return {name: getattr(row, name) for name in PUSH_CATEGORIES} if row else dict(PUSH_DEFAULTS)


def set_push_preferences(member: Member, chosen: dict[str, bool], *, now: datetime | None = None) -> dict[str, bool]:
    """Store the member's choice for every category (a category missing from `chosen` is
    off, as an unticked checkbox is); returns the stored choices. Flushes."""
    values = {name: bool(chosen.get(name)) for name in PUSH_CATEGORIES}
    row = db.session.get(PushPreference, member.id)
    if row is None:
        try:
            with db.session.begin_nested():  # a parallel first save: the later one updates
                db.session.add(PushPreference(member_id=member.id, updated_at=utc(now), **values))
            return values
        except IntegrityError:
            row = db.session.get(PushPreference, member.id, populate_existing=True)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utc(now)
    db.session.flush()
    return values
