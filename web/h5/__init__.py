"""The member's H5 pages under /m (PRODUCT M2, M7, M8, M12): opened from the chat, in
WeChat's browser. Mobile-first, Chinese, server-rendered; one small script (the e-card's
refresh), no framework, nothing from a CDN. See docs/h5.md.

    auth.py      WeChat OAuth (snsapi_base) into a server-side session; CSRF and rate
                 limits on writes
    pages.py     the pages a member reads: e-card, records, points, coupons, rewards,
                 family, profile (templates/h5/)
    ecard.py     the e-card's code (JSON) and its QR image (PNG)
    actions.py   the writes: redeem, profile, push preferences

A member only ever sees their own data: no member id appears in a URL, and any other id
(a sale, a coupon, a redemption, a member code) is looked up through the session's member.
"""
from __future__ import annotations

from flask import Blueprint, Flask, request

from loyalty.errors import NotFound
from loyalty.people.statements import last_day

bp = Blueprint("h5", __name__, url_prefix="/m", static_folder="static", static_url_path="/static")

# A form here is a few short fields; anything larger is not ours.
MAX_BODY = 16 * 1024


@bp.before_request
def limit_body():
    # Werkzeug refuses a larger form with 413 while parsing, chunked bodies included.
    request.max_content_length = MAX_BODY
    request.max_form_memory_size = MAX_BODY


@bp.app_template_filter("lastday")
def lastday(end):
    """An exclusive end instant as the last Shanghai day it still works."""
    return last_day(end)


@bp.errorhandler(NotFound)
def not_found(exc: NotFound):
    from web.h5.auth import notice
    return notice("not_found", 404)


@bp.errorhandler(413)
def too_large(exc):
    from web.h5.auth import notice
    return notice("too_large", 413)


@bp.errorhandler(500)
def internal_error(exc):
    # Only reached outside tests (TESTING propagates): Flask logs the bug with its traceback.
    from web.h5.auth import notice
    return notice("error", 500)


@bp.after_request
def no_caching(response):
    # Member data: never kept by WeChat's browser cache or a proxy on the way.
    if not request.path.startswith("/m/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    from web.h5 import actions, ecard, pages  # noqa: F401  (routes register on bp)
    app.register_blueprint(bp)
