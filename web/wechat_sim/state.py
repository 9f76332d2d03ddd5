"""What the fake WeChat API remembers: issued tokens, what was sent through it, and
the failures and delays a test asked for. One lock guards it all, because the fake is
served threaded and a test reads it while requests are still arriving."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from web.wechat_sim.oauth_state import OAuthState

# The errmsg texts WeChat really answers with, so logs and assertions read the same.
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40004: "invalid media type",
    40014: "invalid access_token",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47003: "argument invalid! data.thing1.value invalid",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40029: "invalid code",
    40053: "invalid action info",
    40163: "code been used",
    46003: "menu no exist",
    47001: "data format error",
    48001: "api unauthorized",
}
TOKEN_ERRORS = (40001, 40014, 42001)


def errmsg(errcode: int) -> str:
    return ERRMSG.get(errcode, f"error {errcode}")


@dataclass
class IssuedToken:
    appid: str
    token: str
    expires_at: float
    revoked: int | None = None  # the errcode a revoked token now answers with


class FakeWeChatState:
    def __init__(self, token_ttl: int = 7200) -> None:
        self.lock = threading.Lock()
        self.token_ttl = token_ttl
        self.generation = 0
        self.reset()

    def reset(self) -> None:
        with self.lock:
            # A request still sleeping in a delay from before the reset must not
            # record into the next test's state: it compares generations.
            self.generation += 1
            self.tokens_issued: list[dict[str, Any]] = []
            self.template_messages: list[dict[str, Any]] = []
            self.custom_messages: list[dict[str, Any]] = []
            self.subscribe_messages: list[dict[str, Any]] = []
            self.media: list[dict[str, Any]] = []
            self.menus: list[dict[str, Any]] = []
            self.qrcodes: list[dict[str, Any]] = []
            self._tokens: dict[str, IssuedToken] = {}
            self._current: dict[str, str] = {}
            self._failures: dict[str, list[int]] = {}
            self._delays: dict[str, float] = {}
            self.oauth = OAuthState()
            # Push rules (rules.py): who unfollowed, acceptances left, the chat windows,
            # client_msg_ids seen, daily quotas and what they used; messages in order.
            self.unfollowed: set[str] = set()
            self.acceptances: dict[tuple[str, str], int] = {}
            self.windows_enforced = False
            self.last_message: dict[str, float] = {}
            self.last_event: dict[str, float] = {}
            self.custom_sent: dict[str, list[float]] = {}
            self.client_msg_ids: dict[tuple[str, str], tuple[int, float]] = {}
            self.quotas: dict[str, int] = {"template_messages": 100_000}
            self.quota_used: dict[str, int] = {}
            self.messages: list[dict[str, Any]] = []
            self.tickets_issued = 0

    # -- what tests and the control API ask for ---------------------------------

    def fail(self, path: str, errcode: int, times: int = 1) -> None:
        """The next `times` calls to `path` answer `errcode` instead of working."""
        with self.lock:
            self._failures.setdefault(path, []).extend([errcode] * times)

    def delay(self, path: str, seconds: float) -> None:
        """Every call to `path` waits `seconds` before answering (0 clears it)."""
        with self.lock:
            if seconds > 0:
                self._delays[path] = seconds
            else:
                self._delays.pop(path, None)

    def invalidate_token(self, errcode: int = 40001, appid: str | None = None) -> str | None:
        """Make the current token answer `errcode` (40001 revoked, 42001 expired)."""
        if errcode not in TOKEN_ERRORS:
            raise ValueError(f"not a token errcode: {errcode}")
        with self.lock:
            appids = [appid] if appid else list(self._current)
            for app in appids:
                token = self._current.get(app)
                if token:
                    self._tokens[token].revoked = errcode
            return self._current.get(appids[0]) if appids else None

    def oauth_as(self, openid: str | None, snapshot: bool = False) -> None:
        """Web-page OAuth answers for this WeChat user from now on (None: the page asks)."""
        with self.lock:
            self.oauth.user = None if openid is None else (openid, snapshot)

    # -- what the API views call -------------------------------------------------

    def issue_token(self, appid: str, *, reuse: bool) -> tuple[str, int]:
        """Hand out a token: the still-valid current one when `reuse` (stable_token's
        normal mode), else a new one. A new token revokes the previous one, as a
        forced refresh does at WeChat."""
        with self.lock:
            now = time.time()
            current = self._tokens.get(self._current.get(appid, ""))
            if reuse and current and current.revoked is None and current.expires_at > now:
                issued = current
            else:
                if current and current.revoked is None:
                    current.revoked = 40001
                issued = IssuedToken(appid, f"FAKE{len(self._tokens) + 1}_{secrets.token_urlsafe(24)}",
                                     now + self.token_ttl)
                self._tokens[issued.token] = issued
                self._current[appid] = issued.token
            self.tokens_issued.append({"appid": appid, "token": issued.token, "reuse": reuse, "at": now})
            return issued.token, int(issued.expires_at - now)

    def check_token(self, token: str | None) -> int | None:
        """The errcode a call with this token gets, or None when it is good."""
        if not token:
            return 41001
        with self.lock:
            issued = self._tokens.get(token)
            if issued is None:
                return 40001
            if issued.revoked is not None:
                return issued.revoked
            return 42001 if issued.expires_at <= time.time() else None

    def take_failure(self, path: str) -> int | None:
        with self.lock:
            queued = self._failures.get(path)
            return queued.pop(0) if queued else None

    def delay_for(self, path: str) -> float:
        with self.lock:
            return self._delays.get(path, 0.0)

    def record(self, kind: str, item: dict[str, Any], generation: int) -> int:
        """Append to one of the recorded lists; returns its 1-based position."""
        with self.lock:
            bucket: list[dict[str, Any]] = getattr(self, kind)
            if generation == self.generation:
                bucket.append(item)
            return len(bucket)

    def find_qrcode(self, ticket: str) -> dict[str, Any] | None:
        with self.lock:
            return next((q for q in self.qrcodes if q["ticket"] == ticket), None)

    def find_media(self, media_id: str) -> dict[str, Any] | None:
        with self.lock:
            return next((m for m in self.media if m["media_id"] == media_id), None)

    def latest_menu(self) -> dict[str, Any] | None:
        with self.lock:
            return self.menus[-1] if self.menus else None

    # -- push rules ----------------------------------------------------------------

    def set_following(self, openid: str, following: bool) -> None:
        with self.lock:
            (self.unfollowed.discard if following else self.unfollowed.add)(openid)

    def accept(self, openid: str, template_id: str, times: int = 1) -> None:
        """The member accepted a subscription template `times` times (one notice each)."""
        with self.lock:
            key = (openid, template_id)
            self.acceptances[key] = self.acceptances.get(key, 0) + times

    def interact(self, openid: str, kind: str = "message", at: float | None = None) -> None:
        """The member wrote (`message`) or clicked / followed / scanned (`event`)."""
        with self.lock:
            (self.last_message if kind == "message" else self.last_event)[openid] = at or time.time()
            if kind == "message":
                self.last_event.setdefault(openid, 0)
            self.custom_sent[openid] = []

    def set_quota(self, kind: str, limit: int) -> None:
        with self.lock:
            self.quotas[kind] = limit

    def admit(self, kind: str, body: dict[str, Any], generation: int) -> tuple[int, int]:
        """Apply the rules to one message; record it when it passes. Returns (errcode,
        msgid): errcode 0 with the msgid, or the refusal's errcode."""
        from web.wechat_sim.rules import data_ok
        now = time.time()
        openid = str(body.get("touser"))
        with self.lock:
            if openid in self.unfollowed:
                return 43004, 0
            if kind == "template_messages":
                if not data_ok(body.get("data")):
                    return 47003, 0
                cmid = body.get("client_msg_id")
                if cmid:
                    seen = self.client_msg_ids.get((openid, str(cmid)))
                    if seen and now - seen[1] < 600:
                        return 0, seen[0]
            if kind == "subscribe_messages":
                if not data_ok(body.get("data")):
                    return 47003, 0
                key = (openid, str(body.get("template_id")))
                if self.acceptances.get(key, 0) <= 0:
                    return 43101, 0
            if kind == "custom_messages" and self.windows_enforced:
                wrote = self.last_message.get(openid)
                evented = self.last_event.get(openid) or 0
                sent = self.custom_sent.setdefault(openid, [])
                if now - evented < 60:
                    if len(sent) >= 3:
                        return 45047, 0
                elif wrote is None or now - wrote > 48 * 3600:
                    return 45015, 0
                elif len(sent) >= 5:
                    return 45047, 0
            limit = self.quotas.get(kind)
            if limit is not None and self.quota_used.get(kind, 0) >= limit:
                return 45009, 0
            if generation != self.generation:
                return 0, 0
            self.quota_used[kind] = self.quota_used.get(kind, 0) + 1
            if kind == "subscribe_messages":
                self.acceptances[(openid, str(body.get("template_id")))] -= 1
            if kind == "custom_messages":
                self.custom_sent.setdefault(openid, []).append(now)
            bucket: list[dict[str, Any]] = getattr(self, kind)
            bucket.append(body)
            msgid = len(self.messages) + 1
            self.messages.append({"seq": msgid, "kind": kind.removesuffix("_messages"), "touser": openid,
                                  "at": now, "body": body})
            if kind == "template_messages" and body.get("client_msg_id"):
                self.client_msg_ids[(openid, str(body["client_msg_id"]))] = (msgid, now)
            return 0, msgid

    def list_messages(self, kind: str | None = None, touser: str | None = None, since: int = 0,
                      limit: int = 1000) -> list[dict[str, Any]]:
        """Recorded pushes in order (seq ascending), filtered: GET /_sim/messages."""
        with self.lock:
            found = [m for m in self.messages if m["seq"] > since and (kind is None or m["kind"] == kind)
                     and (touser is None or m["touser"] == touser)]
            return found[:limit]

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "tokens_issued": len(self.tokens_issued),
                "template_messages": list(self.template_messages),
                "custom_messages": list(self.custom_messages),
                "subscribe_messages": list(self.subscribe_messages),
                "media": [{k: v for k, v in m.items() if k != "content"} for m in self.media],
                "menus": list(self.menus),
                "qrcodes": list(self.qrcodes),
                "failures": {p: list(codes) for p, codes in self._failures.items()},
                "delays": dict(self._delays),
                "oauth_exchanges": list(self.oauth.exchanges),
            }
