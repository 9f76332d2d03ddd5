"""The control API a test or a developer uses to steer the fake over HTTP
(the Python side has the same verbs on the state object)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from web.wechat_sim.api import state
from web.wechat_sim.state import TOKEN_ERRORS

bp = Blueprint("fake_wechat_control", __name__, url_prefix="/_sim")


def _bad(message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = 400
    return response


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _path(body: dict[str, Any]) -> str | None:
    path = body.get("path")
    return path if isinstance(path, str) and path.startswith("/") else None


@bp.post("/fail")
def fail() -> Response:
    body = _body()
    path, errcode, times = _path(body), body.get("errcode"), body.get("times", 1)
    if path is None or not isinstance(errcode, int) or not isinstance(times, int) or times < 1:
        return _bad('expected {"path": "/cgi-bin/...", "errcode": int, "times": int >= 1}')
    state().fail(path, errcode, times)
    return jsonify(ok=True)


@bp.post("/delay")
def delay() -> Response:
    body = _body()
    path, seconds = _path(body), body.get("seconds")
    if path is None or not isinstance(seconds, (int, float)) or seconds < 0:
        return _bad('expected {"path": "/cgi-bin/...", "seconds": number >= 0}')
    state().delay(path, float(seconds))
    return jsonify(ok=True)


@bp.post("/invalidate_token")
def invalidate_token() -> Response:
    errcode = _body().get("errcode", 40001)
    if errcode not in TOKEN_ERRORS:
        return _bad(f"errcode must be one of {list(TOKEN_ERRORS)}")
    state().invalidate_token(errcode)
    return jsonify(ok=True)


@bp.post("/oauth_user")
def oauth_user() -> Response:
    body = _body()
    openid = body.get("openid")
    if openid is not None and (not isinstance(openid, str) or not openid):
        return _bad('expected {"openid": "o..." or null, "snapshot": bool}')
    state().oauth_as(openid, bool(body.get("snapshot")))
    return jsonify(ok=True)


def _openid(body: dict[str, Any]) -> str | None:
    openid = body.get("openid")
    return openid if isinstance(openid, str) and openid else None


@bp.post("/follow")
def follow() -> Response:
    body = _body()
    openid = _openid(body)
    if openid is None:
        return _bad('expected {"openid": "o...", "following": bool}')
    state().set_following(openid, bool(body.get("following", True)))
    return jsonify(ok=True)


@bp.post("/accept")
def accept() -> Response:
    body = _body()
    openid, template_id, times = _openid(body), body.get("template_id"), body.get("times", 1)
    if openid is None or not isinstance(template_id, str) or not isinstance(times, int) or times < 1:
        return _bad('expected {"openid": "o...", "template_id": "...", "times": int >= 1}')
    state().accept(openid, template_id, times)
    return jsonify(ok=True)


@bp.post("/interact")
def interact() -> Response:
    body = _body()
    openid, kind = _openid(body), body.get("kind", "message")
    if openid is None or kind not in ("message", "event"):
        return _bad('expected {"openid": "o...", "kind": "message" | "event"}')
    state().interact(openid, kind)
    return jsonify(ok=True)


@bp.post("/rules")
def rules() -> Response:
    body = _body()
    quota = body.get("template_quota")
    if quota is not None and (not isinstance(quota, int) or quota < 0):
        return _bad('expected {"custom_windows": bool, "template_quota": int >= 0}')
    if "custom_windows" in body:
        state().windows_enforced = bool(body["custom_windows"])
    if quota is not None:
        state().set_quota("template_messages", quota)
    return jsonify(ok=True)


@bp.get("/messages")
def messages() -> Response:
    """The recorded pushes, oldest first: ?kind=template|subscribe|custom&touser=&since=<seq>&limit=."""
    kind = request.args.get("kind") or None
    if kind not in (None, "template", "subscribe", "custom"):
        return _bad("kind must be template, subscribe or custom")
    try:
        since = int(request.args.get("since", 0))
        limit = min(int(request.args.get("limit", 1000)), 10000)
    except ValueError:
        return _bad("since and limit must be integers")
    found = state().list_messages(kind, request.args.get("touser") or None, since, limit)
    return jsonify(messages=found, count=len(found))


@bp.get("/counts")
def counts() -> Response:
    """How many pushes were recorded, per kind (cheap: for a benchmark's 100,000)."""
    st = state()
    with st.lock:
        return jsonify(template=len(st.template_messages), subscribe=len(st.subscribe_messages),
                       custom=len(st.custom_messages), distinct_template_users=len({m["touser"] for m in st.template_messages}))


@bp.post("/reset")
def reset() -> Response:
    state().reset()
    return jsonify(ok=True)


@bp.get("/media/<media_id>")
def media(media_id: str):
    """An uploaded file's bytes, as WeChat would show the image in the chat (the simulator's)."""
    found = state().find_media(media_id)
    if found is None:
        return jsonify(error="no such media_id"), 404
    return Response(found["content"], mimetype=found.get("content_type") or "application/octet-stream")


@bp.get("/state")
def snapshot() -> Response:
    return jsonify(state().snapshot())
