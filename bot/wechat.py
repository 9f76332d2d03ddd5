"""The outbound WeChat API client.

Every call goes to WECHAT_API_BASE, so the same code talks to WeChat or to the fake
(web.wechat_sim). The access token lives in Redis and is shared by every process; one
process at a time refreshes it, under a Redis lock. A call that meets an invalid or
expired token (40001, 40014, 42001) re-reads the shared token, refreshes it only if it
is the one that failed, and retries once. The HTTP layer (errors,
the base-URL session, token redaction) is bot/wechat_http.py.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import IO, Any
from urllib.parse import urlsplit

import redis
import requests
from flask import Flask, current_app
from wechatpy import WeChatClient as _WeChatpyClient

from bot.wechat_http import (REDACT_TOKENS, TOKEN_ERRORS, TOKEN_MARGIN, BaseURLSession, WeChatAPIError,
                             WeChatUnavailable)

log = logging.getLogger("youka.wechat")


class WeChatClient(_WeChatpyClient):
    """wechatpy's client with a configurable base URL and a token shared in Redis."""

    def __init__(self, appid: str, secret: str, *, api_base: str, redis_client: redis.Redis,
                 timeout: float):
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        self.api_base = api_base.rstrip("/")
        self.API_BASE_URL = self.api_base + "/cgi-bin/"
        self._http = BaseURLSession(self.api_base, timeout)
        self.redis = redis_client
        self.token_key = f"wechat:token:{appid}"

    def _read_token(self) -> str | None:
        raw = self.redis.get(self.token_key)
        return raw.decode() if raw else None

    @property
    def access_token(self) -> str:
        return self._read_token() or self._refresh(failed=None)

    def _refresh(self, failed: str | None) -> str:
        """A usable token: one another process stored meanwhile, else a fresh one.
        Forces a new token only when the stored one is the one that just failed."""
        lock = self.redis.lock(f"wechat:token-lock:{self.appid}", timeout=self.timeout * 3 + 5,
                               blocking=True, blocking_timeout=self.timeout * 2 + 5)
        if not lock.acquire():
            raise WeChatUnavailable("timed out waiting for another process to refresh the token")
        try:
            current = self._read_token()
            if current and current != failed:
                return current
            return self._fetch_token(force=failed is not None and current == failed)
        finally:
            lock.release()

    def _fetch_token(self, force: bool) -> str:
        log.info("fetching a WeChat access token (force_refresh=%s)", force)
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret,
                "force_refresh": force}
        result = self._checked(self._http.post(self.api_base + "/cgi-bin/stable_token", json=body),
                               "/cgi-bin/stable_token")
        token = result["access_token"]
        ttl = max(int(result.get("expires_in", 7200)) - TOKEN_MARGIN, 60)
        self.redis.set(self.token_key, token, ex=ttl)
        return token

    def fetch_access_token(self) -> dict[str, Any]:
        """wechatpy's hook, kept for its API objects: refresh the shared token."""
        return {"access_token": self._refresh(failed=self._read_token())}

    def _checked(self, res: requests.Response, path: str) -> Any:
        if res.status_code >= 400:
            raise WeChatUnavailable(f"HTTP {res.status_code}", path)
        result = self._decode_result(res)
        if isinstance(result, dict) and int(result.get("errcode") or 0) != 0:
            raise WeChatAPIError(int(result["errcode"]), str(result.get("errmsg", "")), path)
        return result

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        base = kwargs.pop("api_base_url", self.API_BASE_URL)
        url = url_or_endpoint if url_or_endpoint.startswith(("http://", "https://")) else base + url_or_endpoint
        path = urlsplit(self._http.rebase(url)).path
        processor = kwargs.pop("result_processor", None)
        params = dict(kwargs.pop("params", None) or {})
        if isinstance(kwargs.get("data"), dict):
            kwargs["data"] = _json_bytes(kwargs["data"])
        token = params.pop("access_token", None) or self.access_token
        try:
            result = self._call(method, url, path, {**params, "access_token": token}, kwargs)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.info("WeChat %s answered %s; renewing the shared token", path, exc.errcode)
            current = self._read_token()
            token = current if current and current != token else self._refresh(failed=token)
            _rewind(kwargs.get("files"))
            result = self._call(method, url, path, {**params, "access_token": token}, kwargs)
        return processor(result) if processor else result

    def _call(self, method: str, url: str, path: str, params: dict, kwargs: dict) -> Any:
        return self._checked(self._http.request(method, url, params=params, **kwargs), path)

    # -- the shared jsapi_ticket (JS-SDK config for the H5 pages' open tags) -----------

    @property
    def ticket_key(self) -> str:
        return f"wechat:jsapi_ticket:{self.appid}"

    def jsapi_ticket(self) -> str:
        """The shared jsapi_ticket (Redis), fetched under the token's lock when missing."""
        raw = self.redis.get(self.ticket_key)
        return raw.decode() if raw else self._fetch_ticket()

    def _fetch_ticket(self) -> str:
        lock = self.redis.lock(f"wechat:ticket-lock:{self.appid}", timeout=self.timeout * 3 + 5,
                               blocking=True, blocking_timeout=self.timeout * 2 + 5)
        if not lock.acquire():
            raise WeChatUnavailable("timed out waiting for another process to fetch the jsapi_ticket")
        try:
            raw = self.redis.get(self.ticket_key)
            if raw:
                return raw.decode()
            result = self.get("ticket/getticket", params={"type": "jsapi"})
            ticket = result["ticket"]
            self.redis.set(self.ticket_key, ticket, ex=max(int(result.get("expires_in", 7200)) - TOKEN_MARGIN, 60))
            return ticket
        finally:
            lock.release()

    def keep_fresh(self, ahead: int = 600) -> dict:
        """The token refresher's body (jobs/notify.refresh_tokens, every few minutes):
        renew the access token and the jsapi_ticket when either expires within `ahead`
        seconds (or is missing), so no member-facing call waits for a fetch."""
        renewed = {"access_token": False, "jsapi_ticket": False}
        if self.redis.ttl(self.token_key) < ahead:
            current = self._read_token()
            self._refresh(failed=current)  # forces a new one when a stale one is stored
            renewed["access_token"] = True
        if self.redis.ttl(self.ticket_key) < ahead:
            self.redis.delete(self.ticket_key)
            self._fetch_ticket()
            renewed["jsapi_ticket"] = True
        return renewed

    def jssdk_config(self, url: str, nonce: str | None = None, timestamp: int | None = None) -> dict:
        """wx.config's appId, timestamp, nonceStr and signature for the page at `url`
        (without its #fragment): sha1 of the sorted jsapi_ticket, noncestr, timestamp, url."""
        import hashlib
        import secrets
        import time as _time
        nonce = nonce or secrets.token_hex(8)
        timestamp = int(timestamp if timestamp is not None else _time.time())
        url = url.split("#", 1)[0]
        plain = f"jsapi_ticket={self.jsapi_ticket()}&noncestr={nonce}&timestamp={timestamp}&url={url}"
        return {"appId": self.appid, "timestamp": timestamp, "nonceStr": nonce,
                "signature": hashlib.sha1(plain.encode()).hexdigest()}

    def send_message(self, endpoint: str, payload: Mapping[str, Any], token: str | None = None) -> dict:
        """POST one push (`message/template/send`, ...) with a token the caller read once
        for a whole batch; a token error renews the shared token and retries once, as
        every call does. The lean path for fan-out: no wechatpy layers, one JSON encode."""
        path = f"/cgi-bin/{endpoint}"
        url = self.api_base + path
        body = _json_bytes(dict(payload))
        token = token or self.access_token
        try:
            return self._checked(self._http.post(url, params={"access_token": token}, data=body), path)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            current = self._read_token()
            token = current if current and current != token else self._refresh(failed=token)
            return self._checked(self._http.post(url, params={"access_token": token}, data=body), path)

    def send_custom(self, payload: Mapping[str, Any]) -> dict:
        return self.post("message/custom/send", data=dict(payload))

    def send_template(self, openid: str, template_id: str, data: Mapping[str, Any], url: str | None = None,
                      miniprogram: Mapping[str, str] | None = None, client_msg_id: str | None = None) -> dict:
        payload = {"touser": openid, "template_id": template_id, "data": dict(data), "url": url,
                   "miniprogram": miniprogram, "client_msg_id": client_msg_id}
        return self.post("message/template/send", data={k: v for k, v in payload.items() if v is not None})

    def send_subscribe(self, openid: str, template_id: str, data: Mapping[str, Any],
                       page: str | None = None) -> dict:
        payload = {"touser": openid, "template_id": template_id, "data": dict(data)}
        if page is not None:
            payload["page"] = page
        return self.post("message/subscribe/bizsend", data=payload)

    def upload_media(self, media_type: str, filename: str, fileobj: IO[bytes],
                     timeout: float | None = None) -> str:
        """Upload temporary media (kept 3 days by WeChat); returns its media_id. `timeout`
        overrides WECHAT_HTTP_TIMEOUT for a caller inside the reply budget."""
        result = self.post("media/upload", params={"type": media_type}, files={"media": (filename, fileobj)},
                           timeout=timeout)
        return result["media_id"]

    def create_menu(self, menu: Mapping[str, Any]) -> dict:
        return self.post("menu/create", data=dict(menu))

    def get_menu(self) -> dict:
        return self.get("menu/get")

    def create_qrcode(self, scene_str: str, permanent: bool = True, expire_seconds: int = 2592000) -> dict:
        """A QR ticket whose scan event carries `scene_str`; returns ticket, url
        (and expire_seconds for a temporary one)."""
        payload: dict[str, Any] = {"action_name": "QR_LIMIT_STR_SCENE" if permanent else "QR_STR_SCENE",
                                   "action_info": {"scene": {"scene_str": scene_str}}}
        if not permanent:
            payload["expire_seconds"] = expire_seconds
        return self.post("qrcode/create", data=payload)

    def qrcode_url(self, ticket: str) -> str:
        """Where a member's browser shows the ticket's QR image (showqrcode needs no token)."""
        from urllib.parse import quote
        return self._http.rebase("https://mp.weixin.qq.com/cgi-bin/showqrcode") + "?ticket=" + quote(ticket)

    def qrcode_image(self, ticket: str) -> bytes:
        res = self._http.get("https://mp.weixin.qq.com/cgi-bin/showqrcode", params={"ticket": ticket})
        if res.status_code != 200:
            raise WeChatUnavailable(f"HTTP {res.status_code}", "/cgi-bin/showqrcode")
        return res.content


