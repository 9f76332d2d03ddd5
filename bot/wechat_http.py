"""The HTTP layer under the WeChat client (bot/wechat.py): WeChat's error codes as
exceptions, a requests session that sends every call to WECHAT_API_BASE with a timeout,
and the log filter that keeps the access token out of urllib3's request lines. The
secret and the token never reach a log or an exception message.
"""
from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
from wechatpy.exceptions import WeChatClientException

DEFAULT_BASE = "https://api.weixin.qq.com"
WECHAT_HOSTS = ("https://api.weixin.qq.com", "https://file.api.weixin.qq.com", "https://mp.weixin.qq.com")
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
FINAL_ERRORS = frozenset({43004, 43101})  # not following / refused: retrying never helps
# Busy, over quota, or a token renewed elsewhere again during our one retry.
RETRYABLE_ERRORS = frozenset({-1, 45009}) | TOKEN_ERRORS
TOKEN_MARGIN = 300  # refresh this many seconds before WeChat would expire the token


class WeChatAPIError(WeChatClientException):
    """WeChat answered a call with a non-zero errcode (None: no usable answer)."""

    def __init__(self, errcode: int | None, errmsg: str, path: str = ""):
        super().__init__(errcode, errmsg)
        self.path = path

    @property
    def final(self) -> bool:
        """True when the member cannot be reached this way: never retry."""
        return self.errcode in FINAL_ERRORS

    @property
    def retryable(self) -> bool:
        return self.errcode is None or self.errcode in RETRYABLE_ERRORS

    def __str__(self) -> str:
        return f"WeChat {self.path or 'API'}: errcode {self.errcode}: {self.errmsg}"


class WeChatUnavailable(WeChatAPIError):
    """No answer (connection failure, timeout, HTTP error): worth retrying later."""

    def __init__(self, errmsg: str, path: str = ""):
        super().__init__(None, errmsg, path)


class WeChatTimeout(WeChatUnavailable):
    """WeChat did not answer within WECHAT_HTTP_TIMEOUT."""


class BaseURLSession(requests.Session):
    """Sends WeChat's absolute URLs (some hard-coded in wechatpy) to the configured
    base, and gives every request a timeout."""

    def __init__(self, base: str, timeout: float):
        super().__init__()
        self.base = base
        self.default_timeout = timeout
        # A delivery job sends on NOTIFY_SEND_THREADS threads: keep that many connections.
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def rebase(self, url: str) -> str:
        # With the real base, mp.weixin.qq.com must stay itself (showqrcode lives there).
        if self.base == DEFAULT_BASE:
            return url
        for host in WECHAT_HOSTS:
            if url == host or url.startswith(host + "/"):
                return self.base + url[len(host):]
        return url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        path = urlsplit(url).path
        try:
            return super().request(method, self.rebase(url), *args, **kwargs)
        except requests.Timeout:
            # `from None`: requests' own message carries the URL, access_token included.
            raise WeChatTimeout(f"no answer within {kwargs['timeout']}s", path) from None
        except requests.RequestException as exc:
            raise WeChatUnavailable(type(exc).__name__, path) from None


class RedactTokens(logging.Filter):
    """urllib3 logs every request line at DEBUG, and WeChat wants the token in the query."""

    pattern = re.compile(r"access_token=[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "access_token=" in message:
            record.msg, record.args = self.pattern.sub("access_token=***", message), ()
        return True


REDACT_TOKENS = RedactTokens()
