"""Members attached to a nozzle by scanning the QR code stuck on the pump.

A scan of `pump:<station>:<nozzle>` attaches the member to that nozzle for
PUMP_ATTACH_TTL seconds (300); the next sale there with no member code is credited to
them and takes the attachment. The state is one Redis key a nozzle, with a TTL:

    youka:nozzle:<station>:<nozzle> -> member id

A later scan at the same nozzle replaces the earlier one (the member at the pump now).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from extensions import db, get_redis
from loyalty.errors import ValidationError
from models import Member

SCENE_PREFIX = "pump:"
_NOZZLE = re.compile(r"^[0-9A-Za-z]{1,8}$")
_STATION = re.compile(r"^[0-9A-Za-z_-]{1,16}$")

# Read and delete in one step, so two sales at one nozzle never both take the member.
_TAKE = """
local v = redis.call('GET', KEYS[1])
if not v then return false end
local left = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
return {v, left}
"""


@dataclass(frozen=True)
class Taken:
    """An attachment a sale took: kept so that a failed sale can put it back."""
    station_code: str
    nozzle: str
    member: Member
    ttl_ms: int


def check_nozzle(nozzle, field: str = "station_nozzle") -> str:
    """The nozzle number as given, when it is 1-8 letters or digits; ValidationError otherwise."""
    if not isinstance(nozzle, str) or not _NOZZLE.match(nozzle):
        raise ValidationError(f"{field}: 油枪号应为 1-8 位字母或数字", field=field)
    return nozzle


def scene(station_code: str, nozzle: str) -> str:
    """The parametric-QR scene of a nozzle: pump:S001:3."""
    return f"{SCENE_PREFIX}{station_code}:{check_nozzle(nozzle)}"


def parse_scene(value: str) -> tuple[str, str] | None:
    """(station code, nozzle) of a pump scene, or None when it is not one."""
    parts = (value or "").split(":")
    if len(parts) != 3 or parts[0] + ":" != SCENE_PREFIX:
        return None
    station_code, nozzle = parts[1], parts[2]
    if not _STATION.match(station_code) or not _NOZZLE.match(nozzle):
        return None
    return station_code, nozzle


def _key(station_code: str, nozzle: str) -> str:
    return f"youka:nozzle:{station_code}:{nozzle}"


def attach(station_code: str, nozzle: str, member: Member) -> int:
    """Attach the member to the nozzle; returns for how many seconds."""
    ttl = int(current_app.config["PUMP_ATTACH_TTL"])
    get_redis().set(_key(station_code, check_nozzle(nozzle)), member.id, ex=ttl)
    return ttl


def attached(station_code: str, nozzle: str) -> Member | None:
    """The member attached to the nozzle now, if any (nothing changes)."""
    value = get_redis().get(_key(station_code, check_nozzle(nozzle)))
    return db.session.get(Member, int(value)) if value is not None else None


def take(station_code: str, nozzle: str) -> Taken | None:
    """Detach and return the nozzle's member (for a sale), or None when nobody is attached."""
    found = get_redis().register_script(_TAKE)(keys=[_key(station_code, check_nozzle(nozzle))])
    if not found:
        return None
    member = db.session.get(Member, int(found[0]))
    if member is None:  # deleted since the scan
        return None
    return Taken(station_code, nozzle, member, max(int(found[1]), 1))


def put_back(taken: Taken) -> None:
    """Undo `take` after a failed sale, for the time the attachment had left, unless the
    nozzle has a newer attachment by now."""
    get_redis().set(_key(taken.station_code, taken.nozzle), taken.member.id, px=taken.ttl_ms, nx=True)