def _json_bytes(data: dict) -> bytes:
    # WeChat shows \uXXXX escapes literally to the member, so send real UTF-8.
    return json.dumps(data, ensure_ascii=False).encode()


def _rewind(files: Mapping[str, Any] | None) -> None:
    for value in (files or {}).values():
        fileobj = value[1] if isinstance(value, tuple) else value
        if hasattr(fileobj, "seek"):
            fileobj.seek(0)


def build_client(app: Flask) -> WeChatClient:
    from extensions import get_redis
    with app.app_context():
        redis_client = get_redis()
    return WeChatClient(app.config["WECHAT_APPID"], app.config["WECHAT_SECRET"],
                        api_base=app.config["WECHAT_API_BASE"], redis_client=redis_client,
                        timeout=float(app.config["WECHAT_HTTP_TIMEOUT"]))


def init_app(app: Flask) -> None:
    # Built on first use, so importing or creating the app never opens a connection.
    app.extensions["wechat_client"] = None
    urllib3_log = logging.getLogger("urllib3.connectionpool")
    if REDACT_TOKENS not in urllib3_log.filters:
        urllib3_log.addFilter(REDACT_TOKENS)


def get_client() -> WeChatClient:
    app = current_app._get_current_object()
    client = app.extensions.get("wechat_client")
    if client is None:
        client = app.extensions["wechat_client"] = build_client(app)
    return client
