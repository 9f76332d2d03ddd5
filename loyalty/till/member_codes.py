"""Member codes (会员码): the dynamic e-card a cashier scans or types.

A code is 18 digits: "66" (tells it from a WeChat Pay 10-15 or Alipay 25-30 payment
code on the same scanner), a 10-digit random serial, and a 6-digit tag, the serial's
HMAC-SHA256 under a sub-key of SECRET_KEY, truncated. The tag lets a station tell a
mistyped or forged code (CodeInvalid) without a lookup; the state lives in Redis under
the serial, so "used" and "superseded" are known and a replayed screenshot fails:

    youka:mc:<serial>               hash: m member id, d device, exp (ms), st live|used, h holder, sup
    youka:mc:live:<member>:<device> the serial of the member's live code on that device

A code is valid MEMBER_CODE_TTL seconds (60) and single use. Asking again on the same
device supersedes the old code. Every check and change is one Lua script, so it is atomic
across processes: of two cashiers consuming one code at once, exactly one gets it.

Which error, in this order: used -> CodeUsed; superseded -> CodeExpired (reason
"superseded"); past its time -> CodeExpired; correctly signed but not on record (records
are kept MEMBER_CODE_RETENTION seconds, an hour, after issue, so only an old code can be
missing) -> CodeExpired (reason "unknown"); wrong shape or tag -> CodeInvalid.

A sale consumes its code with a holder (the POS transaction) before committing and
releases it when the sale fails, so a failed sale leaves the code usable. A process that
dies in between leaves the code used: it fails closed, the member refreshes the e-card.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from extensions import db, get_redis
from loyalty.errors import CodeExpired, CodeInvalid, CodeUsed, ValidationError
from loyalty.books.ledger import utc
from loyalty.qr_png import qr_png
from models import Member

PREFIX = "66"
SERIAL_DIGITS, TAG_DIGITS = 10, 6
KEY = "youka:mc:"
_SHAPE = re.compile(rf"^{PREFIX}[0-9]{{{SERIAL_DIGITS + TAG_DIGITS}}}$")  # ASCII: \d takes any script's digits
_DEVICE = re.compile(r"^[a-z0-9_]{1,16}$")

_ISSUE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local old = redis.call('GET', KEYS[2])
if old and redis.call('EXISTS', ARGV[7] .. old) == 1 then redis.call('HSET', ARGV[7] .. old, 'sup', '1') end
redis.call('HSET', KEYS[1], 'm', ARGV[2], 'd', ARGV[3], 'exp', ARGV[4], 'st', 'live')
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[6])
return 1
"""
# ARGV[2] holder: '' only looks; otherwise a live code becomes used by that holder.
_TAKE = """
local r = redis.call('HMGET', KEYS[1], 'm', 'st', 'h', 'sup', 'exp')
if not r[1] then return {'unknown', ''} end
if r[2] == 'used' then
  if ARGV[2] ~= '' and r[3] == ARGV[2] then return {'mine', r[1]} end
  return {'used', r[1]}
end
if r[4] == '1' then return {'superseded', r[1]} end
if tonumber(r[5]) <= tonumber(ARGV[1]) then return {'expired', r[1]} end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'st', 'used', 'h', ARGV[2]) end
return {'ok', r[1]}
"""
_RELEASE = """
if redis.call('HGET', KEYS[1], 'st') == 'used' and redis.call('HGET', KEYS[1], 'h') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'st', 'live')
  redis.call('HDEL', KEYS[1], 'h')
  return 1
end
return 0
"""


@dataclass(frozen=True)
class MemberCode:
    code: str
    member_id: int
    device: str
    expires_at: datetime

    def qr_png(self) -> bytes:
        """The code as a QR code, PNG bytes (rendered on demand: most callers want the digits)."""
        return qr_png(self.code)


@dataclass(frozen=True)
class Consumption:
    member: Member
    fresh: bool  # False: this holder had already consumed it (a retried request)


def _sub_key() -> bytes:
    # A key of its own, so a tag never doubles as a signature anywhere else SECRET_KEY is used.
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"youka/member-code/v1", hashlib.sha256).digest()


