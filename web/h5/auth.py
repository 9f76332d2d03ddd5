"""Who the member on an H5 page is: WeChat web-page OAuth (snsapi_base) into a server-side
session, CSRF and rate limits on writes.

The round trip: a page without a member session stores a random `state` (and where to
come back to) in this browser's session and redirects to WeChat's authorize page
(WECHAT_OPEN_BASE); WeChat sends the browser back to /m/oauth with a code and the state;
the state must be this session's (so nobody can plant their own code in a member's
browser); the code is exchanged for the openid through WECHAT_API_BASE; a snapshot user
(is_snapshotuser = 1, the 朋友圈 preview with a virtual openid) is refused; the openid's
member (loyalty.people.bindings.member_by_openid) starts a fresh session owned by
"member:<id>" (web/sessions.py), so unbinding or deletion ends it with end_all.

Every request re-checks that the session's openid is still bound to its member, so a
page opened after 解绑 asks WeChat again, even if no one ended the session.
"""
from __future__ import annotations

import functools
import hmac
import logging
import secrets
import time

import requests
from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from wechatpy.exceptions import WeChatOAuthException
from wechatpy.oauth import WeChatOAuth

from loyalty.people.bindings import member_by_openid
from models import Member
from loyalty import rate_limit
from web import sessions
from web.csrf import csrf_token, write_allowed

log = logging.getLogger("youka.h5")
CALLBACK_PATH = "/m/oauth"


class OAuth(WeChatOAuth):
    """wechatpy's web-page OAuth client on our configured bases, with our HTTP timeout."""

    def __init__(self, state: str = "") -> None:
        config = current_app.config
        super().__init__(config["WECHAT_APPID"], config["WECHAT_SECRET"],
                         config["PUBLIC_BASE_URL"].rstrip("/") + CALLBACK_PATH, scope="snsapi_base", state=state)
        self.API_BASE_URL = config["WECHAT_API_BASE"].rstrip("/") + "/"
        self.OAUTH_BASE_URL = config["WECHAT_OPEN_BASE"].rstrip("/") + "/connect/"
        self.timeout = config["WECHAT_HTTP_TIMEOUT"]

    def _request(self, method, url_or_endpoint, **kwargs):
        kwargs.setdefault("timeout", self.timeout)
        return super()._request(method, url_or_endpoint, **kwargs)


def member_owner(member_id: int) -> str:
    """The owner name of a member's sessions: sessions.end_all(member_owner(id)) ends them."""
    return f"member:{member_id}"


def current_member() -> Member | None:
    """The member of this request's session, or None. A session whose openid is no longer
    bound to its member (unbound, moved, deleted) is ended here."""
    member_id, openid = session.get("member_id"), session.get("openid")
    if not member_id or not openid:
        return None
    member = member_by_openid(openid)
    if member is None or member.id != member_id:
        sessions.end()
        return None
    return member


def notice(name: str, status: int):
    """A page that says one thing (templates/h5/notice/<name>.html) and shows no member data."""
    return render_template(f"h5/notice/{name}.html"), status


def start_oauth():
    """Send the browser to WeChat to learn its openid, then back to this page."""
    state = secrets.token_urlsafe(24)
    session["oauth_state"] = state
    session["oauth_next"] = request.full_path.rstrip("?") if request.method == "GET" else url_for("h5.index")
    # A new id: the old one may name a session that was ended (and could not be rewritten).
    current_app.session_interface.regenerate(session)
    return redirect(OAuth(state).authorize_url)


def safe_next(target: str | None) -> str:
    """Only a path of these pages, never another site."""
    if target and target.startswith("/m/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("h5.index")


def finish_oauth():
    """/m/oauth: check the state, exchange the code, start the member's session."""
    wait = rate_limit.hit("h5-oauth", current_app.config["H5_OAUTH_RATE_LIMIT"], request.remote_addr or "")
    if wait:
        body, status = notice("too_many", 429)
        return body, status, {"Retry-After": str(wait)}
    expected, back = session.pop("oauth_state", None), session.pop("oauth_next", None)
    sent, code = request.args.get("state", ""), request.args.get("code", "")
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        return notice("expired", 400)
    if not code:
        return notice("expired", 400)
    client = OAuth()
    try:
        answer = client.fetch_access_token(code)
    except WeChatOAuthException as exc:
        log.warning("OAuth code exchange refused: %s %s", exc.errcode, exc.errmsg)
        return notice("expired", 400)
    except (requests.RequestException, ValueError, KeyError):
        log.exception("OAuth code exchange failed")
        return notice("unavailable", 502)
    finally:
        client._http.close()
    if answer.get("is_snapshotuser") == 1:
        return notice("snapshot", 403)  # a virtual openid: never bound, never shown data
    member = member_by_openid(answer["openid"])
    if member is None:
        return notice("unbound", 200)
    sessions.begin(member_owner(member.id), member_id=member.id, openid=answer["openid"],
                   login_at=int(time.time()))
    csrf_token()
    return redirect(safe_next(back))


def member_page(view):
    """A page: the session's member as `member`, else off to WeChat OAuth and back."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        member = current_member()
        if member is None:
            return start_oauth()
        return view(member, *args, **kwargs)
    return wrapper


def api_error(code: str, message: str, status: int):
    return jsonify(error={"code": code, "message": message}), status


def member_json(view):
    """A JSON endpoint the page's script calls: no session -> 401 (the script reloads the page)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        member = current_member()
        if member is None:
            return api_error("login_required", "请从公众号重新打开页面", 401)
        return view(member, *args, **kwargs)
    return wrapper


def member_write(view):
    """A form post: the member's session, the CSRF token from the same origin, and at most
    H5_WRITE_RATE_LIMIT writes per member, counted before the work."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        member = current_member()
        if member is None:
            return notice("session_over", 401)
        if not write_allowed():
            return notice("csrf", 403)
        wait = rate_limit.hit("h5-write", current_app.config["H5_WRITE_RATE_LIMIT"], str(member.id))
        if wait:
            body, status = notice("too_many", 429)
            return body, status, {"Retry-After": str(wait)}
        return view(member, *args, **kwargs)
    return wrapper
