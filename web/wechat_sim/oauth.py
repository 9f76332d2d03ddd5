"""Web-page OAuth as WeChat does it for snsapi_base: the authorize redirect (served on
the fake's root, standing in for open.weixin.qq.com: point WECHAT_OPEN_BASE at it) and
the code -> openid exchange (sns/oauth2/access_token, through WECHAT_API_BASE).

Who the user is: `state.oauth_as(openid, snapshot=False)` (or POST /_sim/oauth_user);
with nobody set, the authorize page asks for an openid, so a developer can browse the
H5 pages. A snapshot user (朋友圈 "快照页" mode) gets is_snapshotuser = 1, as WeChat sends.
"""
from __future__ import annotations

import secrets
from html import escape
from urllib.parse import urlencode, urlsplit

from flask import Response, jsonify, redirect, request

from web.wechat_sim.api import bp, error, state

ASK = """<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>模拟微信授权</title><form method="get"><p>以哪个 openid 打开？</p>
{hidden}<input name="as_openid" required> <label><input type="checkbox" name="snapshot" value="1">快照页</label>
<button>确定</button></form>"""


@bp.get("/connect/oauth2/authorize")
def oauth_authorize() -> Response:
    args = request.args
    appid, target, scope = args.get("appid", ""), args.get("redirect_uri", ""), args.get("scope")
    if not appid or args.get("response_type") != "code" or scope not in ("snsapi_base", "snsapi_userinfo"):
        return Response("参数错误", status=400)  # WeChat shows an error page, not JSON
    if urlsplit(target).scheme not in ("http", "https"):
        return Response("redirect_uri 参数错误", status=400)
    fake = state()
    with fake.lock:
        user = fake.oauth.user
    if args.get("as_openid"):
        user = (args["as_openid"], args.get("snapshot") == "1")
    if user is None:
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                         for k, v in args.items() if k not in ("as_openid", "snapshot"))
        return Response(ASK.format(hidden=hidden), mimetype="text/html")
    with fake.lock:
        code = fake.oauth.issue(appid, *user)
    query = {"code": code, **({"state": args["state"]} if "state" in args else {})}
    return redirect(target + ("&" if "?" in target else "?") + urlencode(query))


@bp.get("/sns/oauth2/access_token")
def oauth_access_token() -> Response:
    args = request.args
    if not args.get("appid"):
        return error(41002)
    if not args.get("secret"):
        return error(41004)
    if args.get("grant_type") != "authorization_code" or not args.get("code"):
        return error(40029)
    fake = state()
    code = fake.take_failure("/sns/oauth2/access_token")
    if code is not None:
        return error(code)
    with fake.lock:
        grant = fake.oauth.take(args["appid"], args["code"])
    if isinstance(grant, int):
        return error(grant)
    answer = {"access_token": "OAUTH_" + secrets.token_urlsafe(24), "expires_in": 7200,
              "refresh_token": "REFRESH_" + secrets.token_urlsafe(24), "openid": grant.openid,
              "scope": "snsapi_base"}
    if grant.snapshot:
        answer["is_snapshotuser"] = 1
    return jsonify(answer)