def _tag(serial: str) -> str:
    digest = hmac.new(_sub_key(), (PREFIX + serial).encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10 ** TAG_DIGITS).zfill(TAG_DIGITS)


def parse(code) -> str:
    """The serial of a well-formed, correctly signed code (spaces and dashes of manual
    entry ignored, full-width digits as a Chinese input method types them read as ASCII);
    CodeInvalid otherwise."""
    # NFKC folds full-width forms (１２３, the ideographic space, －) to ASCII.
    text = unicodedata.normalize("NFKC", code) if isinstance(code, str) else ""
    digits = re.sub(r"[\s-]", "", text)
    if not _SHAPE.match(digits):
        raise CodeInvalid(reason="shape")
    serial, tag = digits[len(PREFIX):-TAG_DIGITS], digits[-TAG_DIGITS:]
    if not hmac.compare_digest(tag, _tag(serial)):
        raise CodeInvalid(reason="signature")
    return serial


def _ms(at: datetime) -> int:
    return int(at.timestamp()) * 1000 + at.microsecond // 1000


def issue(member: Member, device: str = "wechat", now: datetime | None = None) -> MemberCode:
    """A fresh code for the member on that device (e.g. "wechat" chat, "h5" page),
    superseding the device's previous code."""
    if not _DEVICE.match(device or ""):
        raise ValidationError("设备名无效", field="device")
    now, ttl = utc(now), int(current_app.config["MEMBER_CODE_TTL"])
    keep = ttl + int(current_app.config["MEMBER_CODE_RETENTION"])
    expires_at = now + timedelta(seconds=ttl)
    script = get_redis().register_script(_ISSUE)
    while True:  # a serial still on record is never reused; a clash is one in 10^10
        serial = str(secrets.randbelow(10 ** SERIAL_DIGITS)).zfill(SERIAL_DIGITS)
        if script(keys=[KEY + serial, f"{KEY}live:{member.id}:{device}"],
                  args=[serial, member.id, device, _ms(expires_at), keep, ttl, KEY]):
            return MemberCode(PREFIX + serial + _tag(serial), member.id, device, expires_at)


def _take(code, holder: str, now: datetime | None) -> tuple[str, Member]:
    serial = parse(code)
    status, member_id = (v.decode() if isinstance(v, bytes) else v for v in get_redis().register_script(_TAKE)(
        keys=[KEY + serial], args=[_ms(utc(now)), holder]))
    if status == "used":
        raise CodeUsed()
    if status == "superseded":
        raise CodeExpired("会员码已更新，请出示最新的会员码", reason=status)
    if status in ("expired", "unknown"):
        raise CodeExpired(reason=status)
    member = db.session.get(Member, int(member_id))
    if member is None:  # the member was deleted (PIPL) after the code was shown
        raise CodeInvalid(reason="member")
    return status, member


def resolve(code, now: datetime | None = None) -> Member:
    """The member a live code names; nothing changes (quoting and looking up do not use it).
    Raises CodeUsed, CodeExpired or CodeInvalid (see the module docstring)."""
    return _take(code, "", now)[1]


def consume(code, holder: str, now: datetime | None = None) -> Consumption:
    """Use the code up for `holder` (e.g. "sale:S001:T0001") and return its member, atomically:
    of two holders racing, one wins and the other gets CodeUsed. The same holder again gets
    the member with fresh=False (a retry of the same request)."""
    if not holder:
        raise ValueError("consume needs a holder")
    status, member = _take(code, holder, now)
    return Consumption(member, fresh=(status == "ok"))


def release(code, holder: str) -> bool:
    """Undo `holder`'s consume (its sale failed), so the code can be used again until it
    expires. Returns False when the holder did not hold it."""
    return bool(get_redis().register_script(_RELEASE)(keys=[KEY + parse(code)], args=[holder]))


def member_id_of(code) -> int | None:
    """The member a code on record named, whatever its state (to recognise a retry); None
    when the code is not on record or invalid."""
    try:
        serial = parse(code)
    except CodeInvalid:
        return None
    value = get_redis().hget(KEY + serial, "m")
    return int(value) if value is not None else None


def grouped(code: str) -> str:
    """The digits in fours, as a cashier reads them out: "6612 3456 7890 1234 56"."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))
