"""The simulator's pages: the phone beside the cashier page, `/` leading there, and
/simulator/open, which opens an H5 link inside the phone as the phone's WeChat user."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for

from bot.menu import MENU, Submenu
from web.simulator import bp, phones, wechat
from web.sessions import MEMBER_COOKIE, MEMBER_COOKIE_PATH


LAST_PHONE = "simulator_phone"  # whose WeChat browser the member cookie belongs to


def home():
    """`/` in development: the simulator (production registers no `/` at all)."""
    return redirect(url_for("simulator.page"))


def _menu() -> list[dict]:
    return [{"name": item.name, "buttons": [{"name": b.name, "key": b.key} for b in item.buttons]}
            if isinstance(item, Submenu) else {"name": item.name, "key": item.key} for item in MENU]


@bp.get("/")
def page():
    return render_template("simulator/index.html", menu=_menu(),
                           public_base=current_app.config["PUBLIC_BASE_URL"].rstrip("/"),
                           aes=bool(current_app.config.get("WECHAT_AES_KEY")))


def _same_service(target: str) -> str | None:
    """The path (and query) of a link to this service's H5 pages, or None."""
    parts = urlsplit(target)
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    if parts.scheme not in ("", "http", "https"):
        return None
    if parts.netloc and parts.netloc not in (base.netloc, request.host):
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//"):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


@bp.get("/open")
def open_link():
    """Open a link as the phone's WeChat browser would: the fake OAuth answers for this
    phone's openid, and the member cookie of the phone shown before is dropped (each phone
    has its own WeChat browser)."""
    openid, target = request.args.get("openid", ""), request.args.get("to", "")
    if phones.get(openid) is None:
        abort(404)
    path = _same_service(target)
    if path is None:
        abort(400)
    wechat.oauth_as(openid)
    response = redirect(path)
    if request.cookies.get(LAST_PHONE) != openid:
        response.delete_cookie(MEMBER_COOKIE, path=MEMBER_COOKIE_PATH)
        response.set_cookie(LAST_PHONE, openid, path="/simulator", httponly=True, samesite="Lax")
    return response
