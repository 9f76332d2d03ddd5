"""The cashier page (PRODUCT M15): for stations with no POS integration.

    pages.py     login, logout, the till screen (templates/cashier/)
    api.py       the JSON endpoints the screen's JavaScript calls (static/cashier.js)
    auth.py      the staff session (in Redis), CSRF, the login rate limit
    members.py   identifying the member: e-card code, pump nozzle, phone
    checkout.py  committing a sale or a top-up, consuming the member code
    cli.py       `flask staff create | deactivate`
"""
from __future__ import annotations

from flask import Blueprint, Flask, request

from loyalty.errors import LoyaltyError

bp = Blueprint("cashier", __name__, url_prefix="/cashier", static_folder="static",
               static_url_path="/static")

# Business errors a cashier can cause; anything not listed is a conflict with the state.
STATUS = {"validation_error": 400, "not_allowed": 403, "not_found": 404, "feature_unavailable": 503}


@bp.errorhandler(LoyaltyError)
def loyalty_error(exc: LoyaltyError):
    from web.cashier.auth import api_error
    return api_error(exc.code, exc.message, STATUS.get(exc.code, 409))


@bp.errorhandler(413)
def too_large(exc):
    # Bodies past MAX_CONTENT_LENGTH (web/body_limit.py); the page never sends one that big.
    from web.cashier.auth import api_error
    if request.path.startswith("/cashier/api/"):
        return api_error("payload_too_large", "提交的内容过大", 413)
    return "提交的内容过大", 413


@bp.errorhandler(500)
def internal_error(exc):
    # Only reached outside tests (TESTING propagates): the bug is logged by Flask with its traceback.
    from web.cashier.auth import api_error
    if request.path.startswith("/cashier/api/"):
        return api_error("internal_error", "系统错误，请稍后重试", 500)
    return "系统错误，请稍后重试", 500


def init_app(app: Flask) -> None:
    from web.cashier import api, pages  # noqa: F401  (routes register on bp)
    # The session (web/sessions.py) is the cashier's login; its cookie flags are in config.py.
    app.register_blueprint(bp)
