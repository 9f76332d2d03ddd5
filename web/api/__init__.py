"""The station API, /api/v1/station: what a POS calls to identify a member, quote and
commit sales, refund and top up. JSON in and out; every request signed by the station
(web/api/auth.py); errors as {"error": {"code", "message"}} (web/api/errors.py); the
OpenAPI document at /api/v1/station/openapi.json is built from the shapes the views
validate with (web/api/openapi.py). docs/station-api.md is the integrators' guide.
"""
from flask import Blueprint, Flask

bp = Blueprint("station_api", __name__, url_prefix="/api/v1/station")


def init_app(app: Flask) -> None:
    # Imported for their routes and hooks on `bp`, once, before its first registration.
    from web.api import auth, errors, members, openapi, sales, topups  # noqa: F401
    from web import body_limit
    body_limit.allow(app, bp.name, auth.MAX_BODY)
    app.register_blueprint(bp)
