"""The WeChat API endpoints the service uses, answering as WeChat does: JSON with
errcode/errmsg, an access_token checked on every call, the real errmsg texts."""
from __future__ import annotations

import json
import secrets
import time
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from web.wechat_sim.menu_rules import menu_errcode
from loyalty.qr_png import qr_png  # the same renderer the e-card uses
from web.wechat_sim.state import FakeWeChatState, errmsg

bp = Blueprint("fake_wechat_api", __name__)

# Endpoints that take credentials or a ticket instead of an access_token.
TOKENLESS = {"/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/showqrcode"}
MEDIA_TYPES = {"image", "voice", "video", "thumb"}
QR_ACTIONS = {"QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"}


def state() -> FakeWeChatState:
    return current_app.extensions["fake_wechat"]


def error(errcode: int) -> Response:
    return jsonify(errcode=errcode, errmsg=errmsg(errcode))


def ok(**extra: Any) -> Response:
    return jsonify(errcode=0, errmsg="ok", **extra)


def json_body() -> dict[str, Any] | None:
    # wechatpy posts JSON without a JSON content type, so read the raw body.
    try:
        body = json.loads(request.get_data() or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def record(kind: str, item: dict[str, Any]) -> int:
    return state().record(kind, item, g.generation)


@bp.before_app_request
def guard() -> Response | None:
    """Delay, then the token check, then an injected failure: the order a slow
    network, WeChat's auth layer and its business layer would apply."""
    path = request.path
    if not path.startswith("/cgi-bin/"):
        return None
    g.generation = state().generation
    seconds = state().delay_for(path)
    if seconds:
        time.sleep(seconds)  # served threaded: only this request waits
    if path not in TOKENLESS:
        code = state().check_token(request.args.get("access_token"))
        if code:
            return error(code)
    code = state().take_failure(path)
    return error(code) if code is not None else None


def _issue(appid: str | None, secret: str | None, reuse: bool) -> Response:
    if not appid:
        return error(41002)
    if not secret:
        return error(41004)
    token, expires_in = state().issue_token(appid, reuse=reuse)
    return jsonify(access_token=token, expires_in=expires_in)


@bp.get("/cgi-bin/token")
def token() -> Response:
    return _issue(request.args.get("appid"), request.args.get("secret"), reuse=False)


@bp.post("/cgi-bin/stable_token")
def stable_token() -> Response:
    body = json_body() or {}
    return _issue(body.get("appid"), body.get("secret"), reuse=not body.get("force_refresh"))


def _message(kind: str, required: tuple[str, ...]) -> Response:
    body = json_body()
    if body is None or any(not body.get(name) for name in required):
        return error(47001)
    code, msgid = state().admit(kind, body, g.generation)
    if code:
        return error(code)
    return ok(msgid=msgid)


@bp.get("/cgi-bin/ticket/getticket")
def getticket() -> Response:
    if request.args.get("type") != "jsapi":
        return error(40097)
    with state().lock:
        state().tickets_issued += 1
        number = state().tickets_issued
    return ok(ticket=f"FAKETICKET{number}_{secrets.token_urlsafe(16)}", expires_in=7200)


@bp.post("/cgi-bin/message/template/send")
def template_send() -> Response:
    return _message("template_messages", ("touser", "template_id", "data"))


@bp.post("/cgi-bin/message/custom/send")
def custom_send() -> Response:
    return _message("custom_messages", ("touser", "msgtype"))


@bp.post("/cgi-bin/message/subscribe/bizsend")
def subscribe_send() -> Response:
    return _message("subscribe_messages", ("touser", "template_id", "data"))


@bp.post("/cgi-bin/media/upload")
def media_upload() -> Response:
    media_type = request.args.get("type", "")
    upload = request.files.get("media")
    if media_type not in MEDIA_TYPES:
        return error(40004)
    if upload is None:
        return error(41005)
    content = upload.read()
    media_id = secrets.token_urlsafe(32)
    record("media", {"media_id": media_id, "type": media_type, "filename": upload.filename,
                     "content_type": upload.mimetype, "size": len(content), "content": content})
    return jsonify(type=media_type, media_id=media_id, created_at=int(time.time()))


@bp.post("/cgi-bin/menu/create")
def menu_create() -> Response:
    body = json_body()
    code = menu_errcode(body)
    if code:
        return error(code)
    record("menus", body)
    return ok()


@bp.get("/cgi-bin/menu/get")
def menu_get() -> Response:
    menu = state().latest_menu()
    return jsonify(menu=menu) if menu else error(46003)


@bp.post("/cgi-bin/qrcode/create")
def qrcode_create() -> Response:
    body = json_body() or {}
    action = body.get("action_name")
    scene = (body.get("action_info") or {}).get("scene") or {}
    value = scene.get("scene_str", scene.get("scene_id"))
    if action not in QR_ACTIONS or value in (None, ""):
        return error(40053)
    permanent = action.startswith("QR_LIMIT")
    answer: dict[str, Any] = {"ticket": "gQ" + secrets.token_urlsafe(40),
                              "url": "http://weixin.qq.com/q/" + secrets.token_urlsafe(16)}
    if not permanent:
        answer["expire_seconds"] = int(body.get("expire_seconds", 60))
    record("qrcodes", {**answer, "scene": str(value), "action_name": action})
    return jsonify(answer)


@bp.get("/cgi-bin/showqrcode")
def showqrcode() -> Response:
    found = state().find_qrcode(request.args.get("ticket", ""))
    if found is None:
        abort(404)
    return Response(qr_png(found["scene"]), mimetype="image/png")


@bp.route("/<path:rest>", methods=["GET", "POST"])
def unknown(rest: str) -> Response:
    # WeChat answers JSON, not an HTML 404, for an API this account may not call.
    return error(48001)
