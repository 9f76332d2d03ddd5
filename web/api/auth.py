"""Station authentication: every request but the OpenAPI document is signed.

Headers X-Station-Code, X-Timestamp (unix seconds, within CLOCK_SKEW of ours), X-Nonce
(16-64 of [A-Za-z0-9_-], never twice) and X-Signature (web/api/signing.py). Checks, in
order: the headers are there, the timestamp is fresh, the station is known and the
signature is its (invalid_signature for an unknown station too, so the API tells no one
which stations exist), then the nonce is new. The nonce is remembered only once the
signature is good, so forged requests cannot use up a station's nonces. A timestamp is
acceptable for 2 * CLOCK_SKEW seconds (it may arrive CLOCK_SKEW early and CLOCK_SKEW
late), so the nonce is kept NONCE_TTL, that span and a margin for whole-second clocks:
a captured request can never be replayed, refused as reused until it is stale.
"""
from __future__ import annotations

import re
import time

from flask import g, request
from sqlalchemy import select

from extensions import db, get_redis
from loyalty.people.station_credentials import secret_of
from models import Station
from web.api import bp, signing
from web.api.errors import ApiError

CLOCK_SKEW = 300
NONCE_TTL = 2 * CLOCK_SKEW + 60  # the acceptance span (600 s) and a margin
MAX_BODY = 256 * 1024
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_STAMP = re.compile(r"^[0-9]{1,12}$")
PUBLIC = {"station_api.openapi_document"}
_NO_SECRET = "no-secret-" + "0" * 54


def path_with_query() -> str:
    """The path and query as the POS sent them on the request line, percent-escapes and all
    (gunicorn and werkzeug keep the raw request target in RAW_URI; uWSGI in REQUEST_URI)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return raw
    query = request.query_string.decode("latin-1")
    return request.script_root + request.path + (f"?{query}" if query else "")


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    headers = {name: request.headers.get(name, "") for name in signing.HEADERS}
    missing = [name for name, value in headers.items() if not value]
    if missing:
        raise ApiError("invalid_signature", f"缺少请求头 {', '.join(missing)}")
    stamp = headers["X-Timestamp"]
    # ASCII digits only: isdigit() also takes "²" and "１", which int() refuses or reads.
    if not _STAMP.match(stamp):
        raise ApiError("invalid_signature", "X-Timestamp 应为 unix 秒数")
    if abs(int(time.time()) - int(stamp)) > CLOCK_SKEW:
        raise ApiError("stale_timestamp")
    nonce = headers["X-Nonce"]
    if not _NONCE.match(nonce):
        raise ApiError("invalid_signature", "X-Nonce 应为 16-64 位字母、数字、-、_")
    # The body is read below, at most MAX_BODY bytes of it, chunked or not (web/body_limit.py):
    # past that, payload_too_large before any lookup or signature check.
    station = db.session.scalars(select(Station).where(Station.code == headers["X-Station-Code"],
                                                       Station.active)).first()
    secret = secret_of(station) if station is not None else None
    # Verified even without a secret, so the time taken does not tell whether a station exists.
    good = signing.verify(secret or _NO_SECRET, headers["X-Signature"], request.method, path_with_query(),
                          stamp, nonce, request.get_data(cache=True))
    if secret is None or not good:
        raise ApiError("invalid_signature")
    if not get_redis().set(f"youka:nonce:{station.code}:{nonce}", 1, nx=True, ex=NONCE_TTL):
        raise ApiError("nonce_reused")
    # The code and id as plain values too: a commit expires the loaded station.
    g.station, g.station_code, g.station_id = station, station.code, station.id
    return None
